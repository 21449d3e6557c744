"""Stand-in of ``lms.djangoapps.instructor_task.tasks_helper`` for tests."""
