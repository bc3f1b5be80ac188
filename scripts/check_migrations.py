#!/usr/bin/env python3
"""Migration promotion checks (docs/release.md), run by .ci/run on PostgreSQL.

    scripts/check_migrations.py lint     released migrations unchanged; every migration since
                                         the previous release passes django-migration-linter,
                                         unless marked as an approved contract step
    scripts/check_migrations.py apply    a scratch database at the previous release's schema
                                         (``migrate <app> <released>`` per app), then
                                         ``migrate`` to head, then ``makemigrations --check``
    scripts/check_migrations.py all      both
    scripts/check_migrations.py record --release NAME
                                         at a release: write release/migrations.json from the
                                         migrations on disk (approved marks are kept)

"Previous release" is release/migrations.json: each app's last released migration and the
sha256 of every released migration file. Exit 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "release" / "migrations.json"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.test")


def _django() -> None:
    import django

    django.setup()


def project_migrations() -> dict[tuple[str, str], Path]:
    """Every migration file of the project's own apps, by (app, name)."""
    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    # The project's own apps sit at the top of the repository; libraries live in the venv.
    ours = {c.label: Path(c.path) for c in apps.get_app_configs() if Path(c.path).parent == ROOT}
    return {
        (app, name): ours[app] / "migrations" / f"{name}.py"
        for app, name in loader.disk_migrations
        if app in ours
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    return json.loads(path.read_text())


def released_changes(manifest: dict[str, Any]) -> list[str]:
    """Released migrations edited or deleted since the release: never allowed, since every
    database already ran the released text."""
    on_disk = {f"{a}.{n}": p for (a, n), p in project_migrations().items()}
    problems = []
    for key, digest in sorted(manifest["released_sha256"].items()):
        path = on_disk.get(key)
        if path is None:
            problems.append(f"{key}: released, now missing")
        elif _sha256(path) != digest:
            problems.append(f"{key}: released, now edited (sha256 differs)")
    return problems


def unreleased(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    released = set(manifest["released_sha256"])
    return sorted(k for k in project_migrations() if f"{k[0]}.{k[1]}" not in released)


def lint(manifest: dict[str, Any]) -> list[str]:
    """django-migration-linter over every unreleased migration that is not an approved
    contract step; returns the ones with errors (backward-incompatible operations)."""
    from django.db.migrations.loader import MigrationLoader
    from django_migration_linter import MigrationLinter

    approved = manifest.get("approved_incompatible", {})
    linter = MigrationLinter(no_cache=True)
    loader = MigrationLoader(None, ignore_no_migrations=True)
    flagged = []
    for app, name in unreleased(manifest):
        if f"{app}.{name}" in approved:
            print(f"({app}, {name})... approved contract step: {approved[f'{app}.{name}']}")
            continue
        before = linter.nb_erroneous
        linter.lint_migration(loader.disk_migrations[(app, name)])
        if linter.nb_erroneous > before:
            flagged.append(f"{app}.{name}")
    return flagged


def _lint_problems(manifest: dict[str, Any]) -> list[str]:
    from django.db import connection

    if connection.vendor != "postgresql":
        # SQLite rebuilds tables for most changes, so its analysis flags safe migrations.
        return ["lint needs DATABASE_URL on PostgreSQL, the production database"]
    return [f"{m}: backward-incompatible, not marked (docs/release.md)" for m in lint(manifest)]


def _scratch_database_url() -> tuple[str, Any]:
    """A fresh database next to the configured one; returns its URL and a cleanup."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    name = f"migcheck_{uuid.uuid4().hex[:10]}"
    if db["ENGINE"].endswith("sqlite3"):
        path = Path(settings.VAR_DIR) / f"{name}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    import psycopg

    conninfo = {
        "host": db["HOST"] or "127.0.0.1",
        "port": db["PORT"] or 5432,
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "dbname": "postgres",
    }

    def run(sql: str) -> None:
        with psycopg.connect(**conninfo, autocommit=True) as conn:
            conn.execute(sql)

    run(f'CREATE DATABASE "{name}"')
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    url = f"postgres://{db['USER']}{password}@{conninfo['host']}:{conninfo['port']}/{name}"
    return url, lambda: run(f'DROP DATABASE IF EXISTS "{name}"')


def _manage(url: str, *args: str) -> None:
    print("$ manage.py", " ".join(args), flush=True)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True
    )


def apply(manifest: dict[str, Any]) -> list[str]:
    """Previous release's schema, then head, on a scratch database."""
    url, cleanup = _scratch_database_url()
    try:
        for app, migration in sorted(manifest["released"].items()):
            _manage(url, "migrate", app, migration, "--noinput")
        _manage(url, "migrate", "--noinput")
        _manage(url, "makemigrations", "--check", "--dry-run")
    except subprocess.CalledProcessError as exc:
        return [f"{' '.join(exc.cmd[2:])} failed with exit status {exc.returncode}"]
    finally:
        cleanup()
    return []


def record(release: str, path: Path = MANIFEST) -> dict[str, Any]:
    """The manifest of a release: the migrations on disk now are the released ones."""
    migrations = project_migrations()
    latest: dict[str, str] = {}
    for app, name in sorted(migrations):
        latest[app] = name  # names sort by their number prefix
    previous = load_manifest(path) if path.exists() else {}
    manifest = {
        "release": release,
        "released": latest,
        "released_sha256": {f"{a}.{n}": _sha256(p) for (a, n), p in sorted(migrations.items())},
        "approved_incompatible": previous.get("approved_incompatible", {}),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["lint", "apply", "all", "record"])
    parser.add_argument("--release", help="release name, for record")
    args = parser.parse_args(argv)
    _django()
    if args.command == "record":
        if not args.release:
            parser.error("record needs --release NAME")
        print(f"recorded {MANIFEST.relative_to(ROOT)} for {record(args.release)['release']}")
        return 0
    manifest = load_manifest()
    problems = released_changes(manifest)
    if args.command in ("lint", "all"):
        problems += [
            f"{m}: backward-incompatible, not marked (docs/release.md)" for m in lint(manifest)
        ]
    if args.command in ("apply", "all"):
        problems += apply(manifest)
    for problem in problems:
        print(f"migrations: {problem}", file=sys.stderr)
    print(f"migrations: {'FAIL' if problems else 'ok'} against release {manifest['release']}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
