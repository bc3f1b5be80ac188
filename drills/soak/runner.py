"""``manage.py soak``: start the stack, let the clock run the sessions, score what happened.

Steps:
1. Plan the sessions (exchange calendar) and record a running ``SoakRun``.
2. Prepare scratch state (database, broker, fake providers), migrate and seed it (history
   up to the first open, a champion, a strategy, a 1-second schedule).
3. Anchor the session clock a few seconds ahead and start web, worker, beat and Prometheus.
4. Until the last session has closed (plus a few bars of grace): poll alerts, sample memory,
   inject the profile's faults, and store a daily report as each session closes.
5. Stop the stack, collect the whole window, check the invariants, finish the ``SoakRun``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings

from common.clock import SessionClock
from common.databases import database_vendor, scratch_database_url
from drills.models import SoakRun
from drills.soak.alerts import AlertWatcher
from drills.soak.invariants import soak_failures
from drills.soak.profile import Session, SoakProfile, session_plan
from drills.soak.records import (
    soak_daily_report_record,
    soak_run_abort,
    soak_run_finish,
    soak_run_start,
)
from harness.environment import broker_kind, private_redis_wanted
from harness.stack import Stack, StackSpec, stopped_on_termination
from marketdata.timeframes import floor_to_timeframe, timeframe_delta

STARTUP_LEAD_S = 25.0  # wall seconds between starting the processes and the first open
GRACE_BARS = 3  # bars of the next session to wait for after a close (its last bar, fills)
MEMORY_EVERY_S = 5.0
ALERTS_EVERY_S = 2.0
WARM_UP = timedelta(hours=1)


def stack_settings_module() -> str:
    """The stack's processes use the parent's settings, except test settings (a random queue
    per process there would split worker and beat): those run the stack on dev settings."""
    module = settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")
    return "tradingops.settings.dev" if module.endswith(".test") else module


def build_stack(*, profile: SoakProfile, var_dir: Path, suffix: str) -> Stack:
    var_dir.mkdir(parents=True, exist_ok=True)
    return Stack(
        StackSpec(
            var_dir=var_dir,
            database_url=scratch_database_url(var_dir=var_dir, suffix=suffix),
            speed=profile.clock_speed,
            first_session=profile.first_session,
            timeframe=profile.timeframe,
            calendar=profile.calendar,
            schedule_seconds=profile.schedule_seconds,
            private_redis=private_redis_wanted(),
            redis_port=settings.OPERATIONS_STACK_REDIS_PORT,
            settings_module=stack_settings_module(),
            broker=profile.broker,
        )
    )


def environment(profile: SoakProfile) -> dict:
    return {
        "database": database_vendor(),
        "celery_broker": broker_kind(),
        "broker": profile.broker,
    }


class WallClock:
    """Maps market moments to wall time: the session clock's, or the identity at speed 1."""

    def __init__(self, profile: SoakProfile, anchor: float) -> None:
        self.session_clock = None
        if profile.clock_speed != 1:
            self.session_clock = SessionClock(
                anchor_unix=anchor,
                speed=profile.clock_speed,
                calendar=profile.calendar,
                start=profile.first_session,
            )

    def wall_time_of(self, moment: datetime) -> float:
        if self.session_clock is None:
            return moment.timestamp()
        return self.session_clock.wall_time_of(moment)

    def now(self) -> datetime:
        if self.session_clock is None:
            return datetime.now(tz=UTC)
        return self.session_clock.now()


@dataclass
class Observations:
    """What the parent sees of the running stack: memory, alerts, faults, deaths."""

    memory_first: dict[str, int] = field(default_factory=dict)
    memory_last: dict[str, int] = field(default_factory=dict)
    memory_max: dict[str, int] = field(default_factory=dict)
    faults: list[dict] = field(default_factory=list)
    died: list[str] = field(default_factory=list)

    def sample_memory(self, stack: Stack) -> None:
        sample = stack.memory_kib()
        for name, kib in sample.items():
            self.memory_first.setdefault(name, kib)
            self.memory_max[name] = max(self.memory_max.get(name, 0), kib)
        self.memory_last.update(sample)

    def memory_report(self) -> dict:
        return {
            name: {
                "start_mib": round(self.memory_first[name] / 1024, 1),
                "end_mib": round(self.memory_last.get(name, 0) / 1024, 1),
                "max_mib": round(self.memory_max[name] / 1024, 1),
                "growth_mib": round(
                    (self.memory_last.get(name, 0) - self.memory_first[name]) / 1024, 1
                ),
            }
            for name in sorted(self.memory_first)
        }


