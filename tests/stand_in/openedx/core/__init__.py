"""Stand-in of ``openedx.core`` for tests."""
