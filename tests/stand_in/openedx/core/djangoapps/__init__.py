"""Stand-in of ``openedx.core.djangoapps`` for tests."""
