"""The soak and game-day records moved from operations to the drills app without touching
their rows: runs recorded before the move read after it, and permissions granted on the old
content types still hold."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from drills.models import GameDay, SoakDailyReport, SoakRun
from tests.migration_moves import migrate

# serialized_rollback: a plain transactional flush re-creates content types, which would clash
# with the serialized data that later serialized_rollback tests (live server, worker) load.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrations_back_to_head"),
]
BEFORE = [
    ("operations", "0003_audit_models_to_audit_app"),
    ("drills", None),
    # At head already; named so the historical models are the current content types and auth.
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
]
AFTER = [
    ("operations", "0005_drill_models_to_drills_app"),
    ("drills", "0002_content_types_from_operations"),
]
T = datetime(2026, 3, 2, 21, tzinfo=UTC)


def _records(apps) -> None:
    """A finished soak run with its daily report and a game day, as operations stored them."""
    run = apps.get_model("operations", "SoakRun").objects.create(
        started_at=T,
        finished_at=T,
        status="passed",
        trading_days=1,
        instruments=3,
        speed=450.0,
        first_session=date(2026, 3, 2),
    )
    apps.get_model("operations", "SoakDailyReport").objects.create(
        soak_run=run,
        session=date(2026, 3, 2),
        cycles_expected=26,
        cycles_run=26,
        bars_expected=78,
        bars_stored=78,
        signals=78,
        orders=4,
        fills=4,
    )
    apps.get_model("operations", "GameDay").objects.create(
        scenario="worker-killed", started_at=T, finished_at=T, passed=True
    )


def _view_permission(apps, app_label: str, codename: str = "view_soakrun"):
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename=codename
    )


def test_rows_and_granted_permissions_survive_the_move():
    apps = migrate(BEFORE)
    _records(apps)
    old = _view_permission(apps, "operations")
    group = apps.get_model("auth", "Group").objects.create(name="drill reviewers")
    group.permissions.add(old)

    apps = migrate(AFTER)

    run = SoakRun.objects.get()
    assert (run.status, run.trading_days, run.first_session) == ("passed", 1, date(2026, 3, 2))
    assert SoakDailyReport.objects.get().soak_run_id == run.pk
    assert GameDay.objects.get().scenario == "worker-killed"
    moved = _view_permission(apps, "drills")
    assert (moved.pk, moved.content_type_id) == (old.pk, old.content_type_id)
    grants = apps.get_model("auth", "Group").objects.get(name="drill reviewers").permissions
    assert list(grants.all()) == [moved]
    content_types = apps.get_model("contenttypes", "ContentType").objects
    assert not content_types.filter(
        app_label="operations", model__in=("gameday", "soakrun", "soakdailyreport")
    ).exists()


def test_drills_content_types_made_before_the_move_are_merged_into_the_old_ones():
    apps = migrate(BEFORE)
    content_types = apps.get_model("contenttypes", "ContentType").objects
    permissions = apps.get_model("auth", "Permission").objects
    groups = apps.get_model("auth", "Group").objects
    old = _view_permission(apps, "operations", "view_gameday")
    groups.create(name="old grant").permissions.add(old)
    # What post_migrate would have made had it run with the drills app's models in place.
    early = content_types.create(app_label="drills", model="gameday")
    groups.create(name="new grant").permissions.add(
        permissions.create(content_type=early, codename="view_gameday", name="view")
    )

    apps = migrate(AFTER)

    content_types = apps.get_model("contenttypes", "ContentType").objects
    kept = content_types.get(app_label="drills", model="gameday")
    assert kept.pk == old.content_type_id != early.pk
    merged = _view_permission(apps, "drills", "view_gameday")
    assert merged.pk == old.pk
    for name in ("old grant", "new grant"):
        grants = apps.get_model("auth", "Group").objects.get(name=name).permissions.all()
        assert list(grants) == [merged]
