"""Stand-in of ``openedx.core.djangoapps.site_configuration.helpers`` for tests."""


def get_value_for_org(org, val_name, default=None):
    """Return the configuration value ``val_name`` of the site serving ``org``, else ``default``."""
    from openedx.core.djangoapps.site_configuration.models import SiteConfiguration

    if SiteConfiguration.has_org(org):
        return SiteConfiguration.get_value_for_org(org, val_name, default)
    return default
