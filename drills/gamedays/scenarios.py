"""The game-day scenarios: how each failure is injected and healed, what detects it.

Each scenario injects one failure into the running stack, holds it for ``hold_s`` wall
seconds (unless it heals by itself), then heals it. ``detect`` reads an ``Observation`` (what
an operator sees: /health/ready, /metrics, Prometheus alerts) and names the first signal that
shows the failure; recovery is the loop making progress again after the heal (a successful
trading cycle and ingest, /health/ready 200, the injected condition gone).
"""

from __future__ import annotations

import secrets
import shutil
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg

from drills.gamedays.probe import Observation
from drills.gamedays.scoring import Expectations
from drills.soak.seed import SOAK_STRATEGY
from harness.fakes.alpaca import KEY_ID, SECRET
from harness.simulator.control import SimulatorControl
from harness.stack import Stack
from marketdata.calendars import expected_bar_starts
from marketdata.timeframes import floor_to_timeframe
from risk.guard.model import KILL_SWITCH_ENGAGED, MAX_DAILY_LOSS

ERRORS = "tradingops_marketdata_provider_errors_total"
RUNS = "tradingops_scheduler_task_runs_total"
CALL_SECONDS_SUM = "tradingops_marketdata_provider_call_seconds" + "_sum"  # histogram total
REDIS_CLI = shutil.which("redis-cli") or "redis-cli"
TRADE_TASK, INGEST_TASK = "execution.predict_and_trade", "marketdata.ingest_bars"


@dataclass
class Context:
    """The running stack and what the scenarios share."""

    stack: Stack
    symbols: list[str]
    users: dict[str, str]  # username -> API token secret (operator, officer)
    artifact: Path | None
    baseline: Observation | None = None
    state: dict = field(default_factory=dict)

    def before(self, name: str, **labels: str) -> float:
        """The metric's value in the baseline (observed before the injection), 0 without one."""
        return self.baseline.value(name, **labels) if self.baseline else 0.0

    def headers(self, username: str) -> dict[str, str]:
        """The API's own authentication: a per-user token (the API takes no passwords)."""
        return {"Authorization": f"Bearer {self.users[username]}"}

    def api(
        self, username: str, path: str, body: dict, headers: dict | None = None
    ) -> httpx.Response:
        return httpx.post(
            f"{self.stack.urls['web']}/api/v1/{path}",
            json=body,
            headers=self.headers(username) | (headers or {}),
            timeout=10,
        )

    def api_get(
        self, username: str, path: str, params: dict | None = None, timeout: float = 10
    ) -> httpx.Response:
        return httpx.get(
            f"{self.stack.urls['web']}/api/v1/{path}",
            params=params,
            headers=self.headers(username),
            timeout=timeout,
        )


@dataclass
class Scenario:
    name: str
    summary: str
    inject: Callable[[Context], str]
    heal: Callable[[Context], str] | None
    detect: Callable[[Observation, Context], str | None]
    hold_s: float = 8.0
    expectations: Expectations = field(default_factory=Expectations)
    requires: Callable[[Context], str | None] = lambda ctx: None  # a reason to skip, or None
    recovered: Callable[[Observation, Context], bool] | None = None
    # Waits for the state the failure needs (an open position) before the clock starts.
    precondition: Callable[[Context], str] | None = None
    # After the settle: the stack's records (``soak_stack facts``) and the scenario's state in,
    # the expectations they miss out (pure; see ``drills.gamedays.facts``).
    verify: Callable[[dict, dict], list[str]] | None = None


def rose(observation: Observation, ctx: Context, name: str, **labels: str) -> bool:
    return observation.value(name, **labels) > ctx.before(name, **labels)


def alert(observation: Observation, *names: str) -> str | None:
    for name in names:
        if name in observation.alerts:
            return f"alert {name} {observation.alerts[name]}"
    return None


