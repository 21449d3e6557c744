"""
Stand-in of ``openedx.core.djangoapps.site_configuration.helpers`` for tests.

As on the platform: ``get_value`` answers from the configuration of the current request's site
(``request.site``), so without a request (a Celery worker) it answers the default;
``get_value_for_org`` answers from the configuration whose ``course_org_filter`` names the
organisation, whatever the request.
"""
from openedx.core.djangoapps.theming.helpers import get_current_site


def get_current_site_configuration():
    """Return the current site's configuration, or None (no request, no site, or no configuration)."""
    from openedx.core.djangoapps.site_configuration.models import SiteConfiguration

    site = get_current_site()
    try:
        return getattr(site, "configuration", None)
    except SiteConfiguration.DoesNotExist:
        return None


def is_site_configuration_enabled():
    """Return whether the current site has a configuration and it is enabled."""
    configuration = get_current_site_configuration()
    return bool(configuration and configuration.enabled)


def get_value(val_name, default=None, **kwargs):  # noqa: ARG001  (the platform's signature)
    """
    Return the current site's value ``val_name``, else ``default``.

    The value is merged into a copy of ``default`` when ``dict()`` and ``update()`` accept the
    two, as the platform does (so a mapping default is completed, not replaced); else it is
    returned as it is.
    """
    value = default
    if is_site_configuration_enabled():
        value = get_current_site_configuration().get_value(val_name, default)
    if default == "":
        return value
    try:
        merged = dict(default)
        merged.update(value)
    except (TypeError, ValueError, AttributeError):
        return value
    return merged


def get_value_for_org(org, val_name, default=None):
    """Return the value ``val_name`` of the site serving ``org``, else ``default``."""
    from openedx.core.djangoapps.site_configuration.models import SiteConfiguration

    if SiteConfiguration.has_org(org):
        return SiteConfiguration.get_value_for_org(org, val_name, default)
    return default
