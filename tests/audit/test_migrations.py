"""The audit models moved from operations to the audit app without touching their rows: a
chain written before the move verifies after it, and permissions granted on the old content
types still hold."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from audit import chain as hash_chain
from audit.services import audit_chain_verify
from tests.migration_moves import migrate

# serialized_rollback: a plain transactional flush re-creates content types, which would clash
# with the serialized data that later serialized_rollback tests (live server, worker) load.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("migrations_back_to_head"),
]
BEFORE = [
    ("operations", "0002_database_backup_restore_drill"),
    ("audit", None),
    # At head already; named so the historical models are the current content types and auth.
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
]
AFTER = [
    ("operations", "0003_audit_models_to_audit_app"),
    ("audit", "0002_content_types_from_operations"),
]
T = datetime(2026, 3, 2, 12, tzinfo=UTC)


def _chain_of_one(apps) -> None:
    """One event and its head row, written as the operations app stored them."""
    event_model = apps.get_model("operations", "AuditEvent")
    head_model = apps.get_model("operations", "AuditChainHead")
    event_model.objects.all().delete()  # the personas' events: start a chain of our own
    head_model.objects.all().delete()
    content = {
        **{name: "" for name in hash_chain.CONTENT_FIELDS},
        "sequence": 1,
        "created_at": T,
        "actor_name": "risk1",
        "actor_roles": ["risk_officer"],
        "action": "risk.kill_switch_engage",
        "payload": {"before": "released"},
    }
    content_sha256 = hash_chain.content_hash(content)
    chain_sha256 = hash_chain.chain_hash(hash_chain.GENESIS_SHA256, content_sha256)
    event_model.objects.create(
        **content,
        content_sha256=content_sha256,
        previous_sha256=hash_chain.GENESIS_SHA256,
        chain_sha256=chain_sha256,
    )
    head_model.objects.create(id=1, sequence=1, chain_sha256=chain_sha256)


def _view_permission(apps, app_label: str):
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename="view_auditevent"
    )


def test_rows_and_granted_permissions_survive_the_move():
    apps = migrate(BEFORE)
    _chain_of_one(apps)
    old = _view_permission(apps, "operations")
    group = apps.get_model("auth", "Group").objects.create(name="auditors")
    group.permissions.add(old)

    apps = migrate(AFTER)

    event = apps.get_model("audit", "AuditEvent").objects.get()
    assert (event.sequence, event.action, event.actor_roles) == (
        1,
        "risk.kill_switch_engage",
        ["risk_officer"],
    )
    result = audit_chain_verify()
    assert (result.valid, result.events_checked) == (True, 1)
    moved = _view_permission(apps, "audit")
    assert (moved.pk, moved.content_type_id) == (old.pk, old.content_type_id)
    assert list(apps.get_model("auth", "Group").objects.get(name="auditors").permissions.all()) == [
        moved
    ]
    content_types = apps.get_model("contenttypes", "ContentType").objects
    assert not content_types.filter(app_label="operations", model__startswith="audit").exists()


def test_audit_content_types_made_before_the_move_are_merged_into_the_old_ones():
    apps = migrate(BEFORE)
    content_types = apps.get_model("contenttypes", "ContentType").objects
    permissions = apps.get_model("auth", "Permission").objects
    groups = apps.get_model("auth", "Group").objects
    old = _view_permission(apps, "operations")
    groups.create(name="old grant").permissions.add(old)
    # What post_migrate would have made had it run with the audit app's models in place.
    early = content_types.create(app_label="audit", model="auditevent")
    groups.create(name="new grant").permissions.add(
        permissions.create(content_type=early, codename="view_auditevent", name="view")
    )

    apps = migrate(AFTER)

    content_types = apps.get_model("contenttypes", "ContentType").objects
    kept = content_types.get(app_label="audit", model="auditevent")
    assert kept.pk == old.content_type_id != early.pk
    merged = _view_permission(apps, "audit")
    assert merged.pk == old.pk
    for name in ("old grant", "new grant"):
        grants = apps.get_model("auth", "Group").objects.get(name=name).permissions.all()
        assert list(grants) == [merged]
