"""Run one report schedule now, for all or some of its courses, or show what it would call."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from periodic_instructor_reports import dispatch
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun


def describe_call(schedule, plan, call):
    """Return the report call of ``call`` as text, the request shown by its user id."""
    parts = [f"<request of user {schedule.owner_id}>"] if plan.leading else []
    parts.append(repr(str(call.course_key)))
    parts.extend(repr(argument) for argument in plan.arguments)
    parts.extend(f"{name}={value!r}" for name, value in call.kwargs.items())
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

    def handle(self, *args, **options):
        schedule = PeriodicReportSchedule.objects.select_related(
            "task", "owner", "crontab", "interval"
        ).filter(pk=options["schedule_id"]).first()
        if schedule is None:
            raise CommandError(f"There is no periodic report schedule {options['schedule_id']}.")
        courses = options["courses"]
        if courses:
            keys, skipped = dispatch.target_courses(schedule)
            known = {str(key) for key in keys} | {outcome.course_id for outcome in skipped}
            unknown = [course for course in courses if course not in known]
            if unknown:
                raise CommandError(
                    f"Not courses of schedule {schedule.pk}: {', '.join(unknown)}. "
                    f"Its courses are: {', '.join(sorted(known))}."
                )
        if options["dry_run"]:
            self.dry_run(schedule, courses)
        else:
            self.run(schedule, courses)

    def dry_run(self, schedule, courses):
        plan = dispatch.plan(schedule, moment=timezone.now(), only=courses)
        if plan.refusal:
            raise CommandError(f"Schedule {schedule.pk} would be refused: {plan.refusal}")
        for call in plan.calls:
            self.stdout.write(f"{call.course_key}: would call {describe_call(schedule, plan, call)}")
            self.stdout.write(f"    upload folder: {call.upload_parent_dir!r}"
                              if call.upload_parent_dir is not None
                              else "    upload folder: the platform's own (this report takes none)")
        for outcome in plan.skipped:
            self.stdout.write(f"{outcome.course_id}: would be skipped ({outcome.outcome}: {outcome.error})")
        self.stdout.write(f"Dry run: nothing was called for schedule {schedule.pk}.")

    def run(self, schedule, courses):
        summary = dispatch.run_schedule(schedule.pk, trigger=ReportRun.TRIGGER_MANUAL, only=courses)
        for course in summary["courses"]:
            detail = course["task_id"] or course["error"]
            line = f"{course['course_id']}: {course['outcome']}"
            self.stdout.write(f"{line} ({detail})" if detail else line)
        self.stdout.write(f"Schedule {schedule.pk}: {summary['status']}, run {summary['run_id']}.")
        if summary["status"] == dispatch.REFUSED:
            raise CommandError(f"Schedule {schedule.pk} was refused: {summary['error']}")
