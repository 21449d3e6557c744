"""
URLs of the demo: the admin (also at the site root), the plugin's, and a login page for anyone.

The plugin's URLs are mounted as the LMS mounts them; the login page stands for the LMS's own,
since the admin's admits staff only.
"""

from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import path
from django.views.generic import RedirectView
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", LoginView.as_view(template_name="admin/login.html",
                                     extra_context={"site_header": "Demo LMS: sign in"}), name="login"),
    *get_plugin_url_patterns("lms.djangoapp"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
