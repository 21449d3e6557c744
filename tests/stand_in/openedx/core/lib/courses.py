"""
Stand-in of ``openedx.core.lib.courses`` for tests: a course as the modulestore returns it.

Only what the grading configuration dump reads: the course's id, its grader and the graded
subsections by assignment type. Every course has the same small grading policy here.
"""
from dataclasses import dataclass, field

from opaque_keys.edx.keys import CourseKey


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


def get_course_by_id(course_key, depth=0):
    """Return the course of ``course_key`` (the platform raises Http404 for an unknown one)."""
    return StandInCourse(id=course_key)
