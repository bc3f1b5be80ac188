"""Incidents: opened by a service (game days, alerts) or from admin, with a timeline."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from common.exceptions import ValidationFailed
from operations.incidents import incident_note_add, incident_open, incident_status_set
from operations.models import Incident

pytestmark = pytest.mark.django_db


def test_a_game_day_opens_an_incident_with_its_alerts_and_a_first_timeline_entry():
    incident = incident_open(
        title="Primary data provider down",
        severity="sev2",
        source="game_day",
        summary="scenario primary_provider_down",
        alerts=["ProviderCircuitOpen", {"name": "StaleBars", "fingerprint": "ab12"}],
        actor_name="game_day:primary_provider_down",
        request_id="req-1",
    )

    incident.refresh_from_db()
    assert (incident.status, incident.source, incident.opened_by) == ("open", "game_day", None)
    assert incident.opened_by_name == "game_day:primary_provider_down"
    assert incident.alerts == [
        {"name": "ProviderCircuitOpen", "fingerprint": ""},
        {"name": "StaleBars", "fingerprint": "ab12"},
    ]
    entry = incident.timeline.get()
    assert entry.kind == "status" and "scenario primary_provider_down" in entry.text
    assert (entry.actor_name, entry.request_id) == ("game_day:primary_provider_down", "req-1")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"title": " ", "severity": "sev1"}, "needs a title"),
        ({"title": "x", "severity": "sev9"}, "Unknown severity"),
        ({"title": "x", "severity": "sev1", "source": "pager"}, "Unknown source"),
        ({"title": "x", "severity": "sev1", "alerts": [{"fingerprint": "f"}]}, "needs a name"),
    ],
)
def test_bad_input_is_refused_with_a_message(kwargs, message):
    with pytest.raises(ValidationFailed, match=message):
        incident_open(**kwargs)
    assert not Incident.objects.exists()


def test_closing_needs_a_postmortem_and_every_step_is_on_the_timeline(operator):
    incident = incident_open(title="Orders stuck", severity="sev1", actor=operator)
    incident_note_add(incident=incident, text="broker status page red", actor=operator)
    incident_status_set(incident=incident, status="resolved", note="broker back", actor=operator)

    with pytest.raises(ValidationFailed, match="postmortem"):
        incident_status_set(incident=incident, status="closed", note="done", actor=operator)
    Incident.objects.filter(pk=incident.pk).update(postmortem="timeouts were not retried")
    incident_status_set(incident=incident, status="closed", note="done", actor=operator)

    incident.refresh_from_db()
    assert incident.status == "closed" and incident.resolved_at is not None
    assert [e.text for e in incident.timeline.all()][1:] == [
        "broker status page red",
        "open → resolved: broker back",
        "resolved → closed: done",
    ]
    assert {e.actor_name for e in incident.timeline.all()} == {"alice"}


def test_an_operator_opens_an_incident_in_admin_and_adds_to_its_timeline(admin_client, admin_user):
    added = admin_client.post(
        "/admin/operations/incident/add/",
        {
            "title": "Fills missing",
            "severity": "sev2",
            "summary": "since 14:02",
            "alerts": "[]",
            "timeline-TOTAL_FORMS": "0",
            "timeline-INITIAL_FORMS": "0",
        },
    )
    incident = Incident.objects.get()
    opened = incident.timeline.get()
    changed = admin_client.post(
        f"/admin/operations/incident/{incident.pk}/change/",
        {
            "title": "Fills missing",
            "severity": "sev2",
            "status": "mitigated",
            "summary": "since 14:02",
            "alerts": "[]",
            "postmortem": "",
            "note": "restarted worker",
            "note_kind": "action",
            "timeline-TOTAL_FORMS": "1",
            "timeline-INITIAL_FORMS": "1",
            "timeline-0-id": str(opened.pk),
            "timeline-0-incident": str(incident.pk),
        },
    )

    assert added.status_code == 302 and changed.status_code == 302
    incident.refresh_from_db()
    assert incident.opened_by == admin_user and incident.status == "mitigated"
    texts = [e.text for e in incident.timeline.all()]
    assert texts[0].startswith("Opened") and texts[1] == "open → mitigated: restarted worker"
    page = admin_client.get(f"/admin/operations/incident/{incident.pk}/change/")
    assert "restarted worker" in page.content.decode()
    assert LogEntry.objects.get_for_object(incident).exists()
