"""
Stand-in of ``openedx.core.djangoapps.site_configuration.models.SiteConfiguration`` for tests.

A site's configuration is a JSON object; ``course_org_filter`` (a string or a list) names the
organisations whose courses the site serves, which is how a value is found "for an org".
"""
from django.db import models


class SiteConfiguration(models.Model):
    """One site's configuration values."""

    site_values = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=False)

    class Meta:
        app_label = "site_configuration"

    def __str__(self):
        return f"SiteConfiguration {self.pk}"

    def orgs(self):
        """Return the organisations of the site's ``course_org_filter``."""
        orgs = self.site_values.get("course_org_filter", [])
        return {orgs} if isinstance(orgs, str) else set(orgs)

    @classmethod
    def _for_org(cls, org):
        return next((config for config in cls.objects.filter(enabled=True) if org in config.orgs()), None)

    @classmethod
    def has_org(cls, org):
        """Return whether an enabled site serves the organisation ``org``."""
        return cls._for_org(org) is not None

    @classmethod
    def get_value_for_org(cls, org, name, default=None):
        """Return the value ``name`` of the site serving ``org``, or ``default``."""
        config = cls._for_org(org)
        return config.site_values.get(name, default) if config else default
