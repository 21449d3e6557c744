"""List generated reports whose file another course's report could have had (before 2.1)."""

from django.core.management.base import BaseCommand
from django.db.models import Count

from periodic_instructor_reports.models import ReportRunCourse
from periodic_instructor_reports.states import Outcome


class Command(BaseCommand):
    """Print the course rows that waited for one file name in one folder with another course's row."""

    help = (
        "List generated course reports that shared their folder and file name with another course's "
        "report (course ids the platform names alike, in by_date or flat folders, before 2.1): each "
        "such row may link the other course's file. Changes nothing."
    )

    def handle(self, *_args, **_options):
        generated = ReportRunCourse.objects.filter(outcome=Outcome.GENERATED, platform_path="").exclude(
            upload_parent_dir="").exclude(expected_name="")
        shared = generated.values("upload_parent_dir", "expected_name").annotate(
            courses=Count("course_id", distinct=True),
        ).filter(courses__gt=1).order_by("upload_parent_dir", "expected_name")
        found = 0
        for group in shared:
            rows = generated.filter(
                upload_parent_dir=group["upload_parent_dir"], expected_name=group["expected_name"],
            ).order_by("started_at", "pk").values_list("run_id", "pk", "course_id", "file_path")
            self.stdout.write(f"{group['upload_parent_dir']} {group['expected_name']}_*:")
            for run_id, row_id, course_id, file_path in rows:
                self.stdout.write(f"  run {run_id}, row {row_id}: {course_id} -> {file_path}")
                found += 1
        if found:
            self.stdout.write(f"{found} rows may link another course's file: check each file's content "
                              "before sharing it, and delete the rows (or their files) you cannot vouch for.")
        else:
            self.stdout.write("No generated report shared its folder and file name with another course's.")
