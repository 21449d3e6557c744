"""
Stand-in of ``openedx.core.djangoapps.site_configuration.models.SiteConfiguration`` for tests.

As on the platform: one configuration per ``django.contrib.sites`` site (``site.configuration``),
a JSON object of values that count only while the configuration is enabled. Its
``course_org_filter`` (a string or a list) names the organisations whose courses the site
serves, which is how a value is found "for an org".
"""
from django.contrib.sites.models import Site
from django.db import models


class SiteConfiguration(models.Model):
    """One site's configuration values."""

    site = models.OneToOneField(Site, related_name="configuration", on_delete=models.CASCADE)
    site_values = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=False)

    class Meta:
        app_label = "site_configuration"

    def __str__(self):
        return f"<SiteConfiguration: {self.site} >"

    def get_value(self, name, default=None):
        """Return the value ``name``, or ``default`` when it is absent or the configuration is disabled."""
        if not self.enabled:
            return default
        return self.site_values.get(name, default)

    def orgs(self):
        """Return the organisations of the ``course_org_filter`` (a single name counts as a list of one)."""
        orgs = self.get_value("course_org_filter", [])
        return orgs if isinstance(orgs, list) else [orgs]

    @classmethod
    def get_configuration_for_org(cls, org, select_related=None):
        """Return the first enabled configuration whose ``course_org_filter`` names ``org``, or None."""
        query = cls.objects.filter(enabled=True).order_by("pk")
        if select_related is not None:
            query = query.select_related(*select_related)
        return next((configuration for configuration in query if org in configuration.orgs()), None)

    @classmethod
    def get_value_for_org(cls, org, name, default=None):
        """Return the value ``name`` of the configuration serving ``org``, or ``default``."""
        configuration = cls.get_configuration_for_org(org)
        return default if configuration is None else configuration.get_value(name, default)

    @classmethod
    def get_all_orgs(cls):
        """Return the organisations every enabled configuration's ``course_org_filter`` names."""
        return {org for configuration in cls.objects.filter(enabled=True) for org in configuration.orgs()}

    @classmethod
    def has_org(cls, org):
        """Return whether an enabled configuration names the organisation ``org``."""
        return org in cls.get_all_orgs()
