"""The schedule form: courses picked from the platform's courses, organisations from its list."""

import json

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import conf, courses, platform, schedule_rules, urlnames, validators
from periodic_instructor_reports.models import PeriodicReportSchedule

AUTOCOMPLETE_URL = reverse_lazy(urlnames.SCHEDULE_COURSES)


class AnyChoiceMultipleField(forms.MultipleChoiceField):
    """A multiple choice of values the browser looked up; the model's validators judge them."""

    def valid_value(self, value):  # noqa: ARG002 (Django's signature: every value is accepted here)
        return True


def decode_json(text, decoder=None):
    """
    Return the JSON value of ``text``, refusing with a clear message what does not parse or nests too deep.

    Python's parser raises ``RecursionError`` on JSON nested thousands deep, which Django's form
    field lets through as a server error.

    Raises:
        ValidationError: ``text`` is not JSON, or nests deeper than the schedule's JSON may.
    """
    try:
        value = json.loads(text, cls=decoder)
    except (ValueError, RecursionError) as err:
        raise ValidationError(_("Enter valid JSON."), code="invalid") from err
    if validators.json_depth(value) > validators.MAX_JSON_DEPTH:
        raise ValidationError(validators.too_deep_message(), code="too_deep")
    return value


class BoundedJSONField(forms.JSONField):
    """A JSON field whose malformed or too deeply nested input gets a message, never a server error."""

    def to_python(self, value):
        if self.disabled or not isinstance(value, str) or isinstance(value, forms.fields.JSONString):
            return super().to_python(value)
        if value in self.empty_values:
            return None
        converted = decode_json(value, self.decoder)
        return forms.fields.JSONString(converted) if isinstance(converted, str) else converted

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            return decode_json(data, self.decoder)
        except ValidationError:
            return forms.fields.InvalidJSONInput(data)


class CoursePicker(forms.SelectMultiple):
    """Course ids chosen by typing a course's id or name (select2, with the admin's own copy of it)."""

    class Media:
        css = {"screen": ["admin/css/vendor/select2/select2.css", "admin/css/autocomplete.css",
                          "periodic_instructor_reports/admin.css"]}
        js = ["admin/js/vendor/jquery/jquery.js", "admin/js/vendor/select2/select2.full.js",
              "admin/js/jquery.init.js", "periodic_instructor_reports/schedule_form.js"]


