"""Scratch state for a stack: a database and a broker of its own, mirroring the configured kind.

On SQLite the stack gets a file in its scratch directory; on PostgreSQL a database named
``<configured>_<suffix>`` on the same server (dropped and created fresh); on Redis a private
``redis-server`` on a free port (so a game day may restart it without touching anyone else's);
otherwise the filesystem broker under the scratch directory.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings
from psycopg import sql


def database_vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite"


def broker_kind() -> str:
    return "redis" if settings.CELERY_BROKER_URL.startswith("redis") else "filesystem"


def scratch_database_url(*, var_dir: Path, suffix: str) -> str:
    """A fresh, empty database for the stack, of the same kind as the configured one."""
    if database_vendor() != "postgresql":
        return f"sqlite:///{var_dir / 'stack.sqlite3'}"
    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_{suffix}"
    with psycopg.connect(
        dbname="postgres",
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        user=db.get("USER") or "postgres",
        password=db.get("PASSWORD") or None,
        autocommit=True,
    ) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{name}"


def default_broker() -> str:
    """The Alpaca-protocol simulator when execution ships it, else the in-process paper broker."""
    from django.core.management import get_commands

    return "simulator" if "run_broker_simulator" in get_commands() else "paper"


def private_redis_wanted() -> bool:
    return broker_kind() == "redis" and shutil.which("redis-server") is not None
