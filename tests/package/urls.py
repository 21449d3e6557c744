"""The wheel check's URLs: Django's admin, where the plugin's pages are."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
