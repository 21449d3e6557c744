"""Stand-in of ``common.djangoapps.util.file`` for tests: how report file names start."""
from django.conf import settings
from django.utils.text import get_valid_filename


def course_filename_prefix_generator(course_id, separator="_"):
    """``org_course_run`` of ``course_id`` made a valid file name (CCX suffix behind a feature)."""
    filename = separator.join([course_id.org, course_id.course, course_id.run])
    features = getattr(settings, "FEATURES", {})
    if features.get("ENABLE_COURSE_FILENAME_CCX_SUFFIX", False) and getattr(course_id, "ccx", None):
        filename = separator.join([filename, "ccx", course_id.ccx])
    return get_valid_filename(filename)
