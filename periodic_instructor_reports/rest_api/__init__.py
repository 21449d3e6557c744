"""The course-team REST API."""
