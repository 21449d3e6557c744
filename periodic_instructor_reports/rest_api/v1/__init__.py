"""Version 1 of the course-team REST API: /api/periodic-reports/v1/."""