def loop_progressing(observation: Observation, ctx: Context) -> bool:
    """Ready, and both loop tasks succeeded since the heal (``ctx.state['at_heal']``)."""
    at_heal: Observation | None = ctx.state.get("at_heal")
    if not observation.ready or at_heal is None:
        return False
    return all(
        observation.value(RUNS, task=task, outcome="success")
        > at_heal.value(RUNS, task=task, outcome="success")
        for task in (TRADE_TASK, INGEST_TASK)
    )


def task_late(observation: Observation) -> str | None:
    for state in ("late", "down"):
        for (name, labels), value in observation.samples.items():
            if name == "tradingops_scheduler_task_state" and ("state", state) in labels and value:
                task = dict(labels).get("periodic_task", "?")
                if task in ("ingest-bars", "predict-and-trade"):
                    return f"periodic task {task} {state} (/metrics)"
    return None


# -- market data ------------------------------------------------------------------------------


def _primary_down(ctx: Context) -> str:
    ctx.stack.fake_control("alpaca", "fault", mode="5xx")
    return "fake Alpaca (primary) answers 503 to every request"


def _primary_detect(observation: Observation, ctx: Context) -> str | None:
    if rose(observation, ctx, ERRORS, provider="alpaca"):
        return "tradingops_marketdata_provider_errors_total{provider=alpaca} rose"
    return alert(observation, "ProviderCircuitOpen", "MarketDataProviderErroring")


def _recover(*providers: str) -> Callable[[Context], str]:
    def heal(ctx: Context) -> str:
        for provider in providers:
            ctx.stack.fake_control(provider, "recover")
        return f"{', '.join(providers)} recovered"

    return heal


def _one_instrument_down(ctx: Context) -> str:
    symbol = ctx.symbols[0]
    for provider in ("alpaca", "polygon"):
        ctx.stack.fake_control(provider, "fault", mode="5xx", symbols=symbol)
    return f"both providers answer 503 for {symbol} only"


def _one_instrument_detect(observation: Observation, ctx: Context) -> str | None:
    if rose(observation, ctx, ERRORS, provider="polygon") and rose(
        observation, ctx, ERRORS, provider="alpaca"
    ):
        return "provider errors rose on both providers"
    return alert(observation, "AllProvidersDown", "StaleBars")


def _latency_spike(ctx: Context) -> str:
    ctx.stack.fake_control("alpaca", "fault", mode="slow", delay_s=3)
    return "fake Alpaca answers after 3 s (client timeout 2 s)"


def _latency_detect(observation: Observation, ctx: Context) -> str | None:
    if rose(observation, ctx, ERRORS, provider="alpaca"):
        return "alpaca timeouts counted in tradingops_marketdata_provider_errors_total"
    if rose(observation, ctx, CALL_SECONDS_SUM, provider="alpaca"):
        slow = observation.value(CALL_SECONDS_SUM, provider="alpaca") - ctx.before(
            CALL_SECONDS_SUM, provider="alpaca"
        )
        if slow > 2:
            return "alpaca call time rose (tradingops_marketdata_provider_call_seconds)"
    return None


def _next_bar_start(ctx: Context) -> datetime:
    """The next bar the market will have: after the close, the next session's first."""
    spec = ctx.stack.spec
    forming = floor_to_timeframe(ctx.state["market_now"](), spec.timeframe)
    ahead = expected_bar_starts(
        spec.calendar, spec.timeframe, forming + ctx.state["bar"], forming + timedelta(days=5)
    )
    return ahead[0]


def _bad_ticks(ctx: Context) -> str:
    at = _next_bar_start(ctx)
    ctx.stack.fake_control("alpaca", "bad_tick", symbol=ctx.symbols[0], at=at.isoformat(),
                           kind="times_ten")  # fmt: skip
    return f"the primary's {ctx.symbols[0]} bar at {at:%H:%M} is ten times the price"


def _bad_ticks_detect(observation: Observation, ctx: Context) -> str | None:
    for name in (
        "tradingops_marketdata_bars_flagged_total",
        "tradingops_marketdata_bars_rejected_total",
    ):
        if rose(observation, ctx, name):
            return f"{name} rose"
    return None


