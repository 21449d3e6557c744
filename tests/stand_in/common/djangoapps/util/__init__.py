"""Stand-in of ``common.djangoapps.util`` for tests."""
