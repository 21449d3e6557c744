"""URLs of the demo: the Django admin (also at the site root), and the plugin's as the LMS mounts them."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView
from edx_django_utils.plugins import get_plugin_url_patterns

urlpatterns = [
    path("admin/", admin.site.urls),
    *get_plugin_url_patterns("lms.djangoapp"),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
