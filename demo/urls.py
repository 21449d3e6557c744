"""
URLs of the demo: the admin (also at the site root), the plugin's, and a login page for anyone.

The plugin's URLs are mounted as the LMS mounts them; the login page stands for the LMS's own,
since the admin's admits staff only. The course team's "Scheduled reports" page is served at the
instructor dashboard's route (``instructor-dashboard/<course id>/<tab id>``) from the host page
``frontend/host`` builds, with the LMS endpoints its authentication calls (demo/lms_auth.py).
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.http import FileResponse, HttpResponseNotFound
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.static import serve
from edx_django_utils.plugins import get_plugin_url_patterns

from demo import lms_auth


def scheduled_reports_page(_request, **_kwargs):
    """Serve the host page (it routes on the URL itself), or say how to build it."""
    index = settings.SCHEDULED_REPORTS_HOST_DIR / "index.html"
    if not index.exists():
        return HttpResponseNotFound(
            "The course team's page is not built: run `make demo` (it runs "
            "`cd frontend && npm ci && npm run build:host`).",
            content_type="text/plain",
        )
    return FileResponse(index.open("rb"), content_type="text/html")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", LoginView.as_view(template_name="admin/login.html",
                                     extra_context={"site_header": "Demo LMS: sign in"}), name="login"),
    path("login_refresh", lms_auth.login_refresh, name="login_refresh"),
    path("", include("csrf.urls")),
    re_path(
        r"^instructor-dashboard/(?P<course_path>.+)$", scheduled_reports_page, name="scheduled_reports_page"
    ),
    re_path(
        r"^scheduled-reports-host/(?P<path>.+)$",
        serve,
        {"document_root": settings.SCHEDULED_REPORTS_HOST_DIR},
    ),
    *get_plugin_url_patterns("lms.djangoapp"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
