"""The views' OpenAPI schema: what each HTTP method takes and answers, errors included."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter

from periodic_instructor_reports.rest_api.v1 import serializers

ERROR_RESPONSES = {
    400: serializers.ErrorSerializer,
    401: serializers.ErrorSerializer,
    403: serializers.ErrorSerializer,
    404: serializers.ErrorSerializer,
}

COURSE_ID = OpenApiParameter(
    "course_id",
    str,
    OpenApiParameter.PATH,
    description="The course's id, e.g. course-v1:edX+DemoX+Demo_Course.",
)
SCHEDULE_ID = OpenApiParameter("schedule_id", int, OpenApiParameter.PATH, description="The schedule's id.")


class CourseTeamSchema(AutoSchema):
    """
    drf-spectacular's schema of a view, read from the view's ``docs`` (by HTTP method).

    Decorators on methods would take the LMS's own ``DEFAULT_SCHEMA_CLASS`` (not drf-spectacular's);
    this keeps the API's schema independent of the site's REST framework settings.
    """

    def _doc(self):
        return getattr(self.view, "docs", {}).get(self.method.lower(), {})

    def get_summary(self):
        return self._doc().get("summary") or super().get_summary()

    def get_override_parameters(self):
        ids = [COURSE_ID, SCHEDULE_ID] if "{schedule_id}" in self.path else [COURSE_ID]
        return ids + self._doc().get("parameters", [])

    def get_request_serializer(self):
        doc = self._doc()
        return doc["request"] if "request" in doc else super().get_request_serializer()

    def get_response_serializers(self):
        doc = self._doc()
        return (
            {**doc["responses"], **ERROR_RESPONSES}
            if "responses" in doc
            else super().get_response_serializers()
        )


def docs(**methods):
    """Give a view the schema of each of its HTTP methods (``CourseTeamSchema`` reads them)."""

    def decorate(view):
        view.docs = methods
        return view

    return decorate
