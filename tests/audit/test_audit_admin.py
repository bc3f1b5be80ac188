"""Compliance reviews the audit trail in admin: filters, CSV/JSON export with the chain
hashes, a per-day summary; only roles with the permission may see or export it."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest

from audit.models import AuditEvent
from risk import services

pytestmark = pytest.mark.django_db
EVENTS = "/admin/audit/auditevent/"


@pytest.fixture
def two_days(desk_operator, frozen_clock):
    """An engage on the frozen day, a limit cut the next day (with a request ID each)."""
    services.kill_switch_engage(actor=desk_operator, reason="bad fills", request_id="req-day1")
    frozen_clock.advance(timedelta(days=1))
    services.limit_change_request(
        actor=desk_operator, scope="global", key="", field="max_order_quantity", value="1",
        reason="tighten", request_id="req-day2",
    )  # fmt: skip
    return frozen_clock.now()


def _export(client, fmt: str, **filters: str):
    query = "&".join(f"{k}={v}" for k, v in filters.items())
    return client.post(
        f"{EVENTS}?{query}",
        {"action": f"export_{fmt}", "select_across": "1", "index": "0", "_selected_action": "0"},
    )


def test_csv_export_of_a_days_actions_matches_the_database(
    client, compliance_officer, two_days, frozen_clock
):
    client.force_login(compliance_officer)
    day = (two_days - timedelta(days=1)).date()

    response = _export(client, "csv", created_at__date=day.isoformat())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    expected = AuditEvent.objects.filter(created_at__date=day).order_by("sequence")
    assert [int(r["sequence"]) for r in rows] == [e.sequence for e in expected]
    assert {r["action"] for r in rows} >= {"risk.kill_switch_engage"}
    assert "risk.limit_change" not in {r["action"] for r in rows}
    for row, event in zip(rows, expected, strict=True):
        assert (row["actor_name"], row["request_id"], row["reason"]) == (
            event.actor_name,
            event.request_id,
            event.reason,
        )
        assert (row["content_sha256"], row["previous_sha256"], row["chain_sha256"]) == (
            event.content_sha256,
            event.previous_sha256,
            event.chain_sha256,
        )
        assert json.loads(row["payload"]) == event.payload


def test_json_export_carries_the_chain_hashes(client, compliance_officer, two_days):
    client.force_login(compliance_officer)

    response = _export(client, "json", request_id="req-day2")

    assert response.status_code == 200
    [event] = response.json()
    stored = AuditEvent.objects.get(request_id="req-day2")
    assert (event["sequence"], event["action"], event["chain_sha256"]) == (
        stored.sequence,
        "risk.limit_change",
        stored.chain_sha256,
    )
    assert event["actor_roles"] == ["operator"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor_name=oscar", {"req-day1", "req-day2"}),
        ("role=operator", {"req-day1", "req-day2"}),
        ("action=risk.kill_switch_engage", {"req-day1"}),
        ("object_type=risk.risklimit", {"req-day2"}),
        ("q=req-day2", {"req-day2"}),
        ("created_at__gte=2026-03-03T00:00:00Z&created_at__lt=2026-03-04T00:00:00Z", {"req-day2"}),
    ],
)
def test_compliance_filters_by_actor_role_action_object_time_and_request(
    client, compliance_officer, two_days, query, expected
):
    client.force_login(compliance_officer)

    response = client.get(f"{EVENTS}?{query}")

    assert response.status_code == 200
    shown = {e.request_id for e in response.context["cl"].result_list if e.request_id}
    assert shown == expected


def test_the_daily_summary_counts_privileged_actions_and_overrides(
    client, compliance_officer, two_days, desk_operator
):
    services.limit_change_request(
        actor=desk_operator, scope="global", key="", field="max_order_quantity", value="1",
        reason="for an hour", expires_at=two_days + timedelta(hours=1),
    )  # fmt: skip
    client.force_login(compliance_officer)

    response = client.get(f"{EVENTS}summary/")

    assert response.status_code == 200
    days = {row["day"].isoformat(): row for row in response.context["days"]}
    second = days[two_days.date().isoformat()]
    assert (second["privileged"], second["risk_overrides"]) == (2, 1)
    assert days[(two_days - timedelta(days=1)).date().isoformat()]["kill_switch"] == 1


def test_export_needs_the_compliance_permission(client, risk_officer, two_days):
    client.force_login(risk_officer)  # may review the trail, not export it

    listing = client.get(EVENTS)
    response = _export(client, "csv")

    assert listing.status_code == 200
    assert "export_csv" not in listing.content.decode()
    assert response.status_code != 200 or response.get("Content-Type") != "text/csv"


def test_outsiders_and_operators_cannot_see_the_trail(client, outsider, desk_operator):
    for user in (outsider, desk_operator):
        client.force_login(user)
        assert client.get(EVENTS).status_code in (302, 403)
        assert client.get(f"{EVENTS}summary/").status_code in (302, 403)