def _stale(ctx: Context) -> str:
    frozen = ctx.state["market_now"]()
    for provider in ("alpaca", "polygon"):
        ctx.stack.fake_control(provider, "fault", mode="stale", stale_after=frozen.isoformat())
    return f"both providers serve no bar newer than {frozen:%H:%M} (stale feed)"


def _stale_detect(observation: Observation, ctx: Context) -> str | None:
    missing = observation.maximum("tradingops_marketdata_bars_missing")
    if missing > 3:  # MARKETDATA_STALE_AFTER_BARS: past it the guard refuses the instrument
        return f"{missing:.0f} bars missing (tradingops_marketdata_bars_missing)"
    return alert(observation, "StaleBars")


# -- processes ----------------------------------------------------------------------------


def _kill_worker(ctx: Context) -> str:
    ctx.stack.terminate("worker", signal.SIGKILL)
    return "SIGKILL to the worker and its pool (mid-task: tasks run every second)"


def _start_worker(ctx: Context) -> str:
    ctx.stack.worker_start()
    return "worker started again"


def _process_detect(observation: Observation, ctx: Context) -> str | None:
    return task_late(observation) or alert(observation, "PeriodicTaskLate", "PeriodicTaskDown")


def _stop_beat(ctx: Context) -> str:
    ctx.stack.terminate("beat")
    return "beat stopped (SIGTERM)"


def _start_beat(ctx: Context) -> str:
    ctx.stack.beat_start()
    return "beat started again"


def _needs_redis(ctx: Context) -> str | None:
    return None if "redis" in ctx.stack.processes else "the stack is not on Redis"


def _redis_down(ctx: Context) -> str:
    port = str(ctx.stack.ports["redis"])
    subprocess.run(  # noqa: S603 - fixed command on our private Redis
        [REDIS_CLI, "-p", port, "shutdown", "nosave"],
        capture_output=True,
        timeout=10,
        check=False,
    )
    ctx.stack.terminate("redis")
    return f"private Redis on :{port} shut down (nosave: queue and cache are lost)"


def _redis_up(ctx: Context) -> str:
    ctx.stack.redis_start()
    return "redis-server started again, empty"


def _ready_detect(observation: Observation, ctx: Context) -> str | None:
    if not observation.ready:
        return f"/health/ready 503: {', '.join(observation.failing) or 'failing'}"
    return task_late(observation)


def _database_down(ctx: Context) -> str:
    url = ctx.stack.spec.database_url
    if url.startswith("sqlite"):
        return _sqlite_lock(ctx, Path(url.removeprefix("sqlite:///")))
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
    return f"database {name}: connections dropped, new ones refused (a restart, as the app sees it)"


def _sqlite_lock(ctx: Context, path: Path) -> str:
    # No server to restart: hold the write lock instead, which is what writers see while a
    # database is unavailable (they wait up to the busy timeout, then fail).
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    ctx.state["sqlite_lock"] = connection
    return "SQLite: no server to restart, so the exclusive lock is held instead"


def _database_up(ctx: Context) -> str:
    lock = ctx.state.pop("sqlite_lock", None)
    if lock is not None:
        lock.execute("ROLLBACK")
        lock.close()
        return "SQLite lock released"
    url = ctx.stack.spec.database_url
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        connection.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
    return f"database {name} accepts connections again"


def _database_detect(observation: Observation, ctx: Context) -> str | None:
    return _ready_detect(observation, ctx) or (
        "task failures rose" if rose(observation, ctx, RUNS, outcome="failure") else None
    )


# -- risk and models ----------------------------------------------------------------------


def _engage(ctx: Context) -> str:
    response = ctx.api("gameday-operator", "risk/kill-switch/engage/", {"reason": "game day"})
    response.raise_for_status()
    return f"kill switch engaged by gameday-operator ({response.status_code})"


def _release_four_eyes(ctx: Context) -> str:
    request = ctx.api("gameday-operator", "risk/kill-switch/release/", {"reason": "game day over"})
    request.raise_for_status()
    change = request.json()["id"]
    own = ctx.api("gameday-operator", f"risk/change-requests/{change}/approve/", {"reason": "self"})
    ctx.state["self_approval_status"] = own.status_code
    approve = ctx.api(
        "gameday-officer", f"risk/change-requests/{change}/approve/", {"reason": "checked"}
    )
    approve.raise_for_status()
    return (
        f"release requested by gameday-operator; its own approval refused ({own.status_code}); "
        f"approved by gameday-officer ({approve.status_code})"
    )


