from __future__ import annotations

from datetime import UTC, datetime

from drills.soak.invariants import soak_failures
from drills.soak.profile import SoakProfile, expected_wall_seconds, session_plan

CLEAN = {
    "duplicate_orders": 0,
    "lost_orders": 0,
    "reconciliation_breaks_open": 0,
    "ledger_breaks": 0,
    "pnl_matches": True,
    "cycles_run": 10,
}


def test_a_clean_report_has_no_failures():
    assert soak_failures(CLEAN) == []


def test_each_must_be_zero_figure_fails_the_soak():
    report = CLEAN | {
        "duplicate_orders": 1, "lost_orders": 2, "reconciliation_breaks_open": 3,
        "ledger_breaks": 4,
    }  # fmt: skip

    assert soak_failures(report) == [
        "duplicate_orders is 1, must be 0",
        "lost_orders is 2, must be 0",
        "reconciliation_breaks_open is 3, must be 0",
        "ledger_breaks is 4, must be 0",
    ]


def test_pnl_that_does_not_match_fails_the_soak():
    failures = soak_failures(CLEAN | {"pnl_matches": False, "pnl_difference": "0.02"})

    assert failures == ["PnL recomputed from fills differs from stored PnL by 0.02"]


def test_a_soak_where_no_cycle_ran_or_a_process_died_fails():
    failures = soak_failures(CLEAN | {"cycles_run": 0, "processes_died": ["worker"]})

    assert failures == ["no trading cycle ran", "process worker died"]


def test_the_plan_follows_the_exchange_calendar_across_good_friday():
    plan = session_plan(first_session="2026-03-30", trading_days=6, calendar="XNYS")

    assert [session.label for session in plan] == [
        "2026-03-30",
        "2026-03-31",
        "2026-04-01",
        "2026-04-02",
        "2026-04-06",
        "2026-04-07",
    ]
    assert plan[0].open == datetime(2026, 3, 30, 13, 30, tzinfo=UTC)


def test_the_plan_keeps_early_closes():
    plan = session_plan(first_session="2026-11-27", trading_days=1, calendar="XNYS")

    assert plan[0].close == datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # 13:00 New York


def test_the_default_profile_fits_fourteen_days_in_under_twenty_minutes():
    profile = SoakProfile()
    plan = session_plan(first_session=profile.first_session, trading_days=14, calendar="XNYS")

    assert profile.clock_speed == 450.0  # a 15-minute bar every 2 wall seconds
    assert expected_wall_seconds(plan, profile.clock_speed) < 20 * 60 - 180