class FaultSchedule:
    """The ``--faults`` profile: which failures to inject at which point of which session.

    ``providers``: each session a third in, the primary provider (fake Alpaca) answers 503 for
    three wall seconds (failover to Polygon); two thirds in, one bad tick on the first
    instrument. ``chaos``: that, plus on the second session the worker is SIGKILLed mid-run and
    restarted, and on the third beat is stopped and restarted.
    """

    def __init__(self, profile: SoakProfile, plan: list[Session], symbol: str) -> None:
        self.pending: list[tuple[datetime, str, Session]] = []
        self.symbol = symbol
        self.timeframe = profile.timeframe
        self.undo: list[tuple[float, Callable[[Stack], object], str]] = []
        if profile.faults in ("providers", "chaos"):
            for session in plan:
                self.pending.append((_at(session, 1 / 3), "primary_down", session))
                self.pending.append((_at(session, 2 / 3), "bad_tick", session))
        if profile.faults == "chaos" and len(plan) > 2:
            self.pending.append((_at(plan[1], 1 / 2), "worker_killed", plan[1]))
            self.pending.append((_at(plan[2], 1 / 2), "beat_stopped", plan[2]))
        self.pending.sort(key=lambda item: item[0])

    def apply(self, stack: Stack, market_now: datetime, observations: Observations) -> None:
        now = time.time()
        for _due, action, label in [item for item in self.undo if item[0] <= now]:
            action(stack)
            observations.faults.append({"recovered": label, "market_time": market_now.isoformat()})
        self.undo = [item for item in self.undo if item[0] > now]
        while self.pending and self.pending[0][0] <= market_now:
            _, kind, _session = self.pending.pop(0)
            self._inject(stack, kind, market_now)
            observations.faults.append({"injected": kind, "market_time": market_now.isoformat()})

    def _inject(self, stack: Stack, kind: str, market_now: datetime) -> None:
        if kind == "primary_down":
            stack.fake_control("alpaca", "fault", mode="5xx")
            self.undo.append((time.time() + 3, lambda s: s.fake_control("alpaca", "recover"), kind))
        elif kind == "bad_tick":
            at = floor_to_timeframe(market_now, self.timeframe)
            for provider in ("alpaca", "polygon"):
                stack.fake_control(
                    provider, "bad_tick", symbol=self.symbol, at=at.isoformat(), kind="times_ten"
                )
        elif kind == "worker_killed":
            stack.terminate("worker", signal.SIGKILL)
            self.undo.append((time.time() + 3, lambda s: s.worker_start(), kind))
        elif kind == "beat_stopped":
            stack.terminate("beat")
            self.undo.append((time.time() + 5, lambda s: s.beat_start(), kind))


def _at(session: Session, fraction: float) -> datetime:
    return session.open + (session.close - session.open) * fraction


def collect(stack: Stack, start: datetime, end: datetime, sessions: Sequence[Session] = ()) -> dict:
    args = ["soak_stack", "collect", "--start", start.isoformat(), "--end", end.isoformat()]
    for session in sessions:
        args += [
            "--session",
            f"{session.label}|{session.open.isoformat()}|{session.close.isoformat()}",
        ]
    return json.loads(stack.manage(*args).stdout)


def soak_run(
    *, profile: SoakProfile, var_dir: Path | None = None, log: Callable[[str], None] = print
) -> tuple[SoakRun, dict]:
    """Run the whole soak; returns the stored run and its report."""
    plan = session_plan(
        first_session=profile.first_session,
        trading_days=profile.trading_days,
        calendar=profile.calendar,
    )
    var_dir = var_dir or settings.VAR_DIR / "soak" / datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%S")
    record = soak_run_start(profile=profile, environment=environment(profile))
    began = time.monotonic()
    stack = build_stack(profile=profile, var_dir=var_dir, suffix="soak")
    try:
        with stopped_on_termination():
            report = _run(profile, plan, stack, record, log)
    except BaseException as exc:  # SIGTERM and Ctrl-C too: no process outlives the run
        stack.stop()
        soak_run_abort(soak_run=record, error=f"{type(exc).__name__}: {exc}")
        raise
    report["wall_seconds"] = round(time.monotonic() - began, 1)
    report["scratch_dir"] = str(var_dir)
    failures = soak_failures(report)
    report["passed"] = not failures
    report["failures"] = failures
    return soak_run_finish(soak_run=record, report=report, failures=failures), report


