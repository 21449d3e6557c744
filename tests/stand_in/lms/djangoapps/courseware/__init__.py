"""Stand-in of ``lms.djangoapps.courseware``: its bridgekeeper rules, for tests."""
