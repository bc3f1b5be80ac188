"""Benchmark: how fast a kill switch engaged through the API stops two worker processes.

Two worker processes submit orders continuously through ``execution.services.order_submit``
(and so through the risk guard) against PostgreSQL, reading the risk state version from Redis
(``DATABASE_URL``, ``REDIS_URL``, ``CELERY_BROKER_URL`` from the environment). Once both are
approving orders, this process engages the kill switch through the API (the DRF view via
Django's test client: URL routing, authentication, permission, service; no HTTP server), and
measures from the API response to the last approved order in either worker.

Keys: ``stop_all_workers_ms`` (last approval after the response, 0 if none came after it),
``last_approval_before_response_ms`` (how long before the response the last approval was),
``last_approval_after_request_ms`` (the same from the moment the API request was sent: the
halt commits early in the request, cancelling open orders comes after it),
``all_workers_rejecting_ms`` (response to the later of the two workers' first kill switch
rejection), ``engage_api_ms`` (the API call itself, including cancelling open orders).

The bench data (instrument ``BENCHKS``, strategies ``bench-ks-1``/``-2``, users
``bench-operator``/``bench-risk-officer``) is created if missing; the strategies' rate limits
are raised through the four-eyes flow; at the end the kill switch is released the same way.
Run: ``python -m benchmarks.kill_switch``; the last line is one JSON object. Knobs:
BENCH_WARMUP_APPROVALS (per worker before the engage), BENCH_TIMEOUT_S (BENCH_SMOKE=1: tiny).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from benchmarks.sizes import seconds, size

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 2
WARMUP_APPROVALS = size("BENCH_WARMUP_APPROVALS", 50, 5)
# A cap on each wait, not a duration: a loaded CI machine may take a while to start workers.
TIMEOUT_S = seconds("BENCH_TIMEOUT_S", 60.0, 180.0)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.dev")
    os.environ["DEBUG"] = "false"  # no query log growing in long loops
    # One bar is written at set-up; on a slow machine the workers may start after it would
    # count as stale (3 bars by default), and every order would then be refused.
    os.environ.setdefault("MARKETDATA_STALE_AFTER_BARS", "60")
    import django

    django.setup()


def _require_real_stack() -> None:
    database, broker = os.environ.get("DATABASE_URL", ""), os.environ.get("CELERY_BROKER_URL", "")
    if not database.startswith("postgres") or not os.environ.get("REDIS_URL"):
        sys.exit("set DATABASE_URL (PostgreSQL), REDIS_URL and CELERY_BROKER_URL (Redis)")
    if not broker.startswith("redis"):
        sys.exit("set CELERY_BROKER_URL to Redis")


# --- Worker process -------------------------------------------------------------------------


def worker(strategy_name: str, stop_file: str) -> None:
    """Submit orders back to back until ``stop_file`` exists (or the time limit)."""
    _django()
    from execution.models import Strategy
    from execution.services import order_submit
    from marketdata.models import Instrument

    strategy = Strategy.objects.get(name=strategy_name)
    instrument = Instrument.objects.get(symbol="BENCHKS")
    base = datetime.now(tz=UTC).replace(microsecond=0)
    deadline = time.monotonic() + TIMEOUT_S * 2
    i = 0
    while not os.path.exists(stop_file) and time.monotonic() < deadline:
        i += 1
        order_submit(
            strategy=strategy,
            instrument=instrument,
            side="buy",
            quantity=Decimal(i),  # never the same twice: the duplicate check stays quiet
            reference_price=Decimal(1),
            bar_timestamp=base + timedelta(seconds=i),  # one client order id per order
            manual=True,
        )


# --- Set-up ---------------------------------------------------------------------------------


def _users():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    users = []
    for name, group in (("bench-operator", "operator"), ("bench-risk-officer", "risk_officer")):
        user, _ = get_user_model().objects.get_or_create(username=name)
        user.groups.add(Group.objects.get(name=group))
        users.append(get_user_model().objects.get(pk=user.pk))
    return users


def _four_eyes(outcome, officer) -> None:
    from risk import services

    if outcome.change_request is not None:
        services.change_request_approve(
            actor=officer, change_request_id=outcome.change_request.pk, reason="benchmark"
        )


def _release(operator, officer) -> None:
    from risk import services
    from risk.selectors import kill_switch_get

    if kill_switch_get().engaged:
        request = services.kill_switch_release_request(actor=operator, reason="benchmark")
        services.change_request_approve(
            actor=officer, change_request_id=request.pk, reason="benchmark"
        )


def set_up() -> tuple[list[str], object, object]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.core.cache import cache

    from execution.models import Strategy
    from marketdata.models import Bar, Instrument
    from models_registry.models import RegisteredModel
    from risk import services

    # Our Redis database: a newest bar cached by another run for the same instrument id (an
    # older bar: stale) must not stand in for this run's bar.
    cache.clear()
    operator, officer = _users()
    _release(operator, officer)
    instrument, _ = Instrument.objects.get_or_create(symbol="BENCHKS", defaults={"name": "bench"})
    now = datetime.now(tz=UTC)
    price = Decimal(1)
    Bar.objects.get_or_create(
        instrument=instrument, timeframe="1m",
        timestamp=now.replace(second=0, microsecond=0) - timedelta(minutes=1),
        defaults={"open": price, "high": price, "low": price, "close": price,
                  "volume": Decimal(1), "source": "bench", "ingested_at": now},
    )  # fmt: skip
    model, _ = RegisteredModel.objects.get_or_create(name="bench-model")
    names = [f"bench-ks-{n}" for n in range(1, WORKERS + 1)]
    for name in names:
        strategy, _ = Strategy.objects.get_or_create(
            name=name, defaults={"registered_model": model, "notional_per_trade": Decimal(1)}
        )
        strategy.instruments.add(instrument)
        # Back-to-back orders would hit the production rate limits: raise them for the bench
        # strategies, through the same four-eyes flow an operator would use.
        for field, value in (
            ("max_orders_per_second", "100000"),
            ("max_orders_per_minute", "1000000"),
            ("global_max_orders_per_second", "100000"),
            ("global_max_orders_per_minute", "1000000"),
            ("max_order_notional", "100000000"),
            ("manual_confirm_notional", "100000000"),
        ):
            _four_eyes(
                services.limit_change_request(
                    actor=operator, scope="strategy", key=name, field=field, value=value,
                    reason="benchmark",
                ),
                officer,
            )  # fmt: skip
    return names, operator, officer


# --- Measurement ----------------------------------------------------------------------------


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def _approved(name: str, since: datetime) -> int:
    from risk.models import RiskDecision

    return RiskDecision.objects.filter(strategy=name, approved=True, decided_at__gte=since).count()


def _first_rejection_after(name: str, moment: datetime) -> datetime | None:
    from risk.models import RiskDecision

    return (
        RiskDecision.objects.filter(strategy=name, approved=False, decided_at__gte=moment)
        .order_by("decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )


def _engage(operator) -> tuple[float, float]:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(operator)
    # A first request imports the URLconf, admin and views: warm up so the figure is the
    # engage, not Django's start-up.
    client.get("/api/v1/risk/kill-switch/", HTTP_HOST="127.0.0.1")
    started = time.time()
    response = client.post(
        "/api/v1/risk/kill-switch/engage/",
        {"reason": "benchmark"},
        format="json",
        HTTP_HOST="127.0.0.1",
    )
    answered = time.time()
    assert response.status_code == 200, response.content
    return started, answered


def measure(names: list[str], operator) -> dict:
    from risk.models import RiskDecision

    stop_file = ROOT / "var" / f"bench-kill-switch-{os.getpid()}.stop"
    stop_file.parent.mkdir(exist_ok=True)
    stop_file.unlink(missing_ok=True)
    start = datetime.now(tz=UTC)
    procs = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "benchmarks.kill_switch", "--worker", name, str(stop_file)],
            cwd=ROOT,
        )
        for name in names
    ]
    try:
        _wait(lambda: all(_approved(n, start) >= WARMUP_APPROVALS for n in names), "approvals")
        requested, answered = _engage(operator)
        answered_at = datetime.fromtimestamp(answered, tz=UTC)
        _wait(
            lambda: all(_first_rejection_after(n, answered_at) for n in names),
            "both workers to reject",
        )
    finally:
        stop_file.touch()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGTERM)
        stop_file.unlink(missing_ok=True)
    last = (
        RiskDecision.objects.filter(strategy__in=names, approved=True, decided_at__gte=start)
        .order_by("-decided_at")
        .values_list("decided_at", flat=True)
        .first()
    )
    rejecting = max(_first_rejection_after(n, answered_at) for n in names)
    last_ms = (last.timestamp() - answered) * 1000
    return {
        "workers": len(names),
        "approved_before_engage": RiskDecision.objects.filter(
            strategy__in=names, approved=True, decided_at__gte=start
        ).count(),
        "stop_all_workers_ms": round(max(last_ms, 0.0), 1),
        "last_approval_before_response_ms": round(max(-last_ms, 0.0), 1),
        "last_approval_after_request_ms": round((last.timestamp() - requested) * 1000, 1),
        "all_workers_rejecting_ms": round((rejecting.timestamp() - answered) * 1000, 1),
        "engage_api_ms": round((answered - requested) * 1000, 1),
    }


def main() -> dict:
    _require_real_stack()
    _django()
    names, operator, officer = set_up()
    try:
        return measure(names, operator)
    finally:
        _release(operator, officer)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker(sys.argv[2], sys.argv[3])
    else:
        print(json.dumps(main()))
