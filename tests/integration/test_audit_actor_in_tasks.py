"""A change made by a Celery task is audited as made by that task, with the request ID of
whoever queued it."""

from __future__ import annotations

from datetime import timedelta

import pytest
import structlog
from auditlog.models import LogEntry

from audit.models import AuditEvent
from common import clock
from risk.models import TemporaryLimitOverride
from risk.tasks import expire_overrides

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ACTOR = "celery:risk.expire_overrides"


def test_the_audit_entries_of_a_tasks_change_name_the_task_as_actor(worker):
    override = TemporaryLimitOverride.objects.create(
        scope="global", field="max_order_quantity", value=5, reason="for the open",
        expires_at=clock.now() - timedelta(minutes=1),
    )  # fmt: skip
    structlog.contextvars.bind_contextvars(request_id="req-queued-it")
    try:
        assert expire_overrides.delay().get(timeout=60) == 1
    finally:
        structlog.contextvars.unbind_contextvars("request_id")

    override.refresh_from_db()
    assert override.reverted_at is not None
    entry = LogEntry.objects.get_for_object(override).get(action=LogEntry.Action.UPDATE)
    assert entry.actor.username == ACTOR
    assert entry.cid == "req-queued-it"
    assert not entry.actor.is_active and not entry.actor.has_usable_password()
    chained = AuditEvent.objects.get(action="risk.limit_override_reverted")
    assert (chained.actor_name, chained.request_id) == (ACTOR, "req-queued-it")
    config = AuditEvent.objects.get(action="config.update", object_id=str(override.pk))
    assert config.actor_name == ACTOR
