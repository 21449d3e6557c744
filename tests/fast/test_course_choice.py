"""Which courses a run is for: listed ids, their CCXs, and the platform's courses a schedule selects."""

from unittest import mock

from django.test import SimpleTestCase
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import courses
from periodic_instructor_reports.courses import Skipped, is_ccx, target_batches, target_courses
from periodic_instructor_reports.models import PeriodicReportSchedule

A, B, C = "course-v1:edX+A+1", "course-v1:edX+B+1", "course-v1:edX+C+1"
A_CCX1, A_CCX2 = "ccx-v1:edX+A+1+ccx@1", "ccx-v1:edX+A+1+ccx@2"


def key(course_id):
    return CourseKey.from_string(course_id)


def schedule(course_ids, **fields):
    return PeriodicReportSchedule(pk=1, course_ids=course_ids, **fields)


class TargetTestCase(SimpleTestCase):
    """The platform's answers are given per test: missing courses, selected courses, CCXs."""

    missing = ()
    selected = ()
    ccxs = {}

    def setUp(self):
        for name in ("known_ids", "missing_courses", "selected_ids", "ccx_keys_by_master"):
            patcher = mock.patch.object(courses, name, side_effect=getattr(self, name))
            patcher.start()
            self.addCleanup(patcher.stop)

    def known_ids(self, course_ids):
        return {course_id for course_id in course_ids
                if course_id.startswith("course-v1:") and course_id not in self.missing}

    def missing_courses(self, keys):
        return [k for k in keys if str(k) in self.missing]

    def selected_ids(self, _schedule, **_kwargs):
        return iter(self.selected)

    def ccx_keys_by_master(self, masters):
        if isinstance(self.ccxs, Exception):
            raise self.ccxs
        return {master: [key(ccx) for ccx in self.ccxs.get(str(master), [])] for master in masters}

    def target(self, chosen, only=None):
        keys, skipped = target_courses(chosen, only)
        return [str(k) for k in keys], skipped


class ListedCoursesTests(TargetTestCase):
    def test_listed_ids_run_as_given_once(self):
        self.assertEqual(self.target(schedule([B, A, B])), ([B, A], []))

    def test_an_invalid_id_is_skipped(self):
        keys, skipped = self.target(schedule([A, "nonsense"]))
        self.assertEqual(keys, [A])
        self.assertEqual([s.course_id for s in skipped], ["nonsense"])
        self.assertTrue(skipped[0].error.startswith("invalid_course: InvalidKeyError: "), skipped[0].error)

    def test_a_course_the_platform_no_longer_has_is_skipped(self):
        self.missing = {B}
        self.assertEqual(
            self.target(schedule([A, B])),
            ([A], [Skipped(B, "no such course: the platform has no course or CCX with this id")]),
        )

    def test_only_keeps_just_those_courses_and_their_skips(self):
        self.missing = {C}
        keys, skipped = self.target(schedule([A, B, C, "nonsense"]), only=[B, C])
        self.assertEqual(keys, [B])
        self.assertEqual([s.course_id for s in skipped], [C])

    def test_selected_courses_come_after_the_listed_ones_once(self):
        self.selected = [C, A]
        self.assertEqual(self.target(schedule([A, B], course_state="running")), ([A, B, C], []))

    def test_batches_of_the_given_size(self):
        self.selected = [C, "course-v1:edX+D+1", "course-v1:edX+E+1"]
        batches = list(target_batches(schedule([A, B]), size=2))
        self.assertEqual([[str(k) for k in keys] for keys, _ in batches],
                         [[A, B], [C, "course-v1:edX+D+1"], ["course-v1:edX+E+1"]])

    def test_no_courses(self):
        self.assertEqual(self.target(schedule([])), ([], []))


class CcxTests(TargetTestCase):
    ccxs = {A: [A_CCX1, A_CCX2]}

    def test_a_ccx_is_told_from_a_master(self):
        self.assertTrue(is_ccx(key(A_CCX1)))
        self.assertFalse(is_ccx(key(A)))

    def test_without_ccx_choices_the_listed_masters_only(self):
        self.assertEqual(self.target(schedule([A, B])), ([A, B], []))

    def test_include_ccx_runs_each_ccx_after_its_master(self):
        self.assertEqual(self.target(schedule([A, B], include_ccx=True)), ([A, A_CCX1, A_CCX2, B], []))

    def test_only_ccx_leaves_the_masters_out(self):
        self.assertEqual(self.target(schedule([A, B], only_ccx=True)), ([A_CCX1, A_CCX2], []))

    def test_a_listed_ccx_runs_once(self):
        self.assertEqual(self.target(schedule([A_CCX2, A], include_ccx=True)), ([A_CCX2, A, A_CCX1], []))

    def test_without_the_ccx_app_include_ccx_runs_the_masters(self):
        self.ccxs = LookupError("the CCX app (lms.djangoapps.ccx) is not installed")
        with self.assertLogs(target_courses.__module__, "WARNING"):
            self.assertEqual(self.target(schedule([A], include_ccx=True)), ([A], []))

    def test_without_the_ccx_app_only_ccx_skips_the_masters(self):
        self.ccxs = LookupError("the CCX app (lms.djangoapps.ccx) is not installed")
        with self.assertLogs(target_courses.__module__, "WARNING"):
            keys, skipped = self.target(schedule([A, A_CCX1], only_ccx=True))
        self.assertEqual(keys, [A_CCX1])
        self.assertEqual(
            skipped, [Skipped(A, "ccx_unavailable: the CCX app (lms.djangoapps.ccx) is not installed")]
        )
