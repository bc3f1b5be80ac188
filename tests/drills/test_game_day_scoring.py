from __future__ import annotations

from drills.gamedays.scoring import Expectations, Outcome, game_day_failures, score_table

GOOD = Outcome(
    time_to_detect_s=3.0, time_to_recover_s=10.0, data_lost=0, duplicate_orders=0, lost_orders=0
)


def test_a_detected_and_recovered_failure_without_loss_passes():
    assert game_day_failures(GOOD, Expectations()) == []


def test_an_undetected_failure_fails():
    outcome = Outcome(None, 10.0, 0, 0, 0)

    assert game_day_failures(outcome, Expectations()) == ["the failure was never detected"]


def test_slow_detection_and_recovery_fail_against_the_expectations():
    outcome = Outcome(40.0, 70.0, 0, 0, 0)

    assert game_day_failures(outcome, Expectations(max_detect_s=30, max_recover_s=60)) == [
        "detected after 40.0 s, expected within 30 s",
        "recovered after 70.0 s, expected within 60 s",
    ]


def test_a_stack_that_never_recovers_fails():
    outcome = Outcome(3.0, None, 0, 0, 0)

    assert game_day_failures(outcome, Expectations()) == ["the stack did not recover"]


def test_lost_data_and_lost_or_doubled_orders_fail():
    outcome = Outcome(3.0, 10.0, data_lost=2, duplicate_orders=1, lost_orders=1)

    assert game_day_failures(outcome, Expectations()) == [
        "data_lost is 2, expected at most 0",
        "duplicate_orders is 1, expected at most 0",
        "lost_orders is 1, expected at most 0",
    ]


def test_a_ledger_break_after_the_scenario_fails_it():
    outcome = Outcome(3.0, 10.0, 0, 0, 0, ledger_breaks=1)

    assert game_day_failures(outcome, Expectations()) == ["ledger_breaks is 1, expected at most 0"]


def test_the_table_scores_passed_failed_and_skipped_scenarios():
    rows = [
        {"scenario": "a", "passed": True, "time_to_detect_s": 1.0, "time_to_recover_s": 2.0,
         "orders_affected": 0, "data_lost": 0},
        {"scenario": "b", "passed": False, "time_to_detect_s": None, "time_to_recover_s": None,
         "orders_affected": 3, "data_lost": 1},
        {"scenario": "c", "passed": None, "time_to_detect_s": None, "time_to_recover_s": None,
         "orders_affected": 0, "data_lost": 0},
    ]  # fmt: skip

    table = score_table(rows)

    assert "PASS" in table.splitlines()[2]
    assert "FAIL" in table.splitlines()[3]
    assert "SKIP" in table.splitlines()[4]
    assert table.splitlines()[-1] == "score: 1/2 passed, 1 skipped"
