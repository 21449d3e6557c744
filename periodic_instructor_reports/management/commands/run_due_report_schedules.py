"""Run every report schedule that is due: the cron fallback for sites without celery beat."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from periodic_instructor_reports import follow, retention
from periodic_instructor_reports.runs import due, fallback, recovery


class Command(BaseCommand):
    """Run the due schedules once per due time, follow up runs, and prune old runs when that job is due."""

    help = (
        "Run every periodic report schedule that is due, for sites that run no celery beat. "
        "Safe to run every minute from cron: a schedule never runs twice for one due time."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the schedules that are due and run nothing."
        )

    def handle(self, *_args, **options):
        now = timezone.now()
        if options["dry_run"]:
            for schedule, due_time in due.due_schedules(now=now):
                self.stdout.write(f"schedule {schedule.pk} is due for {due_time.isoformat()}")
            return
        for summary in fallback.run_due(now=now):
            counts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(summary["counts"].items()))
            self.stdout.write(
                f"schedule {summary['schedule_id']}: {summary['status']}"
                + (f" (run {summary['run_id']}: {counts})" if summary["run_id"] else "")
            )
        for run_id, status in recovery.resume_stalled(now=now, inline=True):
            self.stdout.write(f"resumed run {run_id}: {status}")
        ended = follow.follow_reports(now=now)
        if ended:
            ended_text = ", ".join(f"{count} {outcome}" for outcome, count in sorted(ended.items()))
            self.stdout.write(f"followed reports: {ended_text}")
        pruned = retention.prune_if_due(now=now)
        if pruned is not None:
            self.stdout.write(f"pruned {pruned} old runs")
