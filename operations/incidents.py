"""Incidents: open one (admin, an alert, or a game day), add to its timeline, resolve it."""

from __future__ import annotations

from typing import Any

import structlog
from django.contrib.auth.models import User
from django.db import transaction

from common import clock
from common.actors import actor_name as actor_name_of
from common.exceptions import ValidationFailed
from operations.choices import IncidentSeverity, IncidentSource, IncidentStatus, TimelineKind
from operations.models import Incident, IncidentTimelineEntry

logger = structlog.get_logger(__name__)


def _alerts(alerts: list[Any] | None) -> list[dict[str, str]]:
    """Alerts as ``{"name", "fingerprint"}``; a bare string is an alert name."""
    cleaned = []
    for alert in alerts or []:
        if isinstance(alert, str):
            alert = {"name": alert}
        if not isinstance(alert, dict) or not alert.get("name"):
            raise ValidationFailed(f"An alert needs a name: {alert!r}")
        cleaned.append(
            {"name": str(alert["name"]), "fingerprint": str(alert.get("fingerprint", ""))}
        )
    return cleaned


@transaction.atomic
def incident_open(
    *,
    title: str,
    severity: str,
    source: str = IncidentSource.MANUAL,
    summary: str = "",
    alerts: list[Any] | None = None,
    actor: User | None = None,
    actor_name: str = "",
    request_id: str = "",
) -> Incident:
    """Open an incident with its first timeline entry.

    ``actor`` is the signed-in user (admin, API); automatic openers (a game day, an alert
    webhook) pass ``actor=None`` and an ``actor_name`` such as ``game_day:<scenario>``.
    """
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("An incident needs a title")
    if severity not in IncidentSeverity.values:
        raise ValidationFailed(
            f"Unknown severity {severity!r}: use {', '.join(IncidentSeverity.values)}"
        )
    if source not in IncidentSource.values:
        raise ValidationFailed(f"Unknown source {source!r}: use {', '.join(IncidentSource.values)}")
    name, now = actor_name_of(actor, actor_name or "system"), clock.now()
    incident = Incident.objects.create(
        title=title[:200],
        severity=severity,
        source=source,
        summary=summary,
        alerts=_alerts(alerts),
        opened_by=actor,
        opened_by_name=name,
        opened_at=now,
        request_id=request_id,
    )
    opened = f"Opened ({incident.get_severity_display()}, source {source})"
    incident_note_add(
        incident=incident,
        text=f"{opened}: {summary}" if summary else opened,
        kind=TimelineKind.STATUS,
        actor=actor,
        actor_name=name,
        request_id=request_id,
    )
    logger.warning(
        "incident_opened",
        incident=incident.pk,
        severity=severity,
        source=source,
        actor=name,
        request_id=request_id,
    )
    return incident


def incident_note_add(
    *,
    incident: Incident,
    text: str,
    kind: str = TimelineKind.NOTE,
    actor: User | None = None,
    actor_name: str = "",
    request_id: str = "",
    at: Any = None,
) -> IncidentTimelineEntry:
    """Append one line to the timeline (entries are never edited)."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed("A timeline entry needs text")
    if kind not in TimelineKind.values:
        raise ValidationFailed(f"Unknown timeline kind {kind!r}")
    return IncidentTimelineEntry.objects.create(
        incident=incident,
        at=at or clock.now(),
        kind=kind,
        text=text,
        actor_name=actor_name_of(actor, actor_name or "system"),
        request_id=request_id,
    )


@transaction.atomic
def incident_status_set(
    *,
    incident: Incident,
    status: str,
    note: str,
    actor: User | None = None,
    actor_name: str = "",
    request_id: str = "",
) -> Incident:
    """Move an incident on (mitigated, resolved, closed) with a note on its timeline.

    Closing needs a postmortem: the point of an incident record is what was learned.
    """
    if status not in IncidentStatus.values:
        raise ValidationFailed(f"Unknown status {status!r}")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if status == IncidentStatus.CLOSED and not incident.postmortem.strip():
        raise ValidationFailed("Write the postmortem before closing the incident")
    before = incident.status
    incident.status = status
    if status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED) and incident.resolved_at is None:
        incident.resolved_at = clock.now()
    incident.save()
    incident_note_add(
        incident=incident,
        kind=TimelineKind.STATUS,
        actor=actor,
        actor_name=actor_name,
        request_id=request_id,
        text=f"{before} → {status}: {note}".strip(": "),
    )
    return incident
