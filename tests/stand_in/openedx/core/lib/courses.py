"""
Stand-in of ``openedx.core.lib.courses`` for tests: a course as the modulestore returns it.

What the plugin's callers read: the course's id, its grader and the graded subsections by
assignment type (every course has the same small grading policy here), whether teams are
enabled and whether it is cohorted. The last two come from the course's advanced settings
``teams_configuration`` and ``cohort_config``, which a test gives a course with
``course_settings``; a CCX has its master course's, as the platform's CCX courses do.
"""
import contextlib
from dataclasses import dataclass, field

from opaque_keys.edx.keys import CourseKey

# The advanced settings tests gave courses, by course id (the modulestore keeps them on the platform).
ADVANCED_SETTINGS = {}


@contextlib.contextmanager
def course_settings(course_key, **settings):
    """Give the course these advanced settings (``teams_configuration``, ``cohort_config``) for a while."""
    course_id = str(course_key)
    before = ADVANCED_SETTINGS.get(course_id)
    ADVANCED_SETTINGS[course_id] = {**(before or {}), **settings}
    try:
        yield
    finally:
        if before is None:
            ADVANCED_SETTINGS.pop(course_id, None)
        else:
            ADVANCED_SETTINGS[course_id] = before


class TeamsConfig:
    """
    The course's ``teams_configuration``, as the platform reads it (``openedx.core.lib.teams_config``).

    Its ``enabled`` flag decides when it is given; without it, teams are on when a team-set
    (``team_sets``, formerly ``topics``) has an id.
    """

    def __init__(self, data):
        self._data = data if isinstance(data, dict) else {}

    @property
    def is_enabled(self):
        """Return whether teams are on for the course."""
        enabled = self._data.get("enabled")
        if enabled is not None:
            return enabled
        team_sets = self._data.get("team_sets", self._data.get("topics", []))
        return isinstance(team_sets, list) and any(
            isinstance(team_set, dict) and team_set.get("id") for team_set in team_sets
        )


class WeightedSubsectionsGrader:
    """The platform's usual course grader: assignment types, each with a weight."""

    def __init__(self, subgraders):
        self.subgraders = subgraders


@dataclass
class AssignmentFormatGrader:
    """The grader of one assignment type."""

    type: str
    min_count: int = 1
    drop_count: int = 0


@dataclass
class StandInCourse:
    """A course: its id, display name, grader and graded subsections."""

    id: CourseKey
    display_name: str = "Demonstration Course"
    grader: WeightedSubsectionsGrader = field(default_factory=lambda: WeightedSubsectionsGrader([
        (AssignmentFormatGrader("Homework", 2, 0), "Homework", 0.4),
        (AssignmentFormatGrader("Final Exam", 1, 0), "Final Exam", 0.6),
    ]))
    graded_subsections: dict = field(default_factory=lambda: {
        "Homework": ["Homework 1: Basics", "Homework 2: More"],
        "Final Exam": ["Final Exam"],
    })
    teams_configuration: TeamsConfig = field(default_factory=lambda: TeamsConfig({}))
    cohort_config: dict = None

    @property
    def teams_enabled(self):
        """Return whether teams are enabled (the platform's ``CourseBlock.teams_enabled``)."""
        return self.teams_configuration.is_enabled

    @property
    def is_cohorted(self):
        """Return whether the ``cohort_config`` advanced setting makes the course cohorted."""
        return bool((self.cohort_config or {}).get("cohorted"))


def get_course_by_id(course_key, depth=0):  # noqa: ARG001  (the platform's signature)
    """Return the course of ``course_key`` (the platform raises Http404 for an unknown one)."""
    master = course_key.to_course_locator() if hasattr(course_key, "ccx") else course_key
    settings = ADVANCED_SETTINGS.get(str(master), {})
    return StandInCourse(
        id=course_key,
        teams_configuration=TeamsConfig(settings.get("teams_configuration")),
        cohort_config=settings.get("cohort_config"),
    )
