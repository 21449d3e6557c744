"""Stand-in of the platform's ``openedx`` package for tests."""
