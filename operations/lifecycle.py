"""Stopping and restarting trading: ``trading_shutdown`` and ``trading_startup``.

Both write one ``TradingLifecycleEvent`` (who, why, request ID, every step and its result);
the risk changes they make go through risk's own services, which write their audit rows.
Runbooks: docs/runbooks/shutdown.md and docs/runbooks/restart.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog
from celery import current_app
from django.conf import settings
from django.contrib.auth.models import User
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from common import clock
from common.actors import TOKEN_VARIABLE, is_service_account
from common.exceptions import PermissionRefused, ValidationFailed
from execution.selectors import orders_open
from execution.services import get_broker, order_updates_poll, orders_cancel_open
from marketdata.services import bars_ingest
from operations.choices import LifecycleKind, LifecycleOutcome, ShutdownMode
from operations.choices import ReadinessStatus as Status
from operations.models import TradingLifecycleEvent
from operations.readiness import CheckResult, check_run, live_trading_allowed
from risk.models import TradingStateSetting
from risk.selectors import kill_switch_get
from risk.services.kill_switch import kill_switch_engage
from risk.services.states import trading_state_set

logger = structlog.get_logger(__name__)
WORKER_PING_TIMEOUT_S = 1.0
BROKER_TIMEOUT_S = 2
POLL_INTERVAL_S = 0.5
# What each action needs, as the API and admin check it for its parts: halting and requesting
# ACTIVE (request_change), the kill switch (operate_killswitch), the beat schedule.
SHUTDOWN_PERMISSIONS = {
    ShutdownMode.GRACEFUL: ("risk.request_change", "django_celery_beat.change_periodictask"),
    ShutdownMode.EMERGENCY: ("risk.operate_killswitch",),
}
STARTUP_PERMISSIONS = ("risk.request_change", "django_celery_beat.change_periodictask")


@dataclass
class LifecycleReport:
    kind: str
    mode: str = ""
    steps: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = LifecycleOutcome.DONE
    next_step: str = ""
    event_id: int | None = None

    def step(self, name: str, ok: bool, detail: str, **extra: Any) -> None:
        self.steps.append({"step": name, "ok": ok, "detail": detail, **extra})
        logger.info("trading_lifecycle_step", kind=self.kind, step=name, ok=ok, detail=detail)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "mode": self.mode,
            "outcome": self.outcome,
            "next_step": self.next_step,
            "event_id": self.event_id,
            "steps": self.steps,
        }


def _lifecycle_require(actor: User, permissions: tuple[str, ...], what: str) -> None:
    missing = [perm for perm in permissions if not actor.has_perm(perm)]
    if missing:
        raise PermissionRefused(f"{what} needs the {', '.join(missing)} permission(s)")


def _record(
    report: LifecycleReport,
    *,
    actor: User,
    reason: str,
    request_id: str,
    started_at: Any,
) -> LifecycleReport:
    event = TradingLifecycleEvent.objects.create(
        kind=report.kind,
        mode=report.mode,
        actor=actor,
        actor_name=actor.get_username(),
        reason=reason,
        request_id=request_id,
        steps=report.steps,
        outcome=report.outcome,
        started_at=started_at,
        finished_at=clock.now(),
    )
    report.event_id = event.pk
    logger.warning(
        "trading_lifecycle_recorded",
        kind=report.kind,
        mode=report.mode,
        outcome=report.outcome,
        actor=event.actor_name,
        request_id=request_id,
    )
    return report


# --- steps shared by shutdown and startup ------------------------------------------------------


def periodic_tasks_disable() -> list[str]:
    """Disable every enabled periodic task; returns their names so startup re-enables just
    those (a task an operator paused on purpose stays paused)."""
    names = list(PeriodicTask.objects.filter(enabled=True).values_list("name", flat=True))
    PeriodicTask.objects.filter(name__in=names).update(enabled=False)
    PeriodicTasks.update_changed()  # beat's DatabaseScheduler reloads on this stamp
    return sorted(names)


def periodic_tasks_enable(names: list[str]) -> list[str]:
    PeriodicTask.objects.filter(name__in=names).update(enabled=True)
    PeriodicTasks.update_changed()
    return sorted(PeriodicTask.objects.filter(name__in=names).values_list("name", flat=True))


def _wait_for_open_orders(timeout_s: float) -> int:
    """Collect fills until no order is open or the timeout passes; returns how many remain.

    The poll of order updates is idempotent (one fill per broker execution id, one event per
    event id), so running it here as well as on beat and in the stream records nothing twice.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        order_updates_poll()
        remaining = orders_open().count()
        if remaining == 0 or time.monotonic() >= deadline:
            return remaining
        time.sleep(POLL_INTERVAL_S)


