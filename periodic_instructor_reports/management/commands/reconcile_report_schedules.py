"""Make every report schedule own exactly one correct celery beat row."""

from django.core.management.base import BaseCommand

from periodic_instructor_reports import beat


class Command(BaseCommand):
    """Recreate missing beat rows, fix drifted ones and remove orphans; print what changed."""

    help = (
        "Recreate missing celery beat rows of periodic report schedules, fix drifted ones and "
        "remove orphans. Safe to run at any time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would change and change nothing."
        )

    def handle(self, *_args, **options):
        report = beat.reconcile_beat(dry_run=options["dry_run"])
        lines = report.lines()
        prefix = "would have " if options["dry_run"] else ""
        for line in lines:
            self.stdout.write(prefix + line)
        if not lines:
            self.stdout.write("Every schedule's beat row is in step; nothing to do.")
