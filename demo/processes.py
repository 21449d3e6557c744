"""
Starting the site, celery beat and a celery worker as child processes, and stopping all of them.

Each child gets its own session (process group), so stopping it also stops what it started
(celery's pool processes) and a Ctrl-C in the terminal reaches only the launcher, which then
stops the children in order: beat first, so nothing new is sent, then the worker, then the site.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAND_IN = ROOT / "tests" / "stand_in"
DATABASE_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_APP = "lms.celery:APP"
# The LMS worker's queues for reports (high_mem: grade reports) and the default queue, where
# the dispatcher goes.
WORKER_QUEUES = ("edx.lms.core.default", "edx.lms.core.high_mem")


class ChildExited(RuntimeError):
    """A child process stopped while it should have been running."""


def project_env(settings_module, **extra):
    """Return the environment of a child: the repository and the stand-in importable, the settings."""
    env = dict(os.environ)
    paths = [str(ROOT), str(STAND_IN)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    env["PYTHONUNBUFFERED"] = "1"
    env.update({key: str(value) for key, value in extra.items()})
    return env


def beat_command(loglevel="info"):
    """Return the command of the one celery beat, with the database scheduler."""
    return [
        sys.executable, "-m", "celery", "-A", CELERY_APP, "beat", "-S", DATABASE_SCHEDULER, "-l", loglevel,
    ]


def worker_command(*, name, concurrency=2, loglevel="info"):
    """Return the command of a worker consuming the LMS queues reports and the dispatcher use."""
    return [
        sys.executable, "-m", "celery", "-A", CELERY_APP, "worker", "-l", loglevel,
        "-Q", ",".join(WORKER_QUEUES), "-c", str(concurrency), "-n", name,
        # No other workers to meet: skip the start-up handshake and the chatter.
        "--without-gossip", "--without-mingle",
    ]


def runserver_command(port):
    """Return the command of Django's development server for the admin, on 127.0.0.1."""
    return [sys.executable, "-m", "django", "runserver", "--noreload", f"127.0.0.1:{port}"]


class Children:
    """Named child processes writing to one log file each."""

    def __init__(self, log_dir, env):
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = env
        self.processes = {}

    def start(self, name, command):
        """Start ``command`` as the child ``name``; its output goes to ``<log_dir>/<name>.log``."""
        with open(self.log_path(name), "ab") as log_file:
            self.processes[name] = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        return self.processes[name]

    def log_path(self, name):
        """Return the log file of child ``name``."""
        return self.log_dir / f"{name}.log"

    def log(self, name):
        """Return what child ``name`` has written so far."""
        try:
            return self.log_path(name).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def check_alive(self):
        """
        Raise if a child has stopped.

        Raises:
            ChildExited: naming the child, its exit code and the end of its log.
        """
        for name, process in self.processes.items():
            code = process.poll()
            if code is not None:
                tail = "\n".join(self.log(name).splitlines()[-30:])
                raise ChildExited(f"{name} exited with code {code}; end of {self.log_path(name)}:\n{tail}")

    def stop(self, timeout=20):
        """
        Stop every child, newest first: SIGTERM, then SIGKILL to its process group if needed.

        SIGTERM goes to the child alone: a celery worker's warm shutdown stops its own pool.
        """
        for name in reversed(list(self.processes)):
            process = self.processes[name]
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            # Whatever it started and left behind (a pool process) goes too.
            _signal_group(process, signal.SIGKILL)
        self.processes.clear()


def _signal_group(process, signum):
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass


def wait_for(condition, *, timeout, what, children=None, interval=0.25):
    """
    Poll ``condition`` until it returns something true and return that.

    Raises:
        TimeoutError: ``timeout`` seconds passed; the message says what was awaited.
        ChildExited: a child stopped meanwhile.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if children is not None:
            children.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(interval)