def workers_drain(*, timeout_s: float) -> tuple[list[str], list[str]]:
    """Warm shutdown of every Celery worker; returns (workers asked, workers still answering).

    A warm shutdown lets each worker finish the task it runs. Tasks are acknowledged late
    with a prefetch of one (settings), so a message a worker held but had not finished goes
    back to the queue for the next worker: nothing is lost.
    """
    workers = sorted(
        name
        for reply in current_app.control.ping(timeout=WORKER_PING_TIMEOUT_S) or []
        for name in reply
    )
    if not workers:
        return [], []
    current_app.control.shutdown(destination=workers)
    deadline = time.monotonic() + timeout_s
    alive = workers
    while alive and time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL_S)
        replies = current_app.control.ping(destination=workers, timeout=WORKER_PING_TIMEOUT_S) or []
        alive = sorted(name for reply in replies for name in reply)
    return workers, alive


# --- shutdown -----------------------------------------------------------------------------------


def _halt_new_orders(report: LifecycleReport, actor: Any, reason: str, request_id: str) -> None:
    trading_state_set(
        actor=actor,
        scope="global",
        key="",
        state="HALTED",
        reason=f"trading_shutdown: {reason}",
        request_id=request_id,
    )
    report.step("halt_new_orders", True, "global trading state HALTED: the guard refuses orders")


def _finish_open_orders(report: LifecycleReport, reason: str, timeout_s: float) -> None:
    remaining = _wait_for_open_orders(timeout_s)
    cancelled = orders_cancel_open(reason=f"trading_shutdown: {reason}") if remaining else 0
    left = remaining - cancelled
    report.step(
        "finish_open_orders",
        left == 0,
        f"{remaining} still open after {timeout_s:g} s, {cancelled} cancelled",
        cancelled=cancelled,
    )


def _shutdown_graceful(
    report: LifecycleReport, actor: Any, reason: str, request_id: str, options: dict[str, Any]
) -> None:
    _halt_new_orders(report, actor, reason, request_id)
    _finish_open_orders(report, reason, options["order_timeout_s"])
    disabled = periodic_tasks_disable()
    report.step("stop_beat", True, f"disabled {len(disabled)} periodic tasks", disabled=disabled)
    if options["drain_workers"]:
        asked, alive = workers_drain(timeout_s=options["drain_timeout_s"])
        report.step(
            "drain_workers",
            not alive,
            f"warm shutdown of {len(asked)} workers; still answering: {alive or 'none'}",
            workers=asked,
        )


def _shutdown_emergency(report: LifecycleReport, actor: Any, reason: str, request_id: str) -> None:
    """The kill switch halts everything and cancels every open order at once. Beat and workers
    keep running so market data stays fresh and monitoring keeps reporting."""
    switch = kill_switch_engage(
        actor=actor, reason=f"trading_shutdown emergency: {reason}", request_id=request_id
    )
    cancelled = getattr(switch, "orders_cancelled", 0)
    report.step(
        "kill_switch_engage",
        True,
        f"kill switch engaged, {cancelled} orders cancelled",
        cancelled=cancelled,
    )


