from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitoring.scheduler_health import DOWN, LATE, PAUSED, UP, TaskObservation, task_state

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def observe(**overrides: object) -> TaskObservation:
    values = {
        "enabled": True,
        "period": MINUTE,
        "grace": timedelta(seconds=30),
        "scheduled_since": T0,
        "last_run_at": T0,
        "last_success_at": T0,
        "recent_outcomes": ("SUCCESS",),
    }
    values.update(overrides)
    return TaskObservation(**values)


def test_a_task_that_ran_on_time_is_up():
    assert task_state(observe(), T0 + MINUTE + timedelta(seconds=29)) == UP


def test_a_task_overdue_by_more_than_the_grace_is_late():
    assert task_state(observe(), T0 + MINUTE + timedelta(seconds=31)) == LATE


def test_a_task_that_missed_two_periods_is_down():
    assert task_state(observe(), T0 + 2 * MINUTE + timedelta(seconds=31)) == DOWN


def test_two_failures_in_a_row_are_down_even_when_on_time():
    obs = observe(recent_outcomes=("FAILURE", "FAILURE", "SUCCESS"))

    assert task_state(obs, T0 + timedelta(seconds=5)) == DOWN


def test_one_failure_after_successes_is_not_yet_down():
    obs = observe(recent_outcomes=("FAILURE", "SUCCESS"))

    assert task_state(obs, T0 + timedelta(seconds=5)) == UP


def test_a_task_that_never_ran_counts_from_when_it_was_scheduled():
    obs = observe(last_run_at=None, last_success_at=None, recent_outcomes=())

    assert task_state(obs, T0 + MINUTE) == UP
    assert task_state(obs, T0 + MINUTE + timedelta(seconds=31)) == LATE
    assert obs.next_run_at == T0 + MINUTE


def test_a_disabled_task_is_paused_whatever_its_history():
    obs = observe(enabled=False, recent_outcomes=("FAILURE", "FAILURE"))

    assert task_state(obs, T0 + timedelta(days=1)) == PAUSED


def test_a_task_that_keeps_failing_since_its_last_success_goes_down_after_two_periods():
    obs = observe(last_run_at=T0 + 2 * MINUTE, recent_outcomes=("FAILURE",))

    assert task_state(obs, T0 + 2 * MINUTE + timedelta(seconds=31)) == DOWN
