"""``manage.py game_day``: a stack of its own, then each scenario in turn, each recorded.

Per scenario:
1. Observe the steady state (the baseline), then inject the failure.
2. Every half second observe /health/ready, /metrics and Prometheus' alerts; log alert and
   readiness changes to the timeline; the first signal the scenario names is the detection.
3. After ``hold_s`` (and detection, or twice ``hold_s`` without it) heal the failure.
4. Wait until the loop makes progress again (recovery), then two bars more, and count bars
   missing, orders doubled or lost, and orders rejected or cancelled in the failure window.
5. Score against the expectations; store the ``GameDay``; a failed one opens an incident.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from drills.gamedays.probe import Observation, Probe
from drills.gamedays.scenarios import (
    SCENARIOS,
    Context,
    Scenario,
    loop_progressing,
    scenario_get,
)
from drills.gamedays.scoring import Outcome, game_day_failures
from drills.models import GameDay
from drills.soak.profile import SoakProfile, session_plan
from drills.soak.runner import WallClock, build_stack, collect, environment
from harness.environment import default_broker
from harness.stack import Stack, stopped_on_termination
from marketdata.timeframes import timeframe_delta
from operations.incidents import incident_open

POLL_S = 0.5
SETTLE_BARS = 2
# How long a scenario waits for the stack its predecessor left to make progress again.
HEALTHY_WAIT_S = 90
PROFILE = SoakProfile(trading_days=1, instruments=2, history_sessions=20)


def game_day_profile() -> SoakProfile:
    return dataclasses.replace(PROFILE, broker=default_broker())


# Late after 3 s, not a minute: fast detection. Change requests expire in market time, which
# runs 450 times faster here: a day of market time gives the second person a few wall minutes.
GAME_DAY_ENV = {"SCHEDULER_GRACE_SECONDS": "3", "RISK_CHANGE_REQUEST_TTL_MINUTES": "1440"}


class GameDayStack:
    """A stack for game days: started once, shared by the scenarios of one command."""

    def __init__(self, var_dir: Path, log: Callable[[str], None]) -> None:
        self.log = log
        self.profile = game_day_profile()
        self.stack: Stack = build_stack(profile=self.profile, var_dir=var_dir, suffix="gameday")
        self.stack.spec.extra_env.update(GAME_DAY_ENV)
        self.clock: WallClock | None = None
        self.context: Context | None = None

    def start(self) -> Context:
        stack = self.stack
        stack.prepare()
        stack.manage("migrate", "--noinput")
        users = {"gameday-operator": secrets.token_urlsafe(12), "gameday-officer": ""}
        users["gameday-officer"] = secrets.token_urlsafe(12)
        first_open = session_plan(
            first_session=PROFILE.first_session, trading_days=1, calendar=PROFILE.calendar
        )[0].open
        seed = json.loads(
            stack.manage(
                "soak_stack", "seed", "--instruments", str(PROFILE.instruments),
                "--history-sessions", str(PROFILE.history_sessions),
                "--first-open", first_open.isoformat(),
                "--max-price-age-s", str(self.profile.max_price_age_s),
                "--users", *(f"{name}:{password}" for name, password in users.items()),
                "--second-version-approver", "gameday-officer",
            ).stdout
        )  # fmt: skip
        # The API takes tokens, not passwords: one read-write token per person, as issued to
        # operators (manage.py issue_api_token).
        tokens = {
            name: stack.manage(
                "issue_api_token", "--user", name, "--name", "game day", "--scope", "read_write"
            ).stdout.strip()
            for name in users
        }
        anchor = time.time() + 20
        stack.start(anchor=anchor)
        stack.wait_ready()
        self.clock = WallClock(PROFILE, anchor)
        # Relative paths are inside the stack's artifact directory (MODEL_ARTIFACT_DIR).
        artifact = stack.spec.var_dir / "artifacts" / seed["artifact"] if seed["artifact"] else None
        self.context = Context(
            stack=stack, symbols=seed["symbols"], users=tokens, artifact=artifact
        )
        self.context.state["market_now"] = self.clock.now
        self.context.state["bar"] = timeframe_delta(PROFILE.timeframe)
        self.context.state["seed"] = seed
        # One trading cycle in market time: the schedule's period at the clock's speed.
        self.context.state["cycle"] = timedelta(
            seconds=PROFILE.schedule_seconds * PROFILE.clock_speed
        )
        self._warm_up()
        return self.context

    def _warm_up(self, timeout: float = 180) -> None:
        """Until two trading cycles and ingests have succeeded: the steady state."""
        probe = self.probe()
        deadline = time.monotonic() + timeout
        first = probe.observe()
        self.context.state["at_heal"] = first
        while time.monotonic() < deadline:
            time.sleep(1)
            if loop_progressing(probe.observe(), self.context):
                return
        raise TimeoutError("the game-day stack never reached a steady state")

    def probe(self) -> Probe:
        return Probe(self.stack.urls["web"], self.stack.urls.get("prometheus"))

    def stop(self) -> None:
        self.stack.stop()


class Timeline:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.events: list[dict] = []

    def rebase(self) -> None:
        """Count from now: what happened so far keeps its place at negative times."""
        now = time.monotonic()
        for event in self.events:
            event["t_s"] = round(event["t_s"] - (now - self.started), 2)
        self.started = now

    def add(self, kind: str, detail: str) -> float:
        t_s = round(time.monotonic() - self.started, 2)
        self.events.append({"t_s": t_s, "kind": kind, "detail": detail})
        return t_s


def _changes(previous: Observation, current: Observation, timeline: Timeline) -> None:
    for name, state in current.alerts.items():
        if previous.alerts.get(name) != state:
            timeline.add("alert", f"{name} {state}")
    for name in previous.alerts.keys() - current.alerts.keys():
        timeline.add("alert", f"{name} resolved")
    if previous.ready != current.ready:
        detail = "200" if current.ready else f"503 {', '.join(current.failing)}"
        timeline.add("state", f"/health/ready {detail}")


def stack_unhealthy(game: GameDayStack, timeout: float = HEALTHY_WAIT_S) -> str | None:
    """Why the stack cannot start a scenario, or None once it is healthy: every process it
    started still running, and the loop progressing (ready, both loop tasks succeeding) within
    ``timeout``. A scenario on a stack its predecessor broke would only report that breakage."""
    exited = [
        f"{name} exited ({process.returncode})"
        for name, process in game.stack.processes.items()
        if process.poll() is not None
    ]
    if exited:
        return ", ".join(exited)
    probe, ctx = game.probe(), game.context
    ctx.state["at_heal"] = current = probe.observe()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        current = probe.observe()
        if loop_progressing(current, ctx):
            return None
    failing = ", ".join(current.failing) or "none"
    return f"the loop made no progress for {timeout:.0f} s (/health/ready failing: {failing})"


@dataclasses.dataclass
class Marks:
    """When, on the timeline, the failure was detected, healed and recovered from."""

    detected_s: float | None = None
    healed_s: float | None = None
    recovered_s: float | None = None


def scenario_run(scenario: Scenario, game: GameDayStack) -> GameDay:
    ctx, probe = game.context, game.probe()
    skip = scenario.requires(ctx)
    started = timezone.now()
    if skip:
        return _record(scenario, started, None, Timeline(), {"skipped": skip}, [f"skipped: {skip}"])
    timeline = Timeline()
    if unhealthy := stack_unhealthy(game):
        refusal = f"refused: the stack is not healthy before the scenario: {unhealthy}"
        timeline.add("error", refusal)
        return _record(scenario, started, None, timeline, {"refused": unhealthy}, [refusal])
    _precondition_wait(scenario, ctx, timeline)
    ctx.baseline = probe.observe()
    market_start = game.clock.now()
    marks = _inject_and_watch(scenario, ctx, probe, timeline)
    market_end = game.clock.now()
    time.sleep(SETTLE_BARS * _wall_per_bar())
    outcome, figures, failures = _score(scenario, ctx, timeline, (market_start, market_end), marks)
    return _record(scenario, started, outcome, timeline, figures, failures)


def _precondition_wait(scenario: Scenario, ctx: Context, timeline: Timeline) -> None:
    if scenario.precondition is None:
        return
    waited = time.monotonic()
    detail = _safely(scenario.precondition, ctx, timeline)
    timeline.add("precondition", f"{detail} (after {time.monotonic() - waited:.1f} s)")
    timeline.rebase()  # detection and recovery count from the injection


def _inject_and_watch(scenario: Scenario, ctx: Context, probe: Probe, timeline: Timeline) -> Marks:
    """Inject, then observe every ``POLL_S`` until recovered (or the time limit): log the
    changes, mark the detection, heal once the hold is over."""
    previous = ctx.baseline
    timeline.add("inject", _safely(scenario.inject, ctx, timeline))
    marks = Marks()
    ctx.state["at_heal"] = None
    limit = scenario.hold_s * 2 + scenario.expectations.max_recover_s + 30
    while time.monotonic() - timeline.started < limit:
        time.sleep(POLL_S)
        current = probe.observe()
        _changes(previous, current, timeline)
        previous = current
        if marks.detected_s is None and (signal := scenario.detect(current, ctx)):
            marks.detected_s = timeline.add("detect", signal)
        if marks.healed_s is None and _hold_over(scenario, marks, timeline):
            marks.healed_s = _heal(scenario, ctx, timeline)
            ctx.state["at_heal"] = probe.observe()
        if marks.healed_s is not None and (scenario.recovered or loop_progressing)(current, ctx):
            marks.recovered_s = timeline.add("recover", "loop progressing, /health/ready 200")
            break
    if marks.healed_s is None and scenario.heal is not None:
        marks.healed_s = timeline.add("heal", _safely(scenario.heal, ctx, timeline))
    return marks


def _hold_over(scenario: Scenario, marks: Marks, timeline: Timeline) -> bool:
    """The failure was held ``hold_s`` and detected, or held twice that without detection."""
    elapsed = time.monotonic() - timeline.started
    return elapsed >= scenario.hold_s and (
        marks.detected_s is not None or elapsed >= 2 * scenario.hold_s
    )


def _heal(scenario: Scenario, ctx: Context, timeline: Timeline) -> float:
    if scenario.heal is None:  # heals by itself: recovery counts from the injection
        timeline.add("note", "no action: the failure heals by itself")
        return 0.0
    return timeline.add("heal", _safely(scenario.heal, ctx, timeline))


def _score(
    scenario: Scenario,
    ctx: Context,
    timeline: Timeline,
    window: tuple[datetime, datetime],
    marks: Marks,
) -> tuple[Outcome, dict, list[str]]:
    """The window's figures, the outcome and every expectation it misses."""
    figures = _window_figures(ctx.stack, *window)
    timeline.add("note", f"window figures: {_summary(figures)}")
    recovered_s = marks.recovered_s
    outcome = Outcome(
        time_to_detect_s=marks.detected_s,
        time_to_recover_s=None if recovered_s is None else round(recovered_s - marks.healed_s, 2),
        data_lost=figures["missed_bars"],
        duplicate_orders=figures["duplicate_orders"],
        lost_orders=figures["lost_orders"],
        ledger_breaks=figures["ledger_breaks"],
    )
    failures = game_day_failures(outcome, scenario.expectations)
    failures += [event["detail"] for event in timeline.events if event["kind"] == "error"]
    if scenario.verify is not None:
        failures += _verify(scenario, ctx, timeline, figures, since=window[0])
    return outcome, figures, failures


