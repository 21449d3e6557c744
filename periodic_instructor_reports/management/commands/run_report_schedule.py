"""Run one report schedule now, for all or some of its courses, or show what it would call."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from periodic_instructor_reports import courses
from periodic_instructor_reports.exceptions import ProfileColumnsError
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRunCourse
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.runs.plan import plan as plan_run
from periodic_instructor_reports.states import Dispatch, Trigger


def describe_call(schedule, plan, course_key, kwargs):
    """Return the report call for one course as text, the request shown by its user id."""
    parts = [f"<request of user {schedule.owner_id}>"] if plan.leading else []
    parts.append(repr(str(course_key)))
    parts.extend(repr(argument) for argument in plan.arguments)
    parts.extend(f"{name}={value!r}" for name, value in kwargs.items())
    return f"{schedule.task.path}({', '.join(parts)})"


class Command(BaseCommand):
    """Run a schedule now (recorded as a manual run), even a paused one."""

    help = (
        "Run a periodic report schedule now, for all its courses or those given with --course. "
        "Paused schedules run too. With --dry-run, print each call and upload folder instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("schedule_id", type=int, help="The id of the schedule.")
        parser.add_argument(
            "--course", action="append", dest="courses", metavar="ID",
            help="Run only for this course or CCX id of the schedule; repeat for more.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the calls that would be made; call nothing."
        )

    def handle(self, *_args, **options):
        schedule = PeriodicReportSchedule.objects.select_related(
            "task", "owner", "crontab", "interval"
        ).filter(pk=options["schedule_id"]).first()
        if schedule is None:
            raise CommandError(f"There is no periodic report schedule {options['schedule_id']}.")
        only = options["courses"]
        if only:
            keys, skipped = courses.target_courses(schedule)
            known = {str(key) for key in keys} | {item.course_id for item in skipped}
            unknown = [course for course in only if course not in known]
            if unknown:
                raise CommandError(
                    f"Not courses of schedule {schedule.pk}: {', '.join(unknown)}. "
                    f"Its courses are: {', '.join(sorted(known))}."
                )
        if options["dry_run"]:
            self.dry_run(schedule, only)
        else:
            self.run(schedule, only)

    def dry_run(self, schedule, only):
        plan = plan_run(schedule, moment=timezone.now())
        if plan.refusal:
            raise CommandError(f"Schedule {schedule.pk} would be refused: {plan.refusal}")
        keys, skipped = courses.target_courses(schedule, only)
        for key in keys:
            try:
                kwargs, folder = plan.call_for(key)
            except ProfileColumnsError as err:
                self.stdout.write(f"{key}: would fail (profile_columns: {err})")
                continue
            self.stdout.write(f"{key}: would call {describe_call(schedule, plan, key, kwargs)}")
            if folder is None:
                self.stdout.write("    upload folder: the platform's own (this report takes none)")
            elif plan.copy:
                self.stdout.write(f"    upload folder: {folder!r} (copied there from the course's "
                                  "folder once generated)")
            else:
                self.stdout.write(f"    upload folder: {folder!r}")
        for item in skipped:
            self.stdout.write(f"{item.course_id}: would be skipped ({item.error})")
        self.stdout.write(f"Dry run: nothing was called for schedule {schedule.pk}.")

    def run(self, schedule, only):
        summary = dispatch.run_schedule(schedule.pk, trigger=Trigger.MANUAL, only=only)
        if summary["run_id"]:
            rows = ReportRunCourse.objects.filter(run_id=summary["run_id"]).order_by("pk")
            fields = ("course_id", "outcome", "task_id", "error")
            for course_id, outcome, task_id, error in rows.values_list(*fields):
                detail = task_id or error
                line = f"{course_id}: {outcome}"
                self.stdout.write(f"{line} ({detail})" if detail else line)
        self.stdout.write(f"Schedule {schedule.pk}: {summary['status']}, run {summary['run_id']}.")
        if summary["status"] == Dispatch.REFUSED:
            raise CommandError(f"Schedule {schedule.pk} was refused: {summary['error']}")
