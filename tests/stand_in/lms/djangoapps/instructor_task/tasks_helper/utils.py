"""
Stand-in of ``lms.djangoapps.instructor_task.tasks_helper.utils`` for tests.

``course_filename_prefix_generator`` lives in ``common.djangoapps.util.file`` in the platform.
"""
from django.conf import settings
from django.utils.text import get_valid_filename

from lms.djangoapps.instructor_task.models import ReportStore


def course_filename_prefix_generator(course_id, separator="_"):
    """``org_course_run`` of ``course_id`` made a valid file name (CCX suffix behind a feature)."""
    filename = separator.join([course_id.org, course_id.course, course_id.run])
    features = getattr(settings, "FEATURES", {})
    if features.get("ENABLE_COURSE_FILENAME_CCX_SUFFIX", False) and getattr(course_id, "ccx", None):
        filename = separator.join([filename, "ccx", course_id.ccx])
    return get_valid_filename(filename)


def report_filename(course_id, csv_name, timestamp):
    """``{course_prefix}_{csv_name}_{%Y-%m-%d-%H%M}.csv``, as the platform names report files."""
    prefix = course_filename_prefix_generator(course_id)
    return f"{prefix}_{csv_name}_{timestamp.strftime('%Y-%m-%d-%H%M')}.csv"


def upload_csv_to_report_store(
    rows, csv_name, course_id, timestamp, config_name="GRADES_DOWNLOAD", parent_dir=""
):
    """Store ``rows`` as a report CSV; return the report's file name."""
    report_name = report_filename(course_id, csv_name, timestamp)
    ReportStore.from_config(config_name).store_rows(course_id, report_name, rows, parent_dir)
    return report_name
