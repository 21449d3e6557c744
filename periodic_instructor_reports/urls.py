"""
The plugin's URLs in the LMS (registered through the plugin framework at the site's root).

The report download view, and the course-team REST API with its OpenAPI schema.
"""

from django.urls import include, path

from periodic_instructor_reports import downloads

app_name = "periodic_instructor_reports"

urlpatterns = [
    path("periodic-reports/download/<int:row_id>/", downloads.download, name="download"),
    path("periodic-reports/download/<int:row_id>/errors/", downloads.download, {"errors": True},
         name="download_errors"),
    path("api/periodic-reports/v1/", include("periodic_instructor_reports.rest_api.v1.urls")),
]
