"""Stand-in of ``common.djangoapps`` for tests."""
