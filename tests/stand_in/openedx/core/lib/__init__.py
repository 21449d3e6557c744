"""Stand-in of ``openedx.core.lib`` for tests."""
