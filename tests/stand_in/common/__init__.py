"""Stand-in of the platform's ``common`` package for tests."""
