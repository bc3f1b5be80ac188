"""The audit hash chain: every privileged action lands in it, and tampering is detected."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from audit import chain as hash_chain
from audit.models import AuditChainHead, AuditEvent
from audit.services import audit_chain_verify, audit_event_append
from common.exceptions import ImmutableRecordError
from risk import services
from risk.models import RiskLimit

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain(desk_operator, risk_officer):
    """A kill switch engaged, a release requested and approved: four risk actions."""
    services.kill_switch_engage(actor=desk_operator, reason="bad fills", request_id="req-e")
    release = services.kill_switch_release_request(
        actor=desk_operator, reason="fills fixed", request_id="req-r"
    )
    services.change_request_approve(
        actor=risk_officer, change_request_id=release.pk, reason="checked", request_id="req-a"
    )
    return list(AuditEvent.objects.order_by("sequence"))


def _raw(sql: str, *params: object) -> None:
    """Tamper outside the application, as an attacker would; ``{events}`` is the events table."""
    with connection.cursor() as cursor:
        cursor.execute(
            sql.format(events=connection.ops.quote_name(AuditEvent._meta.db_table)), params
        )


def test_privileged_actions_are_chained_with_actor_roles_reason_and_request_id(chain):
    risk_events = [e for e in chain if e.action.startswith("risk.")]

    assert [(e.action, e.actor_name, e.request_id) for e in risk_events] == [
        ("risk.kill_switch_engage", "oscar", "req-e"),
        ("risk.request_kill_switch_release", "oscar", "req-r"),
        ("risk.kill_switch_release", "rita", "req-a"),
        ("risk.approved_kill_switch_release", "rita", "req-a"),
    ]
    assert risk_events[0].actor_roles == ["operator"]
    assert risk_events[3].actor_roles == ["risk_officer"]
    assert risk_events[0].reason == "bad fills"
    assert (risk_events[0].object_type, risk_events[0].object_id) == ("risk.killswitch", "1")
    assert risk_events[1].object_type == "risk.changerequest"
    # Links: sequence without gaps, each previous hash the chain hash before it.
    assert [e.sequence for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].previous_sha256 == hash_chain.GENESIS_SHA256
    for before, after in itertools.pairwise(chain):
        assert after.previous_sha256 == before.chain_sha256
    assert AuditChainHead.objects.get().sequence == chain[-1].sequence


def test_a_configuration_change_is_chained_through_auditlog(risk_officer, client):
    client.force_login(risk_officer)
    limit = RiskLimit.objects.create(symbol="AAPL", max_order_quantity=10)

    event = AuditEvent.objects.filter(action="config.create", object_type="risk.risklimit").get()

    assert event.object_id == str(limit.pk)
    assert "max_order_quantity" in event.payload["changes"]


def test_an_intact_chain_verifies(chain):
    result = audit_chain_verify()

    assert (result.valid, result.events_checked, result.head_sequence) == (
        True,
        len(chain),
        chain[-1].sequence,
    )
    call_command("verify_audit_chain")


def test_an_edited_row_is_the_first_broken_link(chain):
    _raw("UPDATE {events} SET reason = %s WHERE sequence = %s", "nothing", 2)

    result = audit_chain_verify()

    assert (result.valid, result.broken_sequence) == (False, 2)
    assert "edited" in result.problem
    with pytest.raises(CommandError, match="broken at event #2"):
        call_command("verify_audit_chain")


def test_a_deleted_row_is_detected(chain):
    _raw("DELETE FROM {events} WHERE sequence = %s", 3)

    result = audit_chain_verify()

    assert (result.valid, result.broken_sequence) == (False, 3)
    assert "missing" in result.problem


def test_a_row_cut_off_the_end_is_detected(chain):
    _raw("DELETE FROM {events} WHERE sequence = %s", chain[-1].sequence)

    result = audit_chain_verify()

    assert (result.valid, result.broken_sequence) == (False, chain[-1].sequence)
    assert "head" in result.problem


def test_an_inserted_row_is_detected_even_with_a_correct_content_hash(chain):
    # Make room after #2 by moving the later rows up, as a forger would, then insert a row
    # whose own content hash is right: its link to the row before it is not.
    _raw("UPDATE {events} SET sequence = sequence + 100 WHERE sequence > 2")
    _raw("UPDATE {events} SET sequence = sequence - 99 WHERE sequence > 100")
    forged = {
        **{f: getattr(chain[1], f) for f in hash_chain.CONTENT_FIELDS},
        "sequence": 3,
        "reason": "forged",
    }
    sha = hash_chain.content_hash(forged)
    _raw(
        "INSERT INTO {events} (sequence, created_at, actor_name, actor_roles, action,"
        " object_type, object_id, object_repr, reason, request_id, payload, content_sha256,"
        " previous_sha256, chain_sha256) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
        " %s, %s, %s)",
        3, chain[1].created_at, "mallory", "[]", "risk.limit_change", "", "", "", "forged", "",
        "{}", sha, "f" * 64, hash_chain.chain_hash("f" * 64, sha),
    )  # fmt: skip

    result = audit_chain_verify()

    assert (result.valid, result.broken_sequence) == (False, 3)
    assert "removed or inserted" in result.problem


def test_audit_events_cannot_be_changed_or_deleted_through_the_orm(chain):
    event = chain[0]
    event.reason = "rewritten"

    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(ImmutableRecordError):
        AuditEvent.objects.all().delete()
    assert audit_chain_verify().valid


def test_an_event_without_actor_names_the_system_and_rolls_back_with_its_action():
    from django.db import transaction

    head = AuditChainHead.objects.filter().values_list("sequence", flat=True).first() or 0
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_event_append(action="risk.limit_change", reason="half done")
        raise RuntimeError("the action failed")

    assert not AuditEvent.objects.filter(reason="half done").exists()
    event = audit_event_append(action="risk.limit_change", reason="done")
    assert (event.sequence, event.actor_name, event.actor_roles) == (head + 1, "system", [])


def test_canonical_content_is_independent_of_key_order_and_storage():
    content = {name: "" for name in hash_chain.CONTENT_FIELDS}
    content.update(sequence=1, actor_roles=["b", "a"], payload={"z": 1, "a": {"y": 2, "b": 3}})
    reordered = dict(reversed(list(content.items())))

    assert hash_chain.content_hash(content) == hash_chain.content_hash(reordered)
    assert hash_chain.content_hash(content) != hash_chain.content_hash({**content, "reason": "x"})


def test_a_management_commands_changes_name_the_command_as_actor():
    from auditlog.models import LogEntry
    from django_celery_beat.models import PeriodicTask

    call_command("setup_periodic_tasks")

    task = PeriodicTask.objects.get(name="verify-audit-chain")
    entry = LogEntry.objects.get_for_object(task).get(action=LogEntry.Action.CREATE)
    assert entry.actor.username == "command:setup_periodic_tasks"
    event = AuditEvent.objects.get(
        action="config.create", object_type="django_celery_beat.periodictask", object_id=task.pk
    )
    assert event.actor_name == "command:setup_periodic_tasks"
