"""
Field validators: checks of one value that need neither the database nor the platform.

Migrations name some of them. The rules of a whole schedule or report task, which ask the
platform, the database and the report registry, are ``schedule_rules``.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import conf

PREFIX_MAX_LENGTH = 254
# The platform's course id columns (CourseKeyField) hold at most this many characters.
COURSE_ID_MAX_LENGTH = 255
COURSE_IDS_MESSAGE = gettext_lazy(
    'Enter a JSON list of course ids, for example ["course-v1:edX+DemoX+Demo"].'
)


def parse_course_id(course_id):
    """Return the course or CCX key, or raise ValidationError naming the bad id."""
    try:
        return CourseKey.from_string(course_id)
    except InvalidKeyError as err:
        raise ValidationError(
            _("“%(course_id)s” is not a valid course or CCX id."),
            code="invalid_course_id",
            params={"course_id": course_id},
        ) from err


def validate_course_ids(value):
    """Require a JSON list of distinct, valid course or CCX ids (it may be empty if courses are selected)."""
    if not isinstance(value, list):
        raise ValidationError(COURSE_IDS_MESSAGE, code="invalid_course_ids")
    errors, seen = [], set()
    for course_id in value:
        if not isinstance(course_id, str):
            errors.append(ValidationError(
                _("%(value)s is not a string; course ids are quoted strings."),
                code="invalid_course_id",
                params={"value": course_id},
            ))
            continue
        char = unsafe_character(course_id)
        if char:
            errors.append(ValidationError(unsafe_message(char), code="invalid_course_id"))
            continue
        if len(course_id) > COURSE_ID_MAX_LENGTH:
            errors.append(ValidationError(
                _("A course id of %(length)s characters is too long: the platform stores at most %(limit)s."),
                code="invalid_course_id",
                params={"length": len(course_id), "limit": COURSE_ID_MAX_LENGTH},
            ))
            continue
        try:
            key = str(parse_course_id(course_id))
        except ValidationError as err:
            errors.append(err)
            continue
        if key in seen:
            errors.append(ValidationError(
                _("“%(course_id)s” is listed more than once."),
                code="duplicate_course_id",
                params={"course_id": course_id},
            ))
        seen.add(key)
    if errors:
        raise ValidationError(errors)


# Folder names of a prefix: ASCII letters, digits, "-", "_" and "." (not first), "/" between them.
PREFIX_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
# A file name the platform may use as given: no folders, no dots first, nothing to escape.
SAFE_FILENAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")
JSON_FIELDS = ("arguments", "keyword_arguments", "course_ids", "course_orgs", "recipients")
# How deep a schedule's JSON values may nest: reports take flat lists and objects.
MAX_JSON_DEPTH = 10


def unsafe_character(text):
    """
    Return the first character of ``text`` that must never reach the database, logs or e-mail, or None.

    Control characters (NUL, CR, LF...), format characters such as bidi overrides and
    zero-width joiners, and line or paragraph separators.
    """
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return char
    return None


def json_depth(value):
    """Return how deep a JSON value nests (a scalar is 0, ``[]`` is 1), walked without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            break
    return deepest


def too_deep_message():
    """Return the message refusing JSON that nests too deep."""
    return _("This JSON nests deeper than %(depth)d levels; reports take flat lists and objects.") % {
        "depth": MAX_JSON_DEPTH,
    }


def validate_json_depth(schedule):
    """
    Refuse JSON fields of ``schedule`` that nest deeper than ``MAX_JSON_DEPTH``.

    Checked before the other validators, which walk the values recursively and would otherwise
    run out of stack on JSON nested thousands deep.
    """
    deep = [name for name in JSON_FIELDS if json_depth(getattr(schedule, name)) > MAX_JSON_DEPTH]
    if deep:
        raise ValidationError({name: too_deep_message() for name in deep})


def unsafe_in(value):
    """Return the first unsafe character in a JSON value (its strings and keys), or None."""
    if isinstance(value, str):
        return unsafe_character(value)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = unsafe_in(item)
        if found:
            return found
    return None


def unsafe_message(char):
    """Return the message refusing the character ``char``, shown by its code point."""
    return _("It must not contain control or formatting characters (found U+%(code)04X).") % {
        "code": ord(char),
    }


def validate_safe_text(value):
    """Refuse text with control or formatting characters (names, e-mail subjects)."""
    char = unsafe_character(value or "")
    if char:
        raise ValidationError(unsafe_message(char), code="unsafe_text")


def validate_upload_folder_prefix(value):
    """
    Require a relative storage prefix of safe folder names that cannot escape the reports folder.

    Letters, digits, ``-``, ``_`` and ``.`` (not first) in each folder name, ``/`` between them;
    so no ``.``/``..`` folder, no ``~``, no drive letter, no backslash, no percent-encoding, no
    control or bidi characters, nothing that needs escaping in a URL or in HTML.
    """
    problems = []
    if value.startswith("/"):
        problems.append(_("The upload folder prefix must be relative: remove the leading slash."))
    if "//" in value:
        problems.append(_("The upload folder prefix must not contain empty folder names (//)."))
    segments = [segment for segment in value.strip("/").split("/") if segment]
    bad = [segment for segment in segments if not PREFIX_SEGMENT.match(segment)]
    if bad:
        problems.append(_(
            "Folder names of the upload folder prefix may use only letters, digits, “-”, “_” and "
            "“.” (not first): “%(segment)s” does not."
        ) % {"segment": bad[0][:80].encode("unicode_escape").decode("ascii")})
    if len(value) > PREFIX_MAX_LENGTH:
        problems.append(_("The upload folder prefix must be at most %(limit)s characters.") % {
            "limit": PREFIX_MAX_LENGTH,
        })
    if problems:
        raise ValidationError(problems, code="invalid_prefix")


def validate_recipients(value):
    """Require a JSON list of distinct, valid e-mail addresses, at most ``MAX_RECIPIENTS`` of them."""
    if not isinstance(value, list) or not all(isinstance(address, str) for address in value):
        raise ValidationError(_('Enter a JSON list of e-mail addresses, for example ["data@example.com"].'),
                              code="invalid_recipients")
    limit = conf.get("MAX_RECIPIENTS")
    if len(value) > limit:
        raise ValidationError(_("At most %(limit)d recipients: use a mailing list for more people.") % {
            "limit": limit,
        }, code="too_many_recipients")
    errors = []
    for address in value:
        try:
            validate_email(address)
        except ValidationError:
            errors.append(ValidationError(
                _("“%(address)s” is not an e-mail address."), code="invalid_recipient",
                params={"address": address[:100].encode("unicode_escape").decode("ascii")},
            ))
    if len({address.lower() for address in value}) != len(value):
        errors.append(ValidationError(_("An address is listed more than once."), code="duplicate_recipient"))
    if errors:
        raise ValidationError(errors)



def validate_schedule_filename(value):
    """Require a file name the platform can use as given: safe characters, no folder, no “..”."""
    if not isinstance(value, str) or not SAFE_FILENAME.match(value) or ".." in value:
        raise ValidationError(_("Enter a safe file name."), code="unsafe_filename")
