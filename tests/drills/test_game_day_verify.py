"""The record checks of the daily-loss-trip and rollback-under-load game days (pure)."""

from __future__ import annotations

from drills.gamedays.scenarios import daily_loss_verify, rollback_verify

ROLLED = {"version": 1, "request_id": "gd-1", "cycle_s": 450.0}
EVENT = {
    "version": 1, "previous": 2, "actor": "gameday-operator", "reason": "game day",
    "request_id": "gd-1", "created_at": "2026-03-30T15:00:00+00:00",
}  # fmt: skip


def _facts(**changes: object) -> dict:
    facts = {
        "champion_version": 1,
        "rollbacks": [EVENT],
        "audit_rollbacks": [{"sequence": 9, "actor_name": "operator", "request_id": "gd-1"}],
        # One in flight on v2 within a cycle (450 s) of the rollback, then v1 only.
        "signals": [
            {"version": 2, "created_at": "2026-03-30T15:05:00+00:00"},
            {"version": 1, "created_at": "2026-03-30T15:15:00+00:00"},
        ],
    }
    return facts | changes


def test_a_rollback_switched_and_recorded_passes():
    assert rollback_verify(_facts(), {"rollback": ROLLED}) == []


def test_signals_from_the_old_version_past_one_cycle_fail():
    late = {"version": 2, "created_at": "2026-03-30T15:30:00+00:00"}
    facts = _facts(signals=[*_facts()["signals"], late])

    assert rollback_verify(facts, {"rollback": ROLLED}) == [
        "signals after the rollback from [2], not v1"
    ]


def test_a_rollback_without_its_records_or_later_signals_fails():
    facts = _facts(champion_version=2, audit_rollbacks=[], signals=[])

    assert rollback_verify(facts, {"rollback": ROLLED}) == [
        "champion is v2, expected v1",
        "no signal was made after the rollback: the switch is unproven",
        "no models.rollback audit chain event for gd-1",
    ]


def test_a_rollback_never_made_fails():
    assert rollback_verify(_facts(), {}) == ["the rollback was not made"]


TRIP = {"limit": "max_daily_loss", "action": "kill_switch", "value": "12.40"}


def test_a_daily_loss_trip_with_refusals_and_four_eyes_passes():
    facts = {"trips": [TRIP], "rejection_reasons": {"kill_switch_engaged": 3}}

    assert daily_loss_verify(facts, {"self_approval_status": 400}) == []


def test_no_trip_no_refusal_and_a_self_approval_fail():
    facts = {"trips": [{**TRIP, "limit": "max_drawdown"}], "rejection_reasons": {}}

    assert daily_loss_verify(facts, {"self_approval_status": 200}) == [
        "no max_daily_loss trip engaging the kill switch was recorded",
        "no order was refused by the guard while tripped",
        "the requester's own approval of the release answered 200, not 4xx",
    ]