def _engaged_detect(observation: Observation, ctx: Context) -> str | None:
    if observation.value("tradingops_risk_kill_switch_engaged") == 1:
        return "tradingops_risk_kill_switch_engaged = 1"
    return alert(observation, "KillSwitchEngaged")


def _released(observation: Observation, ctx: Context) -> bool:
    own = ctx.state.get("self_approval_status", 0)
    return (
        400 <= own < 500
        and observation.value("tradingops_risk_kill_switch_engaged") == 0
        and loop_progressing(observation, ctx)
    )


def _tighten_daily_loss(ctx: Context) -> str:
    """Make the day lose for real: tighten the limit to a cent at once (tightening needs no
    second person), then drive every instrument's price down on both providers (a slide of
    0.3 % a bar, so quality checks see an ordinary decline). The strategy is long or flat, so
    an open position marks to a loss and the next cycle's book check trips."""
    # A lasting change, not a temporary override: an override would stay in force over the
    # restored limit and trip again the moment the switch is released.
    body = {"scope": "global", "field": "max_daily_loss", "value": "0.01",
            "reason": "game day: daily-loss trip"}  # fmt: skip
    response = ctx.api("gameday-operator", "risk/limits/change/", body)
    response.raise_for_status()
    ctx.state["daily_loss_before"] = response.json()["before"].get("max_daily_loss")
    at = _next_bar_start(ctx)
    for provider in ("alpaca", "polygon"):
        for symbol in ctx.symbols:
            ctx.stack.fake_control(provider, "bad_tick", symbol=symbol, at=at.isoformat(),
                                   kind="slide")  # fmt: skip
    return (
        f"max_daily_loss tightened to 0.01 at once ({response.status_code}); every price slides "
        f"down from the {at:%H:%M} bar on (both providers): the open long marks to a loss"
    )


OPEN_LONG_WAIT_S = 120


def _open_long_wait(ctx: Context) -> str:
    """Until the game-day strategy holds a long (read through the API): only an open long
    loses on a slide, and a long/flat strategy may be flat for a while."""
    deadline = time.monotonic() + OPEN_LONG_WAIT_S
    while time.monotonic() < deadline:
        response = ctx.api_get(
            "gameday-operator", "execution/positions/", {"strategy__name": SOAK_STRATEGY}
        )
        response.raise_for_status()
        body = response.json()
        rows = body["results"] if isinstance(body, dict) else body
        longs = [row["symbol"] for row in rows if Decimal(row["quantity"]) > 0]
        if longs:
            return f"{longs[0]} held long by {SOAK_STRATEGY}"
        time.sleep(0.5)
    raise TimeoutError(f"no open long position within {OPEN_LONG_WAIT_S} s: nothing would lose")


def _loosen_daily_loss(ctx: Context) -> str:
    """Back to the limit it had, by four-eyes (loosening is a change request), then the kill
    switch the trip engaged is released by four-eyes too."""
    before = ctx.state.get("daily_loss_before") or "5000"
    body = {"scope": "global", "field": "max_daily_loss", "value": str(before),
            "reason": "game day over"}  # fmt: skip
    response = ctx.api("gameday-operator", "risk/limits/change/", body)
    response.raise_for_status()
    steps = [f"limit back to {before} requested ({response.status_code})"]
    change = response.json().get("change_request")
    if change:
        approve = ctx.api(
            "gameday-officer", f"risk/change-requests/{change['id']}/approve/", {"reason": "ok"}
        )
        approve.raise_for_status()
        steps.append(f"approved by gameday-officer ({approve.status_code})")
    steps.append(_release_four_eyes(ctx))
    return "; ".join(steps)


