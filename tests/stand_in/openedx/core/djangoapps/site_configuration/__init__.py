"""Stand-in of ``openedx.core.djangoapps.site_configuration``: per-site and per-organisation values."""
