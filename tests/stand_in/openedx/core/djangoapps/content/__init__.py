"""Stand-in of ``openedx.core.djangoapps.content`` for tests."""
