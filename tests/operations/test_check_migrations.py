"""scripts/check_migrations.py: released migrations stay as released, unreleased ones pass
django-migration-linter unless marked, and a manifest is recorded at each release."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
from pathlib import Path

import pytest
from django.db import connection

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_migrations.py"
spec = importlib.util.spec_from_file_location("check_migrations", SCRIPT)
check = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = check
spec.loader.exec_module(check)

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the linter judges PostgreSQL's SQL; CI runs this on its PostgreSQL pass",
)


@pytest.fixture
def manifest() -> dict:
    return check.load_manifest()


def test_the_committed_manifest_matches_the_released_migrations(manifest):
    assert check.released_changes(manifest) == []
    assert set(manifest["released"]) >= {"marketdata", "models_registry", "risk", "execution"}


def test_an_edited_or_deleted_released_migration_is_reported(manifest):
    edited = copy.deepcopy(manifest)
    edited["released_sha256"]["risk.0001_initial"] = "0" * 64
    edited["released_sha256"]["risk.0099_gone"] = "0" * 64

    assert check.released_changes(edited) == [
        "risk.0001_initial: released, now edited (sha256 differs)",
        "risk.0099_gone: released, now missing",
    ]


def test_migrations_since_the_release_are_the_unreleased_ones(manifest):
    assert ("operations", "0001_initial") in check.unreleased(manifest)
    assert ("risk", "0001_initial") not in check.unreleased(manifest)


def test_record_writes_every_migration_on_disk_and_keeps_approved_marks(tmp_path, manifest):
    path = tmp_path / "migrations.json"
    path.write_text(json.dumps({**manifest, "approved_incompatible": {"a.0002_x": "contract"}}))

    recorded = check.record("2026.12.0", path)

    assert json.loads(path.read_text()) == recorded
    assert recorded["release"] == "2026.12.0"
    assert recorded["approved_incompatible"] == {"a.0002_x": "contract"}
    on_disk = sorted(name for app, name in check.project_migrations() if app == "operations")
    assert recorded["released"]["operations"] == on_disk[-1]
    assert recorded["released_sha256"].keys() >= {f"operations.{n}" for n in on_disk}
    assert check.unreleased(recorded) == []


@on_postgresql
@pytest.mark.django_db
def test_a_dropped_column_is_flagged_unless_marked_as_an_approved_contract_step(manifest):
    # models_registry 0004 drops a column: safe only once no running code reads it.
    as_if_unreleased = copy.deepcopy(manifest)
    for key in [k for k in as_if_unreleased["released_sha256"] if k.startswith("models_reg")]:
        del as_if_unreleased["released_sha256"][key]
    marked = copy.deepcopy(as_if_unreleased)
    marked["approved_incompatible"]["models_registry.0004_drop_champion_flag"] = "contract"

    assert "models_registry.0004_drop_champion_flag" in check.lint(as_if_unreleased)
    assert "models_registry.0004_drop_champion_flag" not in check.lint(marked)
    assert check.lint(manifest) == []
