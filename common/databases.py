"""The configured database's kind, and scratch databases of the same kind beside it.

A restore drill restores a backup into one; a soak or game-day stack runs on one. On SQLite a
scratch database is a file in the caller's directory; on PostgreSQL a database named
``<configured>_<suffix>`` on the same server, dropped and created fresh.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import environ
import psycopg
from django.conf import settings
from psycopg import sql


def database_vendor() -> str:
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else "sqlite"


def _server(config: dict) -> psycopg.Connection:
    """An autocommit connection to the PostgreSQL server of ``config`` (Django's database
    settings), on its maintenance database: databases are created and dropped from there."""
    return psycopg.connect(
        dbname="postgres",
        host=config.get("HOST") or "127.0.0.1",
        port=config.get("PORT") or 5432,
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        autocommit=True,
    )


def scratch_database_url(*, var_dir: Path, suffix: str) -> str:
    """A fresh, empty database, of the same kind as the configured one."""
    if database_vendor() != "postgresql":
        return f"sqlite:///{var_dir / 'stack.sqlite3'}"
    db = settings.DATABASES["default"]
    name = f"{db['NAME']}_{suffix}"
    with _server(db) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    auth = quote(db.get("USER") or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = db.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{db.get('PORT') or 5432}/{name}"


def scratch_database_drop(url: str) -> None:
    """Drop a scratch PostgreSQL database by its URL (a SQLite copy goes with its directory)."""
    config = environ.Env.db_url_config(url)
    with _server(config) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(config["NAME"])
            )
        )