def _daily_loss_detect(observation: Observation, ctx: Context) -> str | None:
    if rose(observation, ctx, "tradingops_risk_trips_total", limit="max_daily_loss"):
        return "tradingops_risk_trips_total{limit=max_daily_loss} rose (daily loss trip)"
    if observation.value("tradingops_risk_kill_switch_engaged") == 1:
        return "kill switch engaged by the trip"
    return alert(observation, "DailyLossLimitReached", "KillSwitchEngaged")


def daily_loss_verify(facts: dict, state: dict) -> list[str]:
    """The trip is recorded as a daily-loss kill switch, the guard refused orders meanwhile,
    and the release went through a second person (its own approval refused)."""
    failures = []
    if not any(
        trip["limit"] == "max_daily_loss" and trip["action"] == "kill_switch"
        for trip in facts.get("trips", [])
    ):
        failures.append("no max_daily_loss trip engaging the kill switch was recorded")
    refused = facts.get("rejection_reasons", {})
    if not (refused.get(KILL_SWITCH_ENGAGED) or refused.get(MAX_DAILY_LOSS)):
        failures.append("no order was refused by the guard while tripped")
    own = state.get("self_approval_status", 0)
    if not 400 <= own < 500:
        failures.append(f"the requester's own approval of the release answered {own}, not 4xx")
    return failures


def _needs_artifact(ctx: Context) -> str | None:
    return None if ctx.artifact and ctx.artifact.exists() else "no champion artifact on disk"


def _artifact(ctx: Context) -> Path:
    if ctx.artifact is None:  # _needs_artifact skips the scenario first
        raise FileNotFoundError("no champion artifact")
    return ctx.artifact


def _corrupt(ctx: Context) -> str:
    """Overwrite the file, then restart the worker: a running worker keeps the model it
    verified in memory (cached by digest), so a bad file bites at the next load, as after
    a deploy or a restart."""
    artifact = _artifact(ctx)
    ctx.state["artifact_bytes"] = artifact.read_bytes()
    artifact.write_bytes(b"corrupted by a game day" + ctx.state["artifact_bytes"][64:])
    ctx.stack.terminate("worker")
    ctx.stack.worker_start()
    return f"champion artifact {artifact.name} overwritten; worker restarted (loads it anew)"


def _restore(ctx: Context) -> str:
    _artifact(ctx).write_bytes(ctx.state.pop("artifact_bytes"))
    return "champion artifact restored from its original bytes"


def _integrity_detect(observation: Observation, ctx: Context) -> str | None:
    if rose(observation, ctx, "tradingops_models_artifact_integrity_failures_total"):
        return "tradingops_models_artifact_integrity_failures_total rose"
    if rose(observation, ctx, "tradingops_execution_strategies_skipped_total"):
        return "strategies skipped (artifact_integrity)"
    return alert(observation, "ModelArtifactIntegrityFailure")


def _needs_simulator(ctx: Context) -> str | None:
    if "simulator" in ctx.stack.processes:
        return None
    return "needs the Alpaca-protocol broker simulator (manage.py run_broker_simulator)"


def _simulator(ctx: Context) -> SimulatorControl:
    return SimulatorControl(ctx.stack.urls["simulator"], KEY_ID, SECRET)


def _broker_faults(ctx: Context) -> str:
    control = _simulator(ctx)
    control.arm("reject", count=None, path="/v2/orders", method="POST")
    control.arm("timeout", count=3, delay_s=3)
    return "simulator rejects every new order; the next 3 API calls answer after 3 s (timeout 2 s)"


def _broker_clear(ctx: Context) -> str:
    _simulator(ctx).clear()
    return "simulator faults cleared"


def _broker_detect(observation: Observation, ctx: Context) -> str | None:
    for name, labels in (
        ("tradingops_execution_orders_total", {"status": "rejected"}),
        ("tradingops_execution_submit_retries_total", {}),
        ("tradingops_execution_submit_unresolved_total", {}),
    ):
        if rose(observation, ctx, name, **labels):
            return f"{name} rose"
    return alert(observation, "OrderUpdateAnomaly")