class ScheduleForm(forms.ModelForm):
    """Schedule fields, with courses and organisations chosen from the platform's."""

    course_ids = AnyChoiceMultipleField(
        required=False, label=_("Courses"),
        widget=CoursePicker(attrs={"class": "pir-course-picker", "data-autocomplete-url": AUTOCOMPLETE_URL}),
        help_text=_("Type part of a course's id or name to find it; a course's CCXs are listed under it. "
                    "Scripts and the API give a JSON list of ids."),
    )
    course_orgs = forms.MultipleChoiceField(
        required=False, label=_("Organisations"),
        widget=forms.SelectMultiple(attrs={"class": "pir-org-picker", "size": 5}),
        help_text=_("Also every course of these organisations, chosen again at each run (with the state "
                    "below)."),
    )

    class Meta:
        model = PeriodicReportSchedule
        fields = (
            "name", "task", "owner", "interval", "crontab", "enabled", "course_ids", "include_ccx",
            "only_ccx", "course_orgs", "course_state", "course_state_days", "arguments", "keyword_arguments",
            "upload_folder_prefix", "upload_folder_structure", "recipients", "notify", "max_in_flight",
            "finish_within",
        )
        field_classes = {"arguments": BoundedJSONField, "keyword_arguments": BoundedJSONField,
                         "recipients": BoundedJSONField}
        labels = {"max_in_flight": _("Reports at once, at most"), "finish_within": _("Finish within")}
        widgets = {
            "max_in_flight": forms.NumberInput(attrs={"class": "vIntegerField"}),
            "finish_within": forms.TextInput(attrs={"placeholder": "4:00:00", "size": 12}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        chosen = self._chosen_course_ids()
        labels = course_labels(chosen)
        self.fields["course_ids"].choices = [(value, labels.get(value, value)) for value in chosen]
        self.fields["course_orgs"].choices = [(org, org) for org in organisations(self.instance.course_orgs)]
        self.fields["max_in_flight"].help_text = cap_help()
        self.fields["max_in_flight"].widget.attrs["min"] = 1
        self.fields["finish_within"].help_text = _(
            "How long after its due time a run should be over, as hours:minutes:seconds (or days "
            "hours:minutes:seconds): 4:00:00 for a 02:00 run to end by 06:00. At least a minute, at most "
            "the time between two runs; empty for no window. A run foreseen to end later says so early, "
            "on its page and in its e-mail."
        )

    def _post_clean(self):
        """Check the schedule's rules on the form too (they are not the model's), as ``api.py`` will."""
        super()._post_clean()
        try:
            schedule_rules.validate_schedule(self.instance)
        except ValidationError as err:
            self._update_errors(err)

    def _chosen_course_ids(self):
        if self.is_bound:
            return [value for value in self.data.getlist("course_ids") if isinstance(value, str)]
        return [value for value in (self.instance.course_ids or []) if isinstance(value, str)]


def cap_help():
    """Return the cap's help text, with the site's own cap (the setting) the schedule's works within."""
    site = conf.get("MAX_IN_FLIGHT") or 0
    site_text = _("the site's cap is %(cap)d") % {"cap": site} if site else _("the site has no cap")
    return _(
        "At most this many of this schedule's reports generating at once; it never lifts the site's "
        "cap (PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT: %(site)s). Empty for no cap of its own."
    ) % {"site": site_text}


def course_labels(course_ids):
    """Return ``{course id: "id — display name"}`` of the courses the platform knows (one query)."""
    model = platform.course_overview_model()
    keys = []
    for course_id in course_ids:
        try:
            key = CourseKey.from_string(course_id)
        except InvalidKeyError:
            continue
        if not courses.is_ccx(key):
            keys.append(key)
    if model is None or not keys:
        return {}
    names = dict(model.objects.filter(id__in=keys).values_list("id", "display_name"))
    return {str(key): f"{key} — {name}" if name else str(key) for key, name in names.items()}


def organisations(chosen=()):
    """Return the platform's organisations (and any already chosen), sorted."""
    model = platform.course_overview_model()
    known = set(model.objects.values_list("org", flat=True).distinct()) if model is not None else set()
    return sorted(known | {org for org in chosen or [] if isinstance(org, str)}, key=str.lower)


def search_courses(term, limit=20):
    """
    Return select2 results for ``term``: courses whose id or name contains it, each followed by its CCXs.

    Two queries at most; ``more`` says whether more courses matched.
    """
    model = platform.course_overview_model()
    if model is None:
        return {"results": [], "pagination": {"more": False}}
    # The platform keeps CCXs' overviews too: each CCX is listed under its master instead.
    rows = model.objects.exclude(id__startswith=courses.CCX_PREFIX).order_by("id")
    for word in term.split():
        rows = rows.filter(Q(id__icontains=word) | Q(display_name__icontains=word))
    found = list(rows.values_list("id", "display_name")[:limit + 1])
    more, found = len(found) > limit, found[:limit]
    ccx_by_master = {}
    if found and platform.ccx_model() is not None:
        try:
            ccx_by_master = courses.ccx_keys_by_master([key for key, _ in found])
        except LookupError:
            ccx_by_master = {}
    results = []
    for key, name in found:
        results.append({"id": str(key), "text": f"{key} — {name}" if name else str(key)})
        results += [{"id": str(ccx), "text": f"    ↳ CCX {ccx}"} for ccx in ccx_by_master.get(key, [])]
    return {"results": results, "pagination": {"more": more}}
