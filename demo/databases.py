"""The Django database of the demo and the integration suite: sqlite, PostgreSQL or MySQL/MariaDB."""

import os

import django

# Database servers: engine, default user, default port, connection options.
SERVERS = {
    "postgres": ("django.db.backends.postgresql", "postgres", "5432", {}),
    "mysql": ("django.db.backends.mysql", "root", "3306", {"charset": "utf8mb4"}),
}
KINDS = ("sqlite", *SERVERS)


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
    if kind not in SERVERS:
        raise ValueError(f"unknown database kind {kind!r}; use one of {', '.join(KINDS)}")
    engine, user, port, options = SERVERS[kind]
    return {
        "ENGINE": engine,
        "NAME": name,
        "USER": os.environ.get("DEMO_DB_USER", user),
        "PASSWORD": os.environ.get("DEMO_DB_PASSWORD", ""),
        "HOST": os.environ.get("DEMO_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DEMO_DB_PORT", port),
        "OPTIONS": dict(options),
    }
