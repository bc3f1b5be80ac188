"""The audit trail's reads: compliance's export and daily summary, the latest verification
and the events other apps look up (game-day facts)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

from django.db import models
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from audit import chain
from audit.models import AuditChainVerification, AuditEvent
from common import clock

EXPORT_FIELDS = chain.RECORD_FIELDS


class AuditDay(TypedDict):
    """One day of the compliance summary: counts of events by kind, and distinct actors."""

    day: date
    total: int
    privileged: int
    config_changes: int
    risk_overrides: int
    kill_switch: int
    actors: int


def audit_export_rows(events: models.QuerySet[AuditEvent]) -> Iterator[dict[str, Any]]:
    """The events in chain order with their hashes, as compliance exports them."""
    for row in events.order_by("sequence").values(*EXPORT_FIELDS).iterator(chunk_size=2000):
        row["created_at"] = chain.json_safe(row["created_at"])
        yield row


def audit_daily_summary(*, days: int = 30) -> list[AuditDay]:
    """Per day: how many privileged actions and configuration changes, and risk overrides."""
    since = clock.now() - timedelta(days=days)
    return list(
        AuditEvent.objects.filter(created_at__gte=since)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(
            total=Count("id"),
            privileged=Count("id", filter=~Q(action__startswith="config.")),
            config_changes=Count("id", filter=Q(action__startswith="config.")),
            risk_overrides=Count("id", filter=Q(action="risk.limit_override")),
            kill_switch=Count("id", filter=Q(action__startswith="risk.kill_switch_")),
            actors=Count("actor_name", distinct=True),
        )
        .order_by("-day")
    )


def audit_chain_verification_latest() -> AuditChainVerification | None:
    """The newest verification of the chain (daily task, command or restore drill), if any."""
    return AuditChainVerification.objects.order_by("-verified_at", "-id").first()


def audit_event_list(*, action: str, since: datetime) -> models.QuerySet[AuditEvent]:
    """The events of one action since a time, newest first."""
    return AuditEvent.objects.filter(action=action, created_at__gte=since)
