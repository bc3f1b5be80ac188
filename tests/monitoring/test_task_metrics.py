"""Every task run is timed and counted by outcome, in whatever process runs it."""

from __future__ import annotations

import pytest

from monitoring.metrics import TASK_DURATION, TASK_LAST_SUCCESS, TASK_RUNS
from risk.tasks import expire_overrides

pytestmark = pytest.mark.django_db


def _runs(outcome: str) -> float:
    return TASK_RUNS.labels("risk.expire_overrides", outcome)._value.get()


def _timed() -> float:
    histogram = TASK_DURATION.labels("risk.expire_overrides")
    return next(s.value for s in histogram._samples() if s.name == "_count")


def test_a_task_run_is_counted_timed_and_stamped_with_its_success():
    runs, timed = _runs("success"), _timed()

    expire_overrides.apply()

    assert _runs("success") == runs + 1
    assert _timed() == timed + 1
    assert TASK_LAST_SUCCESS.labels("risk.expire_overrides")._value.get() > 0


def test_a_failed_task_run_is_counted_as_a_failure(monkeypatch):
    failures = _runs("failure")

    def broken() -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("risk.tasks.limit_overrides_expire", broken)
    expire_overrides.apply()

    assert _runs("failure") == failures + 1
