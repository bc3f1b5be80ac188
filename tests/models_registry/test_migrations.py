"""The foundation's is_champion flag becomes a champion alias, and back on reverse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# serialized_rollback: a plain transactional flush re-creates content types, which would clash
# with the serialized data that later serialized_rollback tests (live server, worker) load.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
BEFORE = [("models_registry", "0002_lineage_aliases_drift")]
AFTER = [("models_registry", "0004_drop_champion_flag")]
T = datetime(2026, 3, 2, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def version(apps, registered, number: int, champion: bool):
    return apps.get_model("models_registry", "ModelVersion").objects.create(
        registered_model=registered,
        version=number,
        algorithm="logistic_regression",
        timeframe="1m",
        train_start=T,
        train_end=T,
        holdout_start=T,
        holdout_end=T,
        train_rows=1,
        holdout_rows=1,
        artifact_path="x",
        artifact_sha256="0" * 64,
        is_champion=champion,
    )


def test_each_flagged_champion_becomes_its_models_champion_alias_and_reverses():
    apps = migrate(BEFORE)
    registered = apps.get_model("models_registry", "RegisteredModel").objects.create(name="m")
    version(apps, registered, 1, champion=False)
    flagged = version(apps, registered, 2, champion=True)

    apps = migrate(AFTER)
    aliases = apps.get_model("models_registry", "ModelAlias").objects.all()
    event = apps.get_model("models_registry", "PromotionEvent").objects.get()
    ever = apps.get_model("models_registry", "ModelVersion").objects.get(pk=flagged.pk)

    assert [(a.alias, a.model_version_id) for a in aliases] == [("champion", flagged.pk)]
    assert (event.action, event.actor_name) == ("bootstrap", "migration")
    assert ever.ever_champion

    apps = migrate(BEFORE)
    flags = apps.get_model("models_registry", "ModelVersion").objects.order_by("version")
    assert [v.is_champion for v in flags] == [False, True]
    migrate(AFTER)