def _drop_stream(ctx: Context) -> str:
    _simulator(ctx).arm("drop_stream", seconds=10)
    return "simulator closes the trade-update stream and refuses it for 10 s"


def _stream_detect(observation: Observation, ctx: Context) -> str | None:
    connected = "tradingops_execution_trade_stream_connected"
    if ctx.before(connected) == 1 and observation.value(connected) == 0:
        return f"{connected} = 0"
    if rose(observation, ctx, "tradingops_execution_trade_stream_connects_total"):
        return "trade stream reconnected (tradingops_execution_trade_stream_connects_total)"
    return None


def _stream_back(observation: Observation, ctx: Context) -> bool:
    connected = observation.value("tradingops_execution_trade_stream_connected") == 1
    return connected and loop_progressing(observation, ctx)


def _needs_previous_champion(ctx: Context) -> str | None:
    if ctx.state.get("seed", {}).get("previous_champion"):
        return None
    return "the seed promoted no second model version: there is no previous champion"


def _rollback(ctx: Context) -> str:
    """Through the operators' interface, as an operator would, while orders flow."""
    request_id = f"gameday-rollback-{secrets.token_hex(6)}"
    response = ctx.api(
        "gameday-operator",
        "models/rollback",
        {"strategy": SOAK_STRATEGY, "reason": "game day: rollback under load"},
        headers={"X-Request-ID": request_id},
    )
    response.raise_for_status()
    ctx.state["rollback"] = {
        "version": response.json()["version"],
        "request_id": response.headers.get("X-Request-ID", request_id),
        "cycle_s": ctx.state["cycle"].total_seconds(),
    }
    return (
        f"POST /api/v1/models/rollback by gameday-operator ({response.status_code}): champion "
        f"back to v{response.json()['version']}, request {ctx.state['rollback']['request_id']}"
    )


def _champion_switched(observation: Observation, ctx: Context) -> str | None:
    wanted = ctx.state.get("rollback", {}).get("version")
    if wanted is None:
        return None
    response = ctx.api_get("gameday-operator", "models/status", timeout=5)
    if response.status_code != 200:
        return None
    for model in response.json():
        if (
            SOAK_STRATEGY in model["strategies"]
            and (model["champion"] or {}).get("version") == wanted
        ):
            return f"champion alias on v{wanted} (/api/v1/models/status)"
    return None


def rollback_verify(facts: dict, state: dict) -> list[str]:
    """The champion is the restored version; every traded signal made more than one cycle
    after the rollback came from it (a cycle in flight may still finish on the old one); the
    rollback has its PromotionEvent (actor, reason, request ID) and its audit chain event."""
    done = state.get("rollback")
    if not done:
        return ["the rollback was not made"]
    failures = []
    if facts.get("champion_version") != done["version"]:
        failures.append(
            f"champion is v{facts.get('champion_version')}, expected v{done['version']}"
        )
    events = [e for e in facts.get("rollbacks", []) if e["request_id"] == done["request_id"]]
    if not events:
        failures.append(f"no rollback PromotionEvent with request ID {done['request_id']}")
    else:
        event = events[0]
        if event["actor"] != "gameday-operator" or not event["reason"]:
            failures.append(f"the rollback event lacks its actor or reason: {event}")
        cutoff = datetime.fromisoformat(event["created_at"]) + timedelta(seconds=done["cycle_s"])
        after = [
            traded["version"]
            for traded in facts.get("signals", [])
            if datetime.fromisoformat(traded["created_at"]) > cutoff
        ]
        if not after:
            failures.append("no signal was made after the rollback: the switch is unproven")
        elif wrong := sorted({version for version in after if version != done["version"]}):
            failures.append(f"signals after the rollback from {wrong}, not v{done['version']}")
    if not any(e["request_id"] == done["request_id"] for e in facts.get("audit_rollbacks", [])):
        failures.append(f"no models.rollback audit chain event for {done['request_id']}")
    return failures