def trading_shutdown(
    *,
    mode: str,
    reason: str,
    actor: User,
    request_id: str = "",
    order_timeout_s: float | None = None,
    drain_workers: bool = True,
    drain_timeout_s: float | None = None,
) -> LifecycleReport:
    """Stop trading, gracefully (halt, let orders finish or cancel them, stop beat, drain
    workers) or in an emergency (kill switch: halt and cancel everything at once).

    Safe to repeat: halting a halted book, disabling disabled tasks and cancelling cancelled
    orders change nothing more.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A reason is required to shut trading down")
    if mode not in ShutdownMode.values:
        raise ValidationFailed(f"Unknown mode {mode!r}: use graceful or emergency")
    _lifecycle_require(actor, SHUTDOWN_PERMISSIONS[ShutdownMode(mode)], f"A {mode} shutdown")
    started_at = clock.now()
    report = LifecycleReport(kind=LifecycleKind.SHUTDOWN, mode=mode)
    options = {
        "order_timeout_s": settings.OPERATIONS_SHUTDOWN_ORDER_TIMEOUT_S
        if order_timeout_s is None
        else order_timeout_s,
        "drain_workers": drain_workers,
        "drain_timeout_s": settings.OPERATIONS_SHUTDOWN_DRAIN_TIMEOUT_S
        if drain_timeout_s is None
        else drain_timeout_s,
    }
    if mode == ShutdownMode.EMERGENCY:
        _shutdown_emergency(report, actor, reason, request_id)
    else:
        _shutdown_graceful(report, actor, reason, request_id, options)
    if not all(step["ok"] for step in report.steps):
        report.outcome = LifecycleOutcome.FAILED
    return _record(
        report,
        actor=actor,
        reason=reason,
        request_id=request_id,
        started_at=started_at,
    )


# --- startup ------------------------------------------------------------------------------------


def _check_broker_reachable() -> CheckResult:
    broker = get_broker()
    snapshot = broker.account()
    return CheckResult(Status.PASS, f"{broker.name} answered: equity {snapshot.equity}")


def _check_task_broker_reachable() -> CheckResult:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)
    return CheckResult(Status.PASS, "the Celery broker accepts connections")


def _check_kill_switch() -> CheckResult:
    switch = kill_switch_get()
    if switch.engaged:
        return CheckResult(
            Status.FAIL,
            f"the kill switch is engaged ({switch.reason}). Next: request its release "
            "(admin → Kill switch, or POST /api/v1/risk/kill-switch/release/) and have a risk "
            "officer approve it, then run trading_startup again",
        )
    return CheckResult(Status.PASS, "the kill switch is released")


def _check_live_readiness() -> CheckResult:
    gate = live_trading_allowed()
    if not gate.live_requested:
        return CheckResult(Status.PASS, "paper broker: the live readiness gate does not apply")
    if gate.allowed:
        return CheckResult(Status.PASS, "live broker: every required readiness item passes")
    return CheckResult(Status.FAIL, "live broker blocked by: " + "; ".join(gate.blocking))


def _guarded(check: Callable[[], CheckResult]) -> Callable[[], CheckResult]:
    def run() -> CheckResult:
        try:
            return check()
        except Exception as exc:  # an unreachable dependency is a failed check, not a crash
            return CheckResult(Status.FAIL, f"{type(exc).__name__}: {exc}")

    return run


def preopen_checks() -> dict[str, Callable[[], CheckResult]]:
    """The checks trading_startup runs, in order. ``unknown`` (a part not installed yet, such
    as reconciliation before it exists) does not block; ``fail`` does."""
    return {
        "data_fresh": lambda: check_run("data_fresh"),
        "broker_reachable": _guarded(_check_broker_reachable),
        "task_broker_reachable": _guarded(_check_task_broker_reachable),
        "reconciliation_clean": lambda: check_run("reconciliation_clean"),
        "champions_verified": lambda: check_run("champions_verified"),
        "kill_switch": _guarded(_check_kill_switch),
        "live_readiness": _guarded(_check_live_readiness),
    }


def _catch_up_bars(report: LifecycleReport) -> None:
    """Ingest the bars missed while stopped (idempotent upsert) before judging freshness."""
    try:
        ingest = bars_ingest()
    except Exception as exc:  # the freshness check that follows reports the consequence
        report.step("catch_up_bars", False, f"{type(exc).__name__}: {exc}")
    else:
        stored = sum(ingest.stored.values())
        report.step("catch_up_bars", not ingest.failed, f"{stored} bars stored", **ingest.as_dict())


def _tasks_to_enable() -> list[str]:
    """The periodic tasks the last graceful shutdown disabled, unless a startup since then
    already re-enabled them (an emergency shutdown disables none)."""
    for event in TradingLifecycleEvent.objects.order_by("-started_at", "-pk"):
        names = [s.get("step") for s in event.steps]
        if event.kind == LifecycleKind.STARTUP and "start_beat" in names:
            return []
        if event.kind == LifecycleKind.SHUTDOWN and "stop_beat" in names:
            return list(event.steps[names.index("stop_beat")].get("disabled", []))
    return []


def _resume_trading(report: LifecycleReport, actor: Any, reason: str, request_id: str) -> None:
    """Global state back to ACTIVE: loosening, so risk files a four-eyes request."""
    row = TradingStateSetting.objects.filter(scope="global", key="").first()
    if row is None or row.state == "ACTIVE":
        report.step("resume_trading", True, "global trading state already ACTIVE")
        return
    if is_service_account(actor):
        report.outcome = LifecycleOutcome.REFUSED
        report.next_step = (
            f"run trading_startup again with an operator's API token in {TOKEN_VARIABLE} "
            "(a four-eyes request needs a person; see docs/runbooks/restart.md)"
        )
        report.step("resume_trading", False, f"global state {row.state}: needs a person")
        return
    outcome = trading_state_set(
        actor=actor,
        scope="global",
        key="",
        state="ACTIVE",
        reason=f"trading_startup: {reason}",
        request_id=request_id,
    )
    if outcome.applied:
        report.step("resume_trading", True, f"global trading state {row.state} → ACTIVE")
        return
    request = outcome.change_request
    if request is None:
        raise ValidationFailed(
            "the global trading state was neither changed nor filed for approval"
        )
    report.outcome = LifecycleOutcome.PENDING_APPROVAL
    report.next_step = (
        f"a risk officer other than {actor.get_username()} approves change request "
        f"#{request.pk}: admin → Risk guard → Change requests, or POST "
        f"/api/v1/risk/change-requests/{request.pk}/approve/; trading resumes on approval"
    )
    report.step(
        "resume_trading",
        False,
        f"four-eyes: change request #{request.pk} filed",
        change_request=request.pk,
    )


def trading_startup(
    *,
    reason: str,
    actor: User,
    request_id: str = "",
    catch_up: bool = True,
) -> LifecycleReport:
    """Pre-open checks, then re-enable the schedule and resume trading.

    1. Catch up missed bars (unless ``catch_up`` is off).
    2. Run every pre-open check; any ``fail`` refuses the start with the reasons.
    3. Re-enable the periodic tasks the last graceful shutdown disabled.
    4. Set the global trading state back to ACTIVE: applied at once, or a four-eyes request.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("A reason is required to start trading")
    _lifecycle_require(actor, STARTUP_PERMISSIONS, "trading_startup")
    started_at = clock.now()
    report = LifecycleReport(kind=LifecycleKind.STARTUP)
    if catch_up:
        _catch_up_bars(report)
    failed = []
    for name, check in preopen_checks().items():
        result = check()
        report.step(name, result.status != Status.FAIL, result.evidence, status=result.status)
        if result.status == Status.FAIL:
            failed.append(f"{name}: {result.evidence}")
    if failed:
        report.outcome = LifecycleOutcome.REFUSED
        report.next_step = "fix what failed (see docs/runbooks/restart.md), then run it again"
    else:
        enabled = periodic_tasks_enable(_tasks_to_enable())
        report.step(
            "start_beat", True, f"re-enabled {len(enabled)} periodic tasks", enabled=enabled
        )
        _resume_trading(report, actor, reason, request_id)
    return _record(
        report,
        actor=actor,
        reason=reason,
        request_id=request_id,
        started_at=started_at,
    )
