"""How the API answers errors: JSON ``{"message", "code"}``, with the invalid fields by the API's names."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler

# The API's names of the schedule fields ``api.py`` reports errors on.
FIELD_NAMES = {
    "keyword_arguments": "arguments",
    "task": "report",
    "course_ids": "course_id",
    "__all__": "non_field_errors",
}


class Conflict(exceptions.APIException):
    """Another request changed the same rows first (a unique name taken meanwhile): try again."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, which also answers JSON nested too deep to parse with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as err:
            raise exceptions.ParseError(_("JSON parse error: the body nests too deep.")) from err


def error_handler(exc, context):
    """Answer every error as ``{"message", "code"}`` (and ``errors`` by field for invalid input)."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_api_errors(exc))
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _invalid_body(exc)
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {
            "message": _(
                "Log in first, or send a JWT as the platform issues them (Authorization: JWT <token>, or "
                "the JWT cookie with the USE-JWT-COOKIE header)."
            ),
            "code": exc.get_codes(),
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {"message": str(detail), "code": getattr(detail, "code", "error")}
    return response


def _api_errors(exc):
    """Return the errors of a model's ``ValidationError`` by the API's field names."""
    if hasattr(exc, "error_dict"):
        return {FIELD_NAMES.get(name, name): messages for name, messages in exc.message_dict.items()}
    return {"non_field_errors": exc.messages}


def _invalid_body(exc):
    """Return the body of a 400 for invalid input: the first error in words, then all by field."""
    detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    errors = {name: _flatten(messages) for name, messages in detail.items()}
    first = next(iter(errors.items()), ("non_field_errors", []))
    return {
        "message": _("The request is not valid: %(field)s: %(error)s")
        % {
            "field": first[0],
            "error": first[1][0] if first[1] else "",
        },
        "code": "invalid",
        "errors": errors,
    }


def _flatten(messages):
    if isinstance(messages, dict):
        return [f"{name}: {text}" for name, inner in messages.items() for text in _flatten(inner)]
    if isinstance(messages, list):
        return [text for item in messages for text in _flatten(item)]
    return [str(messages)]
