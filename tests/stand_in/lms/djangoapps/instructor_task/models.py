"""
Stand-in of ``lms.djangoapps.instructor_task.models`` for tests.

``InstructorTask`` is the row each report submission creates; ``ReportStore`` is where report
files go (the ``GRADES_DOWNLOAD`` storage, one directory per course unless ``parent_dir`` is given).
"""
import csv
import hashlib
import io
import json
import os.path
from uuid import uuid4

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.utils.module_loading import import_string
from opaque_keys.edx.django.models import CourseKeyField

# States of the platform's own besides Celery's (PENDING, STARTED, SUCCESS, FAILURE, REVOKED...).
QUEUING = "QUEUING"
PROGRESS = "PROGRESS"
SCHEDULED = "SCHEDULED"
TASK_INPUT_LENGTH = 10000
# What the platform keeps of a task's output (the column holds 1024 characters).
OUTPUT_LENGTH = 1023


class InstructorTask(models.Model):
    """One background task submitted by course staff (here: a report)."""

    task_type = models.CharField(max_length=50, db_index=True)
    course_id = CourseKeyField(max_length=255, db_index=True)
    task_key = models.CharField(max_length=255, db_index=True)
    task_input = models.TextField()
    task_id = models.CharField(max_length=255, db_index=True)
    task_state = models.CharField(max_length=50, null=True, db_index=True)  # noqa: DJ001
    task_output = models.CharField(max_length=1024, null=True)  # noqa: DJ001
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created = models.DateTimeField(auto_now_add=True, null=True)
    updated = models.DateTimeField(auto_now=True)
    subtasks = models.TextField(blank=True)

    class Meta:
        app_label = "instructor_task"

    def __str__(self):
        return f"InstructorTask<{self.task_type} {self.course_id} {self.task_state}>"

    @classmethod
    def create(cls, course_id, task_type, task_key, task_input, requester):
        """Save a QUEUING row with a fresh uuid ``task_id``; refuse a too long ``task_input``."""
        json_task_input = json.dumps(task_input)
        if len(json_task_input) > TASK_INPUT_LENGTH:
            # The platform raises AttributeError here (sic).
            raise AttributeError("An error has occurred. Task was not created.")
        instructor_task = cls(
            course_id=course_id,
            task_type=task_type,
            task_id=str(uuid4()),
            task_key=task_key,
            task_input=json_task_input,
            task_state=QUEUING,
            requester=requester,
        )
        instructor_task.save_now()
        return instructor_task

    @transaction.atomic
    def save_now(self):
        """Save the row in an atomic block of its own (a savepoint in ``submit_task``'s), as the LMS does."""
        self.save()

    @staticmethod
    def create_output_for_success(returned_result):
        """Return the result as JSON; a ``ValueError`` when it does not fit the column (1023 characters)."""
        json_output = json.dumps(returned_result)
        if len(json_output) > OUTPUT_LENGTH:
            raise ValueError(f"Length of task output is too long: {json_output}")
        return json_output

    @staticmethod
    def create_output_for_failure(exception, traceback_string):
        """
        Return ``{"exception", "message", "traceback"}`` as JSON, within the column.

        As the platform: the traceback loses its start (or goes) first, then the message its
        start; a shortened value ends in "...".
        """
        output = {"exception": type(exception).__name__, "message": str(exception)}
        if traceback_string is not None:
            output["traceback"] = traceback_string
        for name in ("traceback", "message"):
            excess = len(json.dumps(output)) - OUTPUT_LENGTH
            if excess <= 0 or name not in output:
                continue
            keep = len(output[name]) - excess - len("...")
            if keep > 0:
                output[name] = output[name][-keep:] + "..."
            elif name == "traceback":
                del output[name]
            else:
                output[name] = "..."
        return json.dumps(output)


class ReportStore:
    """Fetch and store report CSV files through a Django storage."""

    @classmethod
    def from_config(cls, config_name):
        """Build the store from the setting ``config_name`` (e.g. ``GRADES_DOWNLOAD``)."""
        config = getattr(settings, config_name, {})
        storage_type = config.get("STORAGE_TYPE", "").lower()
        if storage_type == "s3":
            return DjangoStorageReportStore(
                "storages.backends.s3boto3.S3Boto3Storage",
                {
                    "bucket_name": config["BUCKET"], "location": config["ROOT_PATH"],
                    "custom_domain": config.get("CUSTOM_DOMAIN", None), "querystring_expire": 300,
                    "gzip": True,
                },
            )
        if storage_type == "localfs":
            return DjangoStorageReportStore(
                "django.core.files.storage.FileSystemStorage", {"location": config["ROOT_PATH"]}
            )
        return DjangoStorageReportStore(config.get("STORAGE_CLASS"), config.get("STORAGE_KWARGS"))


class DjangoStorageReportStore(ReportStore):
    """The only kind of ``ReportStore`` the platform builds today."""

    def __init__(self, storage_class=None, storage_kwargs=None):
        if storage_class:
            self.storage = import_string(storage_class)(**(storage_kwargs or {}))
        else:
            self.storage = default_storage

    def path_to(self, course_id, filename="", parent_dir=""):
        """Path of ``filename``: in ``parent_dir`` if given, else in the course's sha1 dir."""
        hashed_course_id = hashlib.sha1(str(course_id).encode("utf-8")).hexdigest()
        directory = parent_dir if parent_dir else hashed_course_id
        return os.path.join(directory, filename)

    def store(self, course_id, filename, buff, parent_dir=""):
        """Save the text or binary file-like ``buff``; return nothing (the platform's returns None)."""
        data = buff.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.storage.save(self.path_to(course_id, filename, parent_dir), ContentFile(data))

    def store_rows(self, course_id, filename, rows, parent_dir=""):
        """Write ``rows`` (iterables of values) as a CSV file."""
        text = io.StringIO(newline="")
        csv.writer(text).writerows([str(item) for item in row] for row in rows)
        text.seek(0)
        self.store(course_id, filename, text, parent_dir)

    def links_for(self, course_id):
        """``(filename, url)`` of the course's hashed directory, newest first (the dashboard)."""
        course_dir = self.path_to(course_id)
        try:
            _, filenames = self.storage.listdir(course_dir)
        except OSError:
            return []
        files = [(name, os.path.join(course_dir, name)) for name in filenames]
        files.sort(key=lambda item: self.storage.get_modified_time(item[1]), reverse=True)
        return [(name, self.storage.url(path)) for name, path in files]
