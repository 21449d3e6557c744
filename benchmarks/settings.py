"""
Settings of the benchmark: the test settings, with reports sent to a real broker.

The platform stand-in's ``submit_task`` then does what the LMS does for each course: look for an
unfinished task row, insert one, publish one message (on Redis, ``PIR_BENCH_BROKER``). The
database is ``PIR_TEST_DB``'s, named ``test_pir_bench`` (created and dropped by the benchmark).
"""

import os

os.environ.setdefault("PIR_DB_NAME", "pir_bench")

from test_settings import *  # noqa: E402,F401,F403

CELERY_ALWAYS_EAGER = False
BROKER_URL = os.environ.get("PIR_BENCH_BROKER", "redis://127.0.0.1:6379/12")