def _verify(
    scenario: Scenario, ctx: Context, timeline: Timeline, figures: dict, *, since: datetime
) -> list[str]:
    """What the stack's own records say (``soak_stack facts``), checked by the scenario."""
    facts = json.loads(ctx.stack.manage("soak_stack", "facts", "--since", since.isoformat()).stdout)
    figures["facts"] = facts
    found = scenario.verify(facts, ctx.state)
    timeline.add("note", f"verified in the records: {'; '.join(found) or 'all as expected'}")
    return found


def _safely(step: Callable[[Context], str], ctx: Context, timeline: Timeline) -> str:
    """Run an inject or heal step; a step that fails is a finding of the game day, recorded
    in its timeline and failures, not a crash of the whole run."""
    try:
        return step(ctx)
    except Exception as exc:
        detail = f"{step.__name__} failed: {type(exc).__name__}: {exc}"
        timeline.add("error", detail)
        return detail


def _wall_per_bar() -> float:
    return timeframe_delta(PROFILE.timeframe).total_seconds() / PROFILE.clock_speed


def _window_figures(stack: Stack, start: datetime, end: datetime) -> dict:
    bar = timeframe_delta(PROFILE.timeframe)
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    start = start - (start - epoch) % bar - bar
    end = end - (end - epoch) % bar
    return collect(stack, start, max(end, start + bar))


