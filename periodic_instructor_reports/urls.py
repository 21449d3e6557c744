"""The plugin's URLs in the LMS (registered through the plugin framework): the report download view."""

from django.urls import path

from periodic_instructor_reports import downloads

app_name = "periodic_instructor_reports"

urlpatterns = [
    path("download/<int:row_id>/", downloads.download, name="download"),
    path("download/<int:row_id>/errors/", downloads.download, {"errors": True}, name="download_errors"),
]
