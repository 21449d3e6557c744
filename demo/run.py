"""
Run the demo: the admin site, one celery beat and one celery worker, until Ctrl-C.

It migrates the database, creates the admin account and sample data through the plugin's api,
starts the three processes and prints each report file as it appears. ``--check`` runs the
same in a fresh folder until report files exist in all three folder structures (and those of
the copied and the wrapped report's schedules), then stops
with exit code 0 (or 1, printing why): CI runs it so the demo cannot rot.

Usage: ``make demo`` (or ``.venv/bin/python demo/run.py [--port 8000] [--check]``).
"""

import argparse
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from demo import processes  # noqa: E402

SETTINGS = "demo.settings"


class Stop(Exception):
    """Ctrl-C or SIGTERM asked the launcher to stop."""


def _stop(signum, _frame):
    raise Stop(signal.Signals(signum).name)


def parse_args(argv):
    """Return the command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")), help="0 picks a free port"
    )
    parser.add_argument(
        "--dir", default=os.environ.get("DEMO_DIR"),
        help="folder for the database, broker, logs and reports "
        "(default var/demo; with --check a new temporary one)",
    )
    parser.add_argument(
        "--every", type=int, default=20, help="seconds between runs of each sample schedule"
    )
    parser.add_argument(
        "--check", action="store_true", help="stop once reports exist in all three structures"
    )
    parser.add_argument("--timeout", type=int, default=120, help="seconds --check waits for the reports")
    return parser.parse_args(argv)


def free_port():
    """Return a port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port, host="127.0.0.1"):
    """Return whether something listens on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((host, port)) == 0


def site_ready(url):
    """Return whether ``url`` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def prepare(demo_dir, every):
    """Migrate the database and seed the sample data in this process; return what was seeded."""
    os.environ["DEMO_DIR"] = str(demo_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    import django
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    django.setup()
    for folder in (settings.BROKER_DIR, settings.RESULTS_DIR, settings.REPORTS_DIR):
        Path(folder).mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    from demo.seed import seed

    seeded = seed(every_seconds=every)
    # The children open their own connections; sqlite should not see this process hold one.
    connections.close_all()
    return seeded


def report_files(reports_dir):
    """Return the report CSV files under ``reports_dir``, relative to it, sorted."""
    return sorted(str(path.relative_to(reports_dir)) for path in Path(reports_dir).rglob("*.csv"))


def missing_structures(reports_dir, folders):
    """Return the structures that have a folder pattern without any CSV file yet."""
    missing = []
    for structure, patterns in folders.items():
        if not all(any(Path(reports_dir).glob(f"{pattern}/*.csv")) for pattern in patterns):
            missing.append(structure)
    return missing


def banner(args, demo_dir, seeded, children):
    """Print where to look."""
    from demo.seed import DEMO_COURSE

    url = f"http://127.0.0.1:{args.port}/admin/"
    team = ", ".join(
        f"{username} / {password} ({role.replace('_', ' ') if role else 'a learner: refused'})"
        for username, password, role in seeded.course_team
    )
    print(f"""
Periodic instructor reports demo is running.

  admin site   {url}
  login        {seeded.admin_username} / {seeded.admin_password}
  learners     {", ".join(seeded.learners)} / {seeded.learner_password} (sign in at http://127.0.0.1:{args.port}/login/)
  course team  http://127.0.0.1:{args.port}/instructor-dashboard/{DEMO_COURSE}/scheduled_reports
               the "Scheduled reports" tab: {team}
  reports      {demo_dir / 'reports'}
  logs         {children.log_dir} (web.log, worker.log, beat.log)

Sample schedules run every {args.every} s; their folders, by structure:""")
    for structure, patterns in seeded.folders.items():
        print(f"  {structure:<8} " + ", ".join(patterns))
    if args.check:
        print(f"\nChecking: waiting up to {args.timeout} s for reports in all three structures "
              "(and of the copied and the wrapped report).", flush=True)
    else:
        print(f"\nBeat sends the first runs within {args.every} s; the worker then writes their files.")
        print(f"New report files are listed below. Ctrl-C stops every process. Options: "
              f"make demo DEMO_PORT={args.port} DEMO_DIR=... (see demo/run.py --help).\n", flush=True)


def generated_reports(after_pk=0):
    """Return ``[(row id, course id, file name, download URL)]`` of reports generated since ``after_pk``."""
    from django.db import connections

    from periodic_instructor_reports import delivery
    from periodic_instructor_reports.models import ReportRunCourse
    from periodic_instructor_reports.states import Outcome

    rows = ReportRunCourse.objects.filter(outcome=Outcome.GENERATED, pk__gt=after_pk).exclude(file_path="")
    found = [(pk, course_id, name, delivery.download_url(pk))
             for pk, course_id, name in rows.order_by("pk").values_list("pk", "course_id", "file_name")]
    connections.close_all()  # sqlite: hold no connection between looks
    return found


def watch(reports_dir, children, every):
    """
    Print each new report file and each generated report's download URL until stopped.

    Files and reports of earlier runs of the demo (kept in its folder) are counted, not listed again.
    Until the first new file appears, it says every 10 s what it waits for.
    """
    seen = set(report_files(reports_dir))
    earlier = generated_reports()
    last_row = earlier[-1][0] if earlier else 0
    if seen:
        print(f"  {len(seen)} report files of earlier runs are in {reports_dir}; new ones follow.",
              flush=True)
    started, said = time.monotonic(), 0
    while True:
        for name in report_files(reports_dir):
            if name not in seen:
                seen.add(name)
                said = None
                print(f"  new report: {name}", flush=True)
        for row_id, course_id, name, url in generated_reports(last_row):
            last_row = row_id
            print(f"  generated: {course_id} {name}\n    download: {url}", flush=True)
        waited = int(time.monotonic() - started)
        if said is not None and waited >= said + 10:
            said = waited
            print(f"  {waited} s: waiting for beat's first runs (due every {every} s) and the worker's "
                  "report files ...", flush=True)
        children.check_alive()
        time.sleep(2)


def demo_folder(args):
    """Return the demo's folder and whether it is a temporary one (``--check`` without ``--dir``)."""
    temporary = args.check and not args.dir
    if args.dir:
        return Path(args.dir).resolve(), temporary
    return (Path(tempfile.mkdtemp(prefix="pir-demo-")) if temporary else ROOT / "var" / "demo"), temporary


def run(args, demo_dir, children):
    """Prepare the site, start its processes and watch them (or, with ``--check``, check their reports)."""
    print(f"Preparing the demo database and sample data in {demo_dir} ...", flush=True)
    seeded = prepare(demo_dir, args.every)
    reports_dir = demo_dir / "reports"
    children.start("web", processes.runserver_command(args.port))
    children.start("worker", processes.worker_command(name="demo-worker@%h"))
    children.start("beat", processes.beat_command())
    processes.wait_for(
        lambda: site_ready(f"http://127.0.0.1:{args.port}/admin/login/"),
        timeout=60, what="the admin site", children=children,
    )
    banner(args, demo_dir, seeded, children)
    if not args.check:
        watch(reports_dir, children, args.every)
    check_reports(args, reports_dir, seeded, children)


def check_reports(args, reports_dir, seeded, children):
    """Wait for report files in every folder structure and a report followed to its file; list them."""
    processes.wait_for(
        lambda: not missing_structures(reports_dir, seeded.folders),
        timeout=args.timeout, what="report files in all three folder structures, copied and wrapped",
        children=children,
    )
    generated = processes.wait_for(
        generated_reports, timeout=args.timeout, what="a report followed to its file (generated)",
        children=children,
    )
    print("Demo check passed; report files:")
    for name in report_files(reports_dir):
        print(f"  {name}")
    print("Generated reports and their download URLs:")
    for _, course_id, name, url in generated:
        print(f"  {course_id} {name}\n    {url}")


def print_log_tails(children):
    """Print the end of each process's log, for a failed check."""
    for name in ("web", "worker", "beat"):
        tail = "\n".join(children.log(name).splitlines()[-40:])
        print(f"--- end of {name}.log\n{tail}", file=sys.stderr)


def shut_down(children, demo_dir, temporary, stopped):
    """Stop the processes (ignoring further signals meanwhile) and remove a temporary folder."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    children.stop()
    if temporary:
        shutil.rmtree(demo_dir, ignore_errors=True)
    if stopped:
        print(f"Demo stopped: the site, beat and worker are down; its files stay in {demo_dir}"
              if not temporary else "Demo stopped.", flush=True)


def main(argv=None):
    """Run the demo (or its check); return the exit code."""
    args = parse_args(argv)
    demo_dir, temporary = demo_folder(args)
    if args.port == 0:
        args.port = free_port()
    # The site's links (e-mails, download URLs) use the demo's own port.
    os.environ["DEMO_PORT"] = str(args.port)
    if port_in_use(args.port):
        print(f"Port {args.port} is in use: stop what listens there or choose another port, "
              f"e.g. make demo DEMO_PORT={args.port + 1} (demo/run.py --port).", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    stopped = False
    children = processes.Children(
        demo_dir / "logs", processes.project_env(SETTINGS, DEMO_DIR=demo_dir, DEMO_PORT=args.port),
    )
    try:
        run(args, demo_dir, children)
        return 0
    except Stop as stop:
        print(f"\n{stop}: stopping the demo ...", flush=True)
        stopped = True
        return 0
    except (processes.ChildExited, TimeoutError) as err:
        print(f"Demo failed: {err}", file=sys.stderr)
        if args.check:
            print_log_tails(children)
        return 1
    finally:
        shut_down(children, demo_dir, temporary, stopped)


if __name__ == "__main__":
    sys.exit(main())