def _summary(figures: dict) -> str:
    keys = (
        "bars_expected", "missed_bars", "orders_by_status", "duplicate_orders", "lost_orders",
        "ledger_breaks",
    )  # fmt: skip
    return ", ".join(f"{key}={figures.get(key)}" for key in keys)


@transaction.atomic
def _record(
    scenario: Scenario,
    started: datetime,
    outcome: Outcome | None,
    timeline: Timeline,
    observed: dict,
    failures: list[str],
) -> GameDay:
    by_status = observed.get("orders_by_status", {})
    affected = by_status.get("rejected", 0) + by_status.get("canceled", 0)
    if outcome is not None:
        affected += outcome.duplicate_orders + outcome.lost_orders
    game_day = GameDay.objects.create(
        scenario=scenario.name,
        started_at=started,
        finished_at=timezone.now(),
        passed=None if "skipped" in observed else not failures,  # refused: failed
        time_to_detect_s=outcome and outcome.time_to_detect_s,
        time_to_recover_s=outcome and outcome.time_to_recover_s,
        orders_affected=affected,
        data_lost=outcome.data_lost if outcome else 0,
        expectations=scenario.expectations.as_dict(),
        observed=observed,
        failures=failures,
        timeline=timeline.events,
        environment=environment(game_day_profile()),
    )
    if game_day.passed is False:
        game_day.incident_id = _incident_open(game_day)
        game_day.save(update_fields=["incident_id", "updated_at"])
    return game_day


