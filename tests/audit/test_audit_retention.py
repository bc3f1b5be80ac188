"""Pruning past AUDIT_RETENTION_DAYS never drops an event inside the period and leaves the
rest of the chain verifiable from a checkpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import models

from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from audit.services import audit_chain_verify, audit_event_append, audit_events_prune

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged_chain(settings, frozen_clock):
    """Five events a day apart, the newest at the frozen time + 4 days."""
    settings.AUDIT_RETENTION_DAYS = 2
    # Start from an empty chain: migrate's own events carry the real (later) wall time.
    models.QuerySet.delete(AuditEvent.objects.all())
    AuditChainHead.objects.all().delete()
    events = []
    for day in range(5):
        events.append(audit_event_append(action="risk.limit_change", reason=f"day {day}"))
        frozen_clock.advance(timedelta(days=1))
    frozen_clock.advance(timedelta(days=-1))
    return events


def test_prune_keeps_every_event_inside_the_retention_period(aged_chain, frozen_clock):
    now = frozen_clock.now()

    pruned = audit_events_prune()

    kept = AuditEvent.objects.order_by("sequence")
    assert pruned == 2
    assert all(e.created_at >= now - timedelta(days=2) for e in kept)
    assert [e.reason for e in kept] == ["day 2", "day 3", "day 4"]
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.sequence, checkpoint.chain_sha256) == (
        aged_chain[1].sequence,
        aged_chain[1].chain_sha256,
    )
    result = audit_chain_verify()
    assert (result.valid, result.events_checked) == (True, 3)


def test_prune_with_nothing_past_retention_changes_nothing(aged_chain, settings):
    settings.AUDIT_RETENTION_DAYS = 3650
    before = list(AuditEvent.objects.values_list("sequence", flat=True))

    call_command("prune_audit_events")

    # Every event is still there (the command's own service account may add one).
    assert set(before) <= set(AuditEvent.objects.values_list("sequence", flat=True))
    assert not AuditCheckpoint.objects.exists()


def test_the_newest_event_survives_even_past_retention(aged_chain, frozen_clock):
    frozen_clock.advance(timedelta(days=30))

    audit_events_prune()

    assert list(AuditEvent.objects.values_list("reason", flat=True)) == ["day 4"]
    assert audit_chain_verify().valid
    event = audit_event_append(action="risk.limit_change", reason="after prune")
    assert event.previous_sha256 == aged_chain[-1].chain_sha256
    assert audit_chain_verify().valid
