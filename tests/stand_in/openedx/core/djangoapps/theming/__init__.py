"""Stand-in of ``openedx.core.djangoapps.theming``: the current request's site."""
