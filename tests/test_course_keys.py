"""
A run's course keys are the keys ``CourseKey.from_string`` gives, whatever the id (ADR 0029).

``courses.course_key`` builds the common ``course-v1:org+course+run`` from its parts; every id,
well formed or not, must get the key parsing gives it, of the same class, or the same refusal.
"""

from django.test import SimpleTestCase
from hypothesis import example, given, settings
from hypothesis import strategies as st
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports.courses import course_key

PARTS = st.one_of(
    st.text(alphabet="aZ09_-~.:", min_size=1, max_size=5),
    st.sampled_from(["", " ", "a b", "a\n", "\n", "é", "ß", "a/b", "a%20", "a@b", "branch@x",
                     "version@519665f6223ebd6980884f2b", "ccx@3", "+", "a+b"]),
)
IDS = st.builds(
    lambda namespace, parts: namespace + "+".join(parts),
    st.sampled_from(["course-v1:", "ccx-v1:", "library-v1:", "", "course-v1", "Course-v1:", "course-v1::"]),
    st.lists(PARTS, min_size=0, max_size=5),
)


def parsed(course_id):
    """Return ``(class, key)`` of what the function gives, or ``(InvalidKeyError, None)``."""
    try:
        key = CourseKey.from_string(course_id)
    except InvalidKeyError:
        return InvalidKeyError, None
    return type(key), key


def built(course_id):
    try:
        key = course_key(course_id)
    except InvalidKeyError:
        return InvalidKeyError, None
    return type(key), key


class CourseKeyTests(SimpleTestCase):

    @settings(max_examples=600, deadline=None)
    @given(IDS)
    @example("course-v1:edX+DemoX+Demo_Course")
    @example("course-v1:edX+DemoX+Demo_Course+branch@published")
    @example("course-v1:edX+DemoX+Demo_Course+version@519665f6223ebd6980884f2b")
    @example("ccx-v1:edX+DemoX+Demo_Course+ccx@3")
    @example("edX/DemoX/Demo_Course")
    @example("course-v1:edX+DemoX+")
    @example("course-v1:edX+DemoX+Demo\n")
    @example("course-v1:édX+Démo+2026")
    @example("course-v1:a:b+c+d")
    def test_same_key_as_parsing(self, course_id):
        expected, got = parsed(course_id), built(course_id)
        self.assertEqual(got, expected)
        if expected[1] is not None:
            self.assertEqual(str(got[1]), str(expected[1]))
            self.assertEqual(got[1].deprecated, expected[1].deprecated)

    def test_refusal_names_the_id(self):
        with self.assertRaises(InvalidKeyError) as caught:
            course_key("course-v1:edX+Demo X+2026")
        self.assertIn("course-v1:edX+Demo X+2026", str(caught.exception))
