"""Stand-in of ``lms.djangoapps.instructor_task.tasks_helper.utils`` for tests."""
from common.djangoapps.util.file import course_filename_prefix_generator

from lms.djangoapps.instructor_task.models import ReportStore


def report_filename(course_id, csv_name, timestamp, extension="csv"):
    """``{course_prefix}_{csv_name}_{%Y-%m-%d-%H%M}.csv``, as the platform names report files."""
    prefix = course_filename_prefix_generator(course_id)
    return f"{prefix}_{csv_name}_{timestamp.strftime('%Y-%m-%d-%H%M')}.{extension}"


def upload_csv_to_report_store(
    rows, csv_name, course_id, timestamp, config_name="GRADES_DOWNLOAD", parent_dir=""
):
    """Store ``rows`` as a report CSV; return the report's file name."""
    report_name = report_filename(course_id, csv_name, timestamp)
    ReportStore.from_config(config_name).store_rows(course_id, report_name, rows, parent_dir)
    return report_name


def upload_zip_to_report_store(file, zip_name, course_id, timestamp, config_name="GRADES_DOWNLOAD"):
    """Store the zip file-like ``file`` in the course's own folder (no ``parent_dir``); return its name."""
    report_name = report_filename(course_id, zip_name, timestamp, extension="zip")
    ReportStore.from_config(config_name).store(course_id, report_name, file)
    return report_name
