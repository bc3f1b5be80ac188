"""The audit trail's writes: append to the hash chain, verify it, prune past retention.

``audit_event_append`` is the one way into the chain for every app. Each privileged action
reaches it in the transaction that makes it (directly, or through a source registered in
``audit.sources``), so the action and its audit event commit or roll back together.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.contrib.auth.models import User
from django.db import models, transaction

from audit import chain
from audit.models import AuditChainHead, AuditChainVerification, AuditCheckpoint, AuditEvent
from common import clock
from common.actors import actor_name, current_service_actor
from common.request_context import current_request_id

logger = structlog.get_logger(__name__)


def actor_roles(actor: User | None) -> list[str]:
    """The actor's groups (its roles) at the time of the action, sorted."""
    if actor is None or actor.pk is None:
        return []
    roles = sorted(actor.groups.values_list("name", flat=True))
    return ["superuser", *roles] if actor.is_superuser else roles


def _chain_head_lock() -> AuditChainHead:
    """Lock the head row; the first append ever creates it (a conflict-free insert, so two
    first appends racing both end up locking the one row)."""
    heads = AuditChainHead.objects.select_for_update()
    head = heads.filter(pk=AuditChainHead.SINGLETON_ID).first()
    if head is None:
        AuditChainHead.objects.bulk_create([AuditChainHead()], ignore_conflicts=True)
        head = heads.get(pk=AuditChainHead.SINGLETON_ID)
    return head


@transaction.atomic
def audit_event_append(
    *,
    action: str,
    actor: User | None = None,
    reason: str = "",
    request_id: str | None = None,
    object_type: str = "",
    object_id: object = "",
    object_repr: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain, serialised by the head row's lock.

    Without an actor the running task's or command's service account is named (see
    ``common.actors``), else "system"; without a request ID the current one is used.
    """
    actor = actor if actor is not None else current_service_actor()
    head = _chain_head_lock()
    content = {
        "sequence": head.sequence + 1,
        "created_at": clock.now(),
        "actor_name": actor_name(actor),
        "actor_roles": actor_roles(actor),
        "action": action[:64],
        "object_type": object_type[:100],
        "object_id": str(object_id)[:64],
        "object_repr": object_repr[:200],
        "reason": reason,
        "request_id": (current_request_id() if request_id is None else request_id)[:64],
        "payload": chain.json_safe(payload or {}),
    }
    content_sha256 = chain.content_hash(content)
    chain_sha256 = chain.chain_hash(head.chain_sha256, content_sha256)
    event = AuditEvent.objects.create(
        **content,
        actor=actor,
        content_sha256=content_sha256,
        previous_sha256=head.chain_sha256,
        chain_sha256=chain_sha256,
    )
    head.sequence, head.chain_sha256 = event.sequence, chain_sha256
    head.save(update_fields=["sequence", "chain_sha256"])
    return event


def _links(start_sequence: int) -> Iterator[chain.Link]:
    rows = (
        AuditEvent.objects.filter(sequence__gt=start_sequence)
        .order_by("sequence")
        .values(*chain.RECORD_FIELDS)
    )
    for row in rows.iterator(chunk_size=2000):
        yield chain.Link(
            content={name: row[name] for name in chain.CONTENT_FIELDS},
            content_sha256=row["content_sha256"],
            previous_sha256=row["previous_sha256"],
            chain_sha256=row["chain_sha256"],
        )


def _head_problem(report: chain.ChainReport) -> chain.BrokenLink | None:
    head = AuditChainHead.objects.filter(pk=AuditChainHead.SINGLETON_ID).first()
    if head is None or report.broken is not None:
        return report.broken
    if (head.sequence, head.chain_sha256) != (report.last_sequence, report.last_sha256):
        return chain.BrokenLink(
            report.last_sequence + 1,
            f"the chain ends at #{report.last_sequence} but its head says #{head.sequence}: "
            "events were removed from or added to the end",
        )
    return None


def audit_chain_verify() -> AuditChainVerification:
    """Verify the chain from the newest checkpoint (or the start) to the head and record the
    outcome; the first broken link is named in the record and the log."""
    checkpoint = AuditCheckpoint.objects.order_by("-sequence").first()
    sequence, sha256 = (
        (checkpoint.sequence, checkpoint.chain_sha256) if checkpoint else (0, chain.GENESIS_SHA256)
    )
    report = chain.chain_verify(_links(sequence), start_sequence=sequence, start_sha256=sha256)
    broken = _head_problem(report)
    record = AuditChainVerification.objects.create(
        verified_at=clock.now(),
        valid=broken is None,
        events_checked=report.checked,
        head_sequence=report.last_sequence,
        broken_sequence=broken.sequence if broken else None,
        problem=broken.problem if broken else "",
    )
    if broken:
        logger.error("audit_chain_broken", sequence=broken.sequence, problem=broken.problem)
    else:
        logger.info("audit_chain_verified", events=report.checked, head=report.last_sha256)
    return record


def audit_events_prune(*, now: datetime | None = None) -> int:
    """Delete the oldest events past ``AUDIT_RETENTION_DAYS``, leaving a checkpoint.

    Only a run of events from the start of the chain is pruned, and only while every event in
    it is older than the retention period, so nothing inside the period is ever dropped. The
    checkpoint keeps the chain hash of the last pruned event: the rest stays verifiable.
    """
    retention_days = settings.AUDIT_RETENTION_DAYS
    cutoff = (now or clock.now()) - timedelta(days=retention_days)
    with transaction.atomic():
        _chain_head_lock()  # no append while the start of the chain moves
        first_kept = AuditEvent.objects.filter(created_at__gte=cutoff).order_by("sequence")
        newest = AuditEvent.objects.order_by("-sequence").first()
        limit = first_kept.values_list("sequence", flat=True).first()
        # The newest event always stays, so the head keeps a row to point at.
        last = min(limit - 1 if limit else newest.sequence, newest.sequence - 1) if newest else 0
        doomed = AuditEvent.objects.filter(sequence__lte=last)
        boundary = doomed.order_by("-sequence").first()
        if boundary is None:
            return 0
        count = doomed.count()
        AuditCheckpoint.objects.create(
            sequence=boundary.sequence,
            chain_sha256=boundary.chain_sha256,
            pruned_count=count,
            retention_days=retention_days,
            created_at=clock.now(),
        )
        # The one deliberate delete of append-only rows: past retention, behind a checkpoint.
        models.QuerySet.delete(doomed)
    logger.info("audit_events_pruned", count=count, checkpoint=boundary.sequence)
    return count