SCENARIOS = [
    Scenario(
        "primary-provider-down",
        "The primary data provider answers 503; ingest fails over "
        "to the backup and no bar is lost.",
        _primary_down,
        _recover("alpaca"),
        _primary_detect,
    ),
    Scenario(
        "all-providers-down-one-instrument",
        "Both providers fail for one instrument; the "
        "others keep trading, its bars are backfilled after.",
        _one_instrument_down,
        _recover("alpaca", "polygon"),
        _one_instrument_detect,
    ),
    Scenario(
        "provider-latency-spike",
        "The primary answers slower than the client timeout; "
        "retries, breaker and failover keep bars flowing.",
        _latency_spike,
        _recover("alpaca"),
        _latency_detect,
    ),
    Scenario(
        "bad-ticks",
        "A tenfold price from the primary; quality checks flag it before it "
        "reaches a signal or an order.",
        _bad_ticks,
        None,
        _bad_ticks_detect,
        hold_s=6,
    ),
    Scenario(
        "stale-cache",
        "Both providers keep serving the same last bar; staleness is "
        "flagged and trading on stale prices stops.",
        _stale,
        _recover("alpaca", "polygon"),
        _stale_detect,
    ),
    Scenario(
        "broker-rejects-and-timeouts",
        "The broker rejects new orders and answers late; rejections are recorded, a "
        "timed-out submit is looked up by its client order id, never doubled.",
        _broker_faults,
        _broker_clear,
        _broker_detect,
        hold_s=20,
        requires=_needs_simulator,
    ),
    Scenario(
        "trade-update-stream-dropped",
        "The trade-update stream drops for 10 s; polling covers the gap, the stream reconnects.",
        _drop_stream,
        _broker_clear,
        _stream_detect,
        hold_s=12,
        requires=_needs_simulator,
        recovered=_stream_back,
    ),
    Scenario(
        "worker-killed",
        "SIGKILL to the worker mid-task; acks_late redelivers, the restarted worker continues.",
        _kill_worker,
        _start_worker,
        _process_detect,
    ),
    Scenario(
        "beat-stopped",
        "Beat stops; the schedule goes late, the restarted beat catches up.",
        _stop_beat,
        _start_beat,
        _process_detect,
    ),
    Scenario(
        "database-restarted",
        "The database drops every connection and refuses new ones for a while.",
        _database_down,
        _database_up,
        _database_detect,
    ),
    Scenario(
        "redis-restarted",
        "Redis (broker and cache) restarts without persistence.",
        _redis_down,
        _redis_up,
        _ready_detect,
        requires=_needs_redis,
    ),
    Scenario(
        "kill-switch-four-eyes",
        "Kill switch engaged by one operator, released only with a second person's approval.",
        _engage,
        _release_four_eyes,
        _engaged_detect,
        recovered=_released,
    ),
    Scenario(
        "daily-loss-trip",
        "The daily loss limit is tightened to a cent and prices slide: the day loses, the trip "
        "engages the kill switch, the guard refuses orders; limit and switch come back by "
        "four-eyes.",
        _tighten_daily_loss,
        _loosen_daily_loss,
        _daily_loss_detect,
        hold_s=20,
        recovered=_released,
        verify=daily_loss_verify,
        precondition=_open_long_wait,
    ),
    Scenario(
        "model-artifact-corrupted",
        "The champion's artifact changes on disk; the sha256 "
        "check refuses it and the strategy is skipped, not traded on garbage.",
        _corrupt,
        _restore,
        _integrity_detect,
        requires=_needs_artifact,
        hold_s=40,  # the restarted worker loads the file
        expectations=Expectations(max_detect_s=60),
    ),
    Scenario(
        "rollback-under-load",
        "While the loop trades, an operator rolls the champion back to the previous version "
        "through the API; signals switch within a cycle, no order is lost or doubled.",
        _rollback,
        None,
        _champion_switched,
        hold_s=12,
        requires=_needs_previous_champion,
        # The alias moves in the API's own transaction: visible at the next poll.
        expectations=Expectations(max_detect_s=5),
        verify=rollback_verify,
    ),
]
SCENARIO_NAMES = [scenario.name for scenario in SCENARIOS]


def scenario_get(name: str) -> Scenario:
    for scenario in SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIO_NAMES)}")