def _run(
    profile: SoakProfile, plan: list[Session], stack: Stack, record: SoakRun, log: Callable
) -> dict:
    seed = _stack_seed(profile, plan, stack, log)
    anchor = time.time() + STARTUP_LEAD_S if profile.clock_speed != 1 else 0.0
    stack.start(anchor=anchor)
    stack.wait_ready()
    log(f"soak: stack up at {stack.urls['web']}; {len(plan)} sessions from {plan[0].label}")
    watch = SessionWatch(
        profile=profile,
        plan=plan,
        stack=stack,
        record=record,
        clock=WallClock(profile, anchor),
        faults=FaultSchedule(profile, plan, seed["symbols"][0]),
        watcher=AlertWatcher(stack.urls["prometheus"]) if "prometheus" in stack.urls else None,
        log=log,
    )
    watch.run()
    watch.observations.sample_memory(stack)
    stack.stop()
    report = collect(stack, plan[0].open, plan[-1].close, plan)
    for day in plan[watch.next_day :]:
        soak_daily_report_record(
            soak_run=record, session=day.label, figures=report["sessions"][day.label]
        )
    return _report(profile, plan, seed, report, watch.observations, watch.watcher)


def _stack_seed(profile: SoakProfile, plan: list[Session], stack: Stack, log: Callable) -> dict:
    """Scratch state migrated and seeded up to the first open; the seed's report."""
    stack.prepare()
    log(f"soak: scratch state in {stack.spec.var_dir}; migrating and seeding")
    stack.manage("migrate", "--noinput")
    seeded = stack.manage(
        "soak_stack",
        "seed",
        "--instruments",
        str(profile.instruments),
        "--history-sessions",
        str(profile.history_sessions),
        "--first-open",
        plan[0].open.isoformat(),
        "--max-price-age-s",
        str(profile.max_price_age_s),
    )
    return json.loads(seeded.stdout)


@dataclass
class SessionWatch:
    """The parent's loop while the sessions run: processes that died, alerts, memory, the
    profile's faults, and each session's daily report once it has closed."""

    profile: SoakProfile
    plan: list[Session]
    stack: Stack
    record: SoakRun
    clock: WallClock
    faults: FaultSchedule
    watcher: AlertWatcher | None
    log: Callable[[str], None]
    observations: Observations = field(default_factory=Observations)
    next_day: int = 0  # the first session without its daily report
    last_memory: float = 0.0
    last_alerts: float = 0.0

    def run(self) -> None:
        """Until the last session has closed, plus a few bars of grace."""
        grace = GRACE_BARS * _wall_per_bar(self.profile)
        end_wall = self.clock.wall_time_of(self.plan[-1].close) + grace
        # Memory growth counts from the second session (or the first one's second hour in a
        # one-day run): by then every pool child has imported the model stack and loaded models.
        plan = self.plan
        warm = self.clock.wall_time_of(plan[1].open if len(plan) > 1 else plan[0].open + WARM_UP)
        while time.time() < end_wall:
            time.sleep(0.5)
            self.tick(time.time(), warm=warm, grace=grace)

    def tick(self, now: float, *, warm: float, grace: float) -> None:
        stack, observations = self.stack, self.observations
        observations.died += [
            name
            for name in stack.processes
            if not stack.alive(name) and name not in observations.died
        ]
        if self.watcher and now - self.last_alerts >= ALERTS_EVERY_S:
            self.watcher.poll()
            self.last_alerts = now
        if now >= warm and now - self.last_memory >= MEMORY_EVERY_S:
            observations.sample_memory(stack)
            self.last_memory = now
        self.faults.apply(stack, self.clock.now(), observations)
        self.closed_sessions_report(now, grace)

    def closed_sessions_report(self, now: float, grace: float) -> None:
        plan = self.plan
        while self.next_day < len(plan) and (
            now >= self.clock.wall_time_of(plan[self.next_day].close) + grace
        ):
            day = plan[self.next_day]
            figures = collect(self.stack, day.open, day.close)
            soak_daily_report_record(soak_run=self.record, session=day.label, figures=figures)
            self.log(
                f"soak: {day.label} cycles {figures['cycles_run']}/{figures['cycles_expected']}"
            )
            self.next_day += 1


def _wall_per_bar(profile: SoakProfile) -> float:
    return timeframe_delta(profile.timeframe).total_seconds() / profile.clock_speed


def _report(profile, plan, seed, figures, observations, watcher) -> dict:
    sessions = figures.pop("sessions")
    return {
        "profile": profile.as_dict(),
        "environment": environment(profile),
        "first_session": plan[0].label,
        "last_session": plan[-1].label,
        "symbols": seed["symbols"],
        "history_bars": seed["history_bars"],
        "champion": seed["champion"],
        **figures,
        **(watcher.summary() if watcher else {"alerts_evaluated_by": "none (no prometheus)"}),
        "memory": observations.memory_report(),
        "faults_injected": observations.faults,
        "processes_died": observations.died,
        "daily": sessions,
    }
