"""Periodic task health (pure), modelled on healthchecks.io's cron checks.

A task is ``up`` while it runs on time, ``late`` once its next run is overdue by more than the
grace time, and ``down`` when its last two runs failed or it has missed two whole periods.
Times here are wall-clock times of real processes, not market time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

UP, LATE, DOWN, PAUSED = "up", "late", "down", "paused"
STATES = (UP, LATE, DOWN, PAUSED)
FAILED_OUTCOMES = frozenset({"FAILURE", "REVOKED"})
FAILURES_FOR_DOWN = 2


@dataclass(frozen=True, slots=True)
class TaskObservation:
    enabled: bool
    period: timedelta
    grace: timedelta
    scheduled_since: datetime  # when the schedule was created or last changed
    last_run_at: datetime | None
    last_success_at: datetime | None
    recent_outcomes: tuple[str, ...]  # newest first

    @property
    def next_run_at(self) -> datetime:
        return (self.last_run_at or self.scheduled_since) + self.period


def task_state(observation: TaskObservation, now: datetime) -> str:
    if not observation.enabled:
        return PAUSED
    recent = observation.recent_outcomes[:FAILURES_FOR_DOWN]
    if len(recent) == FAILURES_FOR_DOWN and all(o in FAILED_OUTCOMES for o in recent):
        return DOWN
    # Never succeeded: judged from when it was scheduled.
    reference = observation.last_success_at or observation.scheduled_since
    if now > reference + FAILURES_FOR_DOWN * observation.period + observation.grace:
        return DOWN
    if now > observation.next_run_at + observation.grace:
        return LATE
    return UP
