"""The Django database of the demo and the integration suite: sqlite, PostgreSQL or MySQL/MariaDB."""

import os

import django

KINDS = ("sqlite", "postgres", "mysql")


def database(kind, *, name, sqlite_path=None):
    """
    Return a ``DATABASES`` entry for ``kind`` (sqlite, postgres or mysql).

    Server settings come from ``DEMO_DB_HOST``, ``DEMO_DB_PORT``, ``DEMO_DB_USER`` and
    ``DEMO_DB_PASSWORD``, defaulting to the local services CI runs (trust/no-password root).

    Raises:
        ValueError: an unknown kind.
    """
    if kind == "sqlite":
        options = {"timeout": 30}
        if django.VERSION >= (5, 1):
            # Beat, the worker and the admin write at once: WAL lets readers go on meanwhile and
            # IMMEDIATE transactions wait for the lock instead of failing with "database is locked".
            options.update(init_command="PRAGMA journal_mode=WAL;", transaction_mode="IMMEDIATE")
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(sqlite_path), "OPTIONS": options}
    if kind == "postgres":
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": os.environ.get("DEMO_DB_USER", "postgres"),
            "PASSWORD": os.environ.get("DEMO_DB_PASSWORD", ""),
            "HOST": os.environ.get("DEMO_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DEMO_DB_PORT", "5432"),
        }
    if kind == "mysql":
        return {
            "ENGINE": "django.db.backends.mysql",
            "NAME": name,
            "USER": os.environ.get("DEMO_DB_USER", "root"),
            "PASSWORD": os.environ.get("DEMO_DB_PASSWORD", ""),
            "HOST": os.environ.get("DEMO_DB_HOST", "127.0.0.1"),
            "PORT": os.environ.get("DEMO_DB_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
        }
    raise ValueError(f"unknown database kind {kind!r}; use one of {', '.join(KINDS)}")