def _incident_open(game_day: GameDay) -> int:
    """A failed game day is an incident to work, like a failure in production."""
    incident = incident_open(
        title=f"Game day failed: {game_day.scenario}",
        severity="sev3",
        source="game_day",
        summary="; ".join(game_day.failures),
        actor_name="game_day",
    )
    return incident.pk


def game_days_run(
    *, names: list[str], var_dir: Path | None = None, log: Callable[[str], None] = print
) -> list[GameDay]:
    scenarios = SCENARIOS if names == ["all"] else [scenario_get(name) for name in names]
    var_dir = var_dir or settings.VAR_DIR / "gameday" / datetime.now(tz=UTC).strftime(
        "%Y%m%dT%H%M%S"
    )
    game = GameDayStack(var_dir, log)
    results = []
    with stopped_on_termination():
        try:
            game.start()
            log(f"game day: stack up at {game.stack.urls['web']} ({var_dir})")
            for scenario in scenarios:
                log(f"game day: {scenario.name} ...")
                result = scenario_run(scenario, game)
                log(f"game day: {scenario.name}: {result.passed} {result.failures}")
                results.append(result)
                time.sleep(SETTLE_BARS * _wall_per_bar())
        finally:
            game.stop()
    return results


def game_day_row(game_day: GameDay) -> dict:
    return {
        "scenario": game_day.scenario,
        "passed": game_day.passed,
        "time_to_detect_s": game_day.time_to_detect_s,
        "time_to_recover_s": game_day.time_to_recover_s,
        "orders_affected": game_day.orders_affected,
        "data_lost": game_day.data_lost,
        "ledger_breaks": game_day.observed.get("ledger_breaks"),
        "failures": game_day.failures,
        "timeline": game_day.timeline,
        "incident_id": game_day.incident_id,
    }
