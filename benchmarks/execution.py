"""Benchmark: 1,000 orders through risk guard → Alpaca adapter → Alpaca simulator → fills.

The whole stack as ``make run`` wires it with the simulator as broker, each part its own
process: ``manage.py run_broker_simulator`` (the Alpaca protocol, filling against our bars),
``manage.py run_trade_stream`` (trade_updates into the order update writer) and two Celery
workers (``--concurrency 1`` each) with ``EXECUTION_BROKER=alpaca`` on PostgreSQL and Redis.
This process plays market data and beat: it writes each one-minute bar once it has closed and
sends the order poll every ``SCHEDULE_ORDER_POLL_SECONDS``, as beat would.

Every order is one ``execution.submit_order`` task with its own cause (instrument, time,
quantity), so every order goes through the risk guard (the strategy's rate limits are
raised first through the four-eyes flow, as an operator would). A tenth of the tasks are sent
twice, half right after the first copy (both workers race on the same cause) and half at the
end (a late redelivery): the simulator must still hold exactly one order per cause.

Market time runs ``CLOCK_SPEED`` times faster than the wall clock (the project's
``ScaledClock``, the same anchor in every process), so a one-minute bar closes every
``60 / CLOCK_SPEED`` wall seconds and a market order fills at the next bar's open as it
would in production, without waiting a minute per bar. The anchor puts market time at
01:00 UTC at start, so no run crosses the UTC midnight at which the simulator expires DAY
orders; the instruments trade around the clock (crypto), so no session close gets in the way.

Counted afterwards, from our database and from the simulator's REST API through alpaca-py:
``duplicates`` (orders at the broker beyond one per cause, plus orders with more fill
quantity booked here than the broker filled) and ``lost`` (causes without exactly one order
filled in full both here and at the broker). Latencies come from stored timestamps, converted
from market to wall time with the clock's anchor and speed: ``submit_to_fill`` runs from the order's
``submitted_at`` (the guard approved it, just before the send) to the ``recorded_at`` of the
order event that made it filled; ``bar_close_to_fill_recorded`` from the close of the bar that
filled it (the first bar starting at or after the broker's ``submitted_at``) to the same
event, the pipeline's share without the wait for the market. Throughput is orders over the
wall time from the first task sent to the last fill recorded.

Run: ``DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://.../14 REDIS_URL=redis://.../15
python -m benchmarks.execution`` (these are the defaults). A fresh database (the URL's name
plus ``_execution_<pid>``) is created and dropped; the last line is one JSON object.
Knobs: ``BENCH_ORDERS``, ``BENCH_INSTRUMENTS``, ``BENCH_TIMEOUT_S`` (waiting for the orders),
``BENCH_SIMULATOR_PORT``; BENCH_SMOKE=1 makes the unset sizes tiny; progress and, on
failure, each process's log tail go to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from benchmarks.sizes import seconds, size

ROOT = Path(__file__).resolve().parent.parent
ORDERS = size("BENCH_ORDERS", 1000, 20)
INSTRUMENTS = size("BENCH_INSTRUMENTS", 20, 2)
REDELIVER_EVERY = 10  # every 10th task is sent twice
WORKERS = 2
CLOCK_SPEED = 60.0  # a one-minute bar per wall second
SIMULATOR_TICK_S = 0.1
SIMULATOR_PORT = int(os.environ.get("BENCH_SIMULATOR_PORT", "18700"))
TIMEOUT_S = seconds("BENCH_TIMEOUT_S", 240.0, 90.0)
HISTORY_BARS = 30
PRICE = Decimal("2")
CAPITAL = "1000000"  # the simulator's starting cash and our paper capital agree
KEY_ID, SECRET_KEY = "bench-key", "bench-secret"
STRATEGY = "bench-execution"
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/tradingops_bench",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/14",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}
FINAL = ("filled", "canceled", "expired", "rejected", "replaced")


_T0 = time.monotonic()


def _say(message: str) -> None:
    """Progress on stderr: stdout ends with the JSON line."""
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", file=sys.stderr, flush=True)


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# --- Services and the throwaway database -----------------------------------------------------


def _urls() -> dict[str, str]:
    urls = {name: os.environ.get(name) or default for name, default in DEFAULTS.items()}
    if not urls["DATABASE_URL"].startswith("postgres"):
        sys.exit("DATABASE_URL must be PostgreSQL for this benchmark")
    if not (urls["CELERY_BROKER_URL"].startswith("redis") and urls["REDIS_URL"]):
        sys.exit("CELERY_BROKER_URL and REDIS_URL must be Redis for this benchmark")
    return urls


def _admin_dsn(database_url: str) -> str:
    """The same server's maintenance database, to create and drop ours from."""
    parts = urlsplit(database_url)
    return urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))


def _check_reachable(urls: dict[str, str]) -> None:
    import psycopg
    import redis

    try:
        psycopg.connect(_admin_dsn(urls["DATABASE_URL"]), connect_timeout=5).close()
    except psycopg.Error as exc:
        sys.exit(f"PostgreSQL at {urls['DATABASE_URL']} is unreachable: {exc}")
    for name in ("CELERY_BROKER_URL", "REDIS_URL"):
        try:
            redis.Redis.from_url(urls[name], socket_connect_timeout=5).ping()
        except redis.RedisError as exc:
            sys.exit(f"Redis at {urls[name]} ({name}) is unreachable: {exc}")


def _database_create(database_url: str) -> tuple[str, str]:
    import psycopg

    parts = urlsplit(database_url)
    name = f"{parts.path.lstrip('/') or 'tradingops'}_execution_{os.getpid()}"
    with psycopg.connect(_admin_dsn(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _database_drop(database_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(_admin_dsn(database_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _clock_anchor(speed: float) -> float:
    """An anchor that puts market time at 01:00 UTC today now (see the module docstring):
    market = anchor + (wall - anchor) * speed, solved for market(now) = 01:00."""
    wall = time.time()
    start = datetime.now(tz=UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    return (speed * wall - start.timestamp()) / (speed - 1)


def _stack_env(urls: dict[str, str], database_url: str, tmp: Path, anchor: float) -> dict:
    return {
        **os.environ,
        **urls,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "tradingops.settings.dev",
        "DEBUG": "false",  # no query log growing in long loops
        "LOG_FORMAT": "json",
        "TRADINGOPS_CLOCK_SPEED": str(CLOCK_SPEED),
        "TRADINGOPS_CLOCK_ANCHOR": repr(anchor),
        "EXECUTION_BROKER": "alpaca",
        "ALPACA_API_KEY_ID": KEY_ID,
        "ALPACA_API_SECRET_KEY": SECRET_KEY,
        "ALPACA_TRADING_BASE_URL": f"http://127.0.0.1:{SIMULATOR_PORT}",
        "ALPACA_TRADING_STREAM_URL": f"ws://127.0.0.1:{SIMULATOR_PORT}/stream",
        "ALPACA_SIMULATOR_DB_PATH": str(tmp / "alpaca_simulator.sqlite3"),
        "ALPACA_SIMULATOR_TICK_S": str(SIMULATOR_TICK_S),
        "ALPACA_SIMULATOR_STARTING_CASH": CAPITAL,
        "PAPER_ACCOUNT_CAPITAL": CAPITAL,
        "TRADE_STREAM_METRICS_PORT": "0",
    }


# --- Seed ------------------------------------------------------------------------------------


def _limits_raise(strategy: str) -> None:
    """Raise the strategy's order rate limits through the four-eyes flow."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from risk import services

    users = []
    for name, group in (("bench-operator", "operator"), ("bench-risk-officer", "risk_officer")):
        user = get_user_model().objects.create(username=name)
        user.groups.add(Group.objects.get(name=group))
        users.append(get_user_model().objects.get(pk=user.pk))
    operator, officer = users
    for field, value in (
        ("max_orders_per_second", "100000"),
        ("max_orders_per_minute", "1000000"),
        ("global_max_orders_per_second", "100000"),
        ("global_max_orders_per_minute", "1000000"),
    ):
        outcome = services.limit_change_request(
            actor=operator, scope="strategy", key=strategy, field=field, value=value,
            reason="execution benchmark",
        )  # fmt: skip
        if outcome.change_request is not None:
            services.change_request_approve(
                actor=officer, change_request_id=outcome.change_request.pk,
                reason="execution benchmark",
            )  # fmt: skip


def _bars_store(instruments: list, starts: list[datetime]) -> None:
    """Store closed bars as ingest does: the rows, then the newest-bar cache the guard's
    staleness check reads (Redis here)."""
    from marketdata.models import Bar
    from marketdata.selectors import NewestBar, newest_bar_cache_set

    now = datetime.now(tz=UTC)
    Bar.objects.bulk_create(
        Bar(
            instrument=instrument, timeframe="1m", timestamp=start, open=PRICE, high=PRICE,
            low=PRICE, close=PRICE, volume=Decimal(1_000_000), source="bench", ingested_at=now,
        )
        for instrument in instruments
        for start in starts
    )  # fmt: skip
    for instrument in instruments:
        newest_bar_cache_set(
            instrument_id=instrument.pk, timeframe="1m",
            bar=NewestBar(starts[-1], PRICE, "bench"),
        )  # fmt: skip


def seed() -> tuple[object, list]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.core.cache import cache

    from common import clock
    from execution.models import Strategy
    from marketdata.models import Instrument
    from marketdata.timeframes import last_complete_bar_end
    from models_registry.models import RegisteredModel

    # Our Redis database: a newest bar cached by an earlier run (same instrument ids) must
    # not stand in for this run's bars.
    cache.clear()

    instruments = [
        Instrument.objects.create(symbol=f"BX{i:03d}", name="bench", asset_class="crypto")
        for i in range(INSTRUMENTS)
    ]
    end = last_complete_bar_end(clock.now(), "1m")
    starts = [end - timedelta(minutes=m) for m in range(HISTORY_BARS, 0, -1)]
    _bars_store(instruments, starts)
    strategy = Strategy.objects.create(
        name=STRATEGY,
        registered_model=RegisteredModel.objects.create(name="bench-execution-model"),
        notional_per_trade=Decimal(100),
    )
    strategy.instruments.set(instruments)
    _limits_raise(STRATEGY)
    return strategy, instruments


class MarketFeed(threading.Thread):
    """Market data: each bar written once it has closed by the project clock, as ingest would."""

    def __init__(self, instruments: list) -> None:
        super().__init__(name="bench-market-feed", daemon=True)
        self.instruments = instruments
        self.stop = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from django.db import connection

        from common import clock
        from marketdata.models import Bar
        from marketdata.timeframes import last_complete_bar_end

        try:
            newest = Bar.objects.order_by("-timestamp").values_list("timestamp", flat=True)[0]
            while not self.stop.wait(0.02):
                end = last_complete_bar_end(clock.now(), "1m")
                starts = []
                while newest + timedelta(minutes=1) < end:
                    newest += timedelta(minutes=1)
                    starts.append(newest)
                if starts:
                    _bars_store(self.instruments, starts)
        except BaseException as exc:  # reported by the main thread
            self.error = exc
        finally:
            connection.close()


# --- Processes -------------------------------------------------------------------------------


class Stack:
    """The simulator, the trade stream and the workers, each a subprocess logging to a file."""

    def __init__(self, env: dict, tmp: Path) -> None:
        self.env, self.tmp = env, tmp
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and commands
            argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def log_tails(self, lines: int = 15) -> str:
        out = []
        for name in self.procs:
            text = (self.tmp / f"{name}.log").read_text(errors="replace").splitlines()
            out.append(f"--- {name} (last {lines} lines)\n" + "\n".join(text[-lines:]))
        return "\n".join(out)


def _wait(condition, what: str, timeout_s: float, stack: Stack) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if condition():
                return
        except Exception:  # noqa: S110 - not up yet: ask again
            pass
        stack.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.1)


def stack_start(stack: Stack, control) -> None:
    from tradingops.celery import app

    python = sys.executable
    manage = str(ROOT / "manage.py")
    stack.start("simulator", [python, manage, "run_broker_simulator", "--port",
                              str(SIMULATOR_PORT)])  # fmt: skip
    _wait(lambda: control.status() is not None, "the simulator", 30, stack)
    stack.start("trade-stream", [python, manage, "run_trade_stream"])
    _wait(lambda: control.status()["stream_listeners"] == 1, "the trade stream", 30, stack)
    app.control.purge()  # nothing left on the queue by an earlier run reaches these workers
    celery = str(Path(python).with_name("celery"))
    for n in range(1, WORKERS + 1):
        stack.start(f"worker-{n}", [
            celery, "-A", "tradingops", "worker", "--concurrency", "1", "--loglevel", "WARNING",
            "-n", f"bench-execution-{n}-{os.getpid()}@%h", "--without-gossip", "--without-mingle",
        ])  # fmt: skip
    _wait(lambda: len(app.control.ping(timeout=1.0)) >= WORKERS, "the workers", 60, stack)


# --- The run ---------------------------------------------------------------------------------


def _causes(instruments: list) -> list[dict]:
    """One task's kwargs per order: a distinct (instrument, time) cause; the quantity differs
    per instrument too, so the guard's duplicate-order check never mistakes one for another."""
    from common import clock

    base = clock.now().replace(microsecond=0) - timedelta(hours=1)
    causes = []
    for n in range(ORDERS):
        instrument, rank = instruments[n % len(instruments)], n // len(instruments)
        causes.append(
            {
                "strategy_id": None,  # set by the caller
                "instrument_id": instrument.pk,
                "side": "buy",
                "quantity": str(rank + 1),
                "placed_at": (base + timedelta(seconds=n)).isoformat(),
                "manual": True,
            }
        )
    return causes


def _final_count() -> int:
    from execution.models import Order

    return Order.objects.filter(status__in=FINAL).count()


def _tasks_done() -> int:
    from django_celery_results.models import TaskResult

    return TaskResult.objects.filter(
        task_name="execution.submit_order", status__in=("SUCCESS", "FAILURE")
    ).count()


def run(strategy, instruments: list, stack: Stack) -> dict:
    from django.conf import settings

    from execution.tasks import poll_order_updates, submit_order

    causes = _causes(instruments)
    for kwargs in causes:
        kwargs["strategy_id"] = strategy.pk
    feed = MarketFeed(instruments)
    feed.start()
    polls, sent, late = 0, 0, []
    started = time.time()
    poll_every = settings.SCHEDULE_ORDER_POLL_SECONDS
    next_poll = time.monotonic() + poll_every
    try:
        for n, kwargs in enumerate(causes):
            submit_order.apply_async(kwargs=kwargs)
            sent += 1
            if n % REDELIVER_EVERY == 0:
                if n % (2 * REDELIVER_EVERY) == 0:
                    submit_order.apply_async(kwargs=kwargs)  # races the first copy
                    sent += 1
                else:
                    late.append(kwargs)
        _say(f"{sent} tasks sent")
        for kwargs in late:  # redelivered once the first copy has most likely run
            submit_order.apply_async(kwargs=kwargs)
            sent += 1
        deadline = time.monotonic() + TIMEOUT_S
        while _final_count() < ORDERS or _tasks_done() < sent:
            if feed.error is not None:
                raise RuntimeError(f"market feed failed: {feed.error!r}")
            stack.check_alive()
            if time.monotonic() > deadline:
                print(f"timed out: {_final_count()} final orders, {_tasks_done()}/{sent} "
                      "tasks done", file=sys.stderr)  # fmt: skip
                break
            if time.monotonic() >= next_poll:  # what beat does in production
                _say(f"{_final_count()} orders final, {_tasks_done()}/{sent} tasks done")
                poll_order_updates.apply_async()
                polls += 1
                next_poll += poll_every
            time.sleep(0.25)
    finally:
        feed.stop.set()
        feed.join(10)
    return {
        "started": started, "tasks_sent": sent, "polls_sent": polls, "poll_every_s": poll_every,
        "causes": causes,
    }  # fmt: skip


def _wall(moment: datetime, anchor: float) -> float:
    """A project-clock (market) time as the wall time it was read at."""
    return anchor + (moment.timestamp() - anchor) / CLOCK_SPEED


def _broker_orders(symbols: list[str]) -> list:
    from alpaca.trading.client import TradingClient
    from alpaca.trading.enums import QueryOrderStatus
    from alpaca.trading.requests import GetOrdersRequest

    client = TradingClient(
        KEY_ID, SECRET_KEY, paper=True, url_override=f"http://127.0.0.1:{SIMULATOR_PORT}"
    )
    orders = []
    for symbol in symbols:
        page = client.get_orders(
            GetOrdersRequest(status=QueryOrderStatus.ALL, symbols=[symbol], limit=500)
        )
        if len(page) == 500:
            raise RuntimeError(f"more than 500 orders for {symbol}: raise INSTRUMENTS")
        orders.extend(page)
    return orders


def count(outcome: dict, anchor: float) -> dict:
    from django.db.models import Sum

    from execution.brokers.alpaca import AlpacaBroker
    from execution.models import Fill, Order, OrderEvent
    from execution.services import client_order_id_for
    from marketdata.models import Instrument
    from risk.models import RiskDecision

    symbols = dict(Instrument.objects.values_list("pk", "symbol"))
    expected = {
        client_order_id_for(
            strategy=STRATEGY, symbol=symbols[c["instrument_id"]],
            bar_timestamp=datetime.fromisoformat(c["placed_at"]), side=c["side"],
        ): Decimal(c["quantity"])
        for c in outcome["causes"]
    }  # fmt: skip
    ours = {o.client_order_id: o for o in Order.objects.all()}
    booked = dict(
        Fill.objects.values("order__client_order_id")
        .annotate(total=Sum("quantity"))
        .values_list("order__client_order_id", "total")
    )
    at_broker = _broker_orders(sorted(symbols.values()))
    per_cause = Counter(o.client_order_id for o in at_broker)
    remote = {o.client_order_id: o for o in at_broker}
    broker = AlpacaBroker(
        api_key=KEY_ID, secret_key=SECRET_KEY, base_url=f"http://127.0.0.1:{SIMULATOR_PORT}"
    )
    filled_at_broker: dict[str, Decimal] = defaultdict(Decimal)
    for fill in broker.fills():
        filled_at_broker[fill.broker_order_id] += fill.quantity

    # Orders at the broker beyond one per cause; one under an id we never derived could only
    # be a second send of a cause, so it counts too.
    duplicate_orders = sum(n - 1 for n in per_cause.values()) + sum(
        1 for cid in per_cause if cid not in expected
    )
    duplicate_fills = sum(
        1
        for cid, total in booked.items()
        if cid in remote and total > filled_at_broker[str(remote[cid].id)]
    )
    lost = []
    for cid, quantity in expected.items():
        order, at = ours.get(cid), remote.get(cid)
        whole = (
            order is not None and at is not None and per_cause[cid] == 1
            and order.status == "filled" and order.filled_quantity == quantity
            and booked.get(cid) == quantity and at.status.value == "filled"
            and Decimal(str(at.filled_qty)) == quantity
            and filled_at_broker[str(at.id)] == quantity
        )  # fmt: skip
        if not whole:
            lost.append(cid)
    if lost:
        sample = [(c, ours[c].status if c in ours else None, ours[c].reject_reason
                   if c in ours else "") for c in lost[:5]]  # fmt: skip
        print(f"lost (first 5): {sample}", file=sys.stderr)

    filled_events = {
        e.order_id: e
        for e in OrderEvent.objects.filter(to_status="filled").order_by("-recorded_at")
    }  # the earliest per order wins
    fill_sources = Counter(
        OrderEvent.objects.filter(payload__has_key="fill").values_list("source", flat=True)
    )
    submit_to_fill, submit_to_ack, bar_to_fill, last_fill, last_ack = [], [], [], 0.0, 0.0
    for order in ours.values():
        event = filled_events.get(order.pk)
        if order.acknowledged_at is not None:
            ack = _wall(order.acknowledged_at, anchor)
            submit_to_ack.append((ack - _wall(order.submitted_at, anchor)) * 1000)
            last_ack = max(last_ack, ack)
        if event is None:
            continue
        recorded = _wall(event.recorded_at, anchor)
        last_fill = max(last_fill, recorded)
        submit_to_fill.append((recorded - _wall(order.submitted_at, anchor)) * 1000)
        at = remote.get(order.client_order_id)
        if at is not None and at.submitted_at is not None:
            # The first bar starting at or after the broker's submission, and its close.
            minute = at.submitted_at.replace(second=0, microsecond=0)
            bar_start = minute if minute == at.submitted_at else minute + timedelta(minutes=1)
            bar_close = _wall(bar_start + timedelta(minutes=1), anchor)
            bar_to_fill.append((recorded - bar_close) * 1000)

    def ms(samples: list[float], fraction: float) -> float | None:
        return round(_percentile(samples, fraction), 1) if samples else None

    started = outcome["started"]
    filled = sum(1 for o in ours.values() if o.status == "filled")
    return {
        "orders_per_s": round(filled / (last_fill - started), 1) if last_fill else 0.0,
        "submit_orders_per_s": round(len(submit_to_ack) / (last_ack - started), 1)
        if last_ack
        else 0.0,
        "submit_to_fill_p50_ms": ms(submit_to_fill, 0.5),
        "submit_to_fill_p99_ms": ms(submit_to_fill, 0.99),
        "submit_to_ack_p50_ms": ms(submit_to_ack, 0.5),
        "submit_to_ack_p99_ms": ms(submit_to_ack, 0.99),
        "bar_close_to_fill_recorded_p50_ms": ms(bar_to_fill, 0.5),
        "bar_close_to_fill_recorded_p99_ms": ms(bar_to_fill, 0.99),
        "duplicates": duplicate_orders + duplicate_fills,
        "duplicate_orders_at_broker": duplicate_orders,
        "duplicate_fills": duplicate_fills,
        "lost": len(lost),
        "orders": len(expected),
        "orders_in_database": len(ours),
        "orders_at_broker": len(at_broker),
        "orders_filled": filled,
        "orders_rejected": sum(1 for o in ours.values() if o.status == "rejected"),
        "risk_decisions": RiskDecision.objects.count(),
        "fills_recorded_by_source": dict(fill_sources),
        "tasks_sent": outcome["tasks_sent"],
        "tasks_redelivered": outcome["tasks_sent"] - len(expected),
        "polls_sent": outcome["polls_sent"],
        "poll_every_s": outcome["poll_every_s"],
        "wall_s": round((last_fill or time.time()) - started, 2),
    }


def main() -> dict:
    urls = _urls()
    _check_reachable(urls)
    database_url, database = _database_create(urls["DATABASE_URL"])
    tmp = Path(tempfile.mkdtemp(prefix="bench-execution-"))
    anchor = _clock_anchor(CLOCK_SPEED)
    env = _stack_env(urls, database_url, tmp, anchor)
    os.environ.update(env)
    stack = Stack(env, tmp)
    control = None
    try:
        import django

        django.setup()
        logging.disable(logging.INFO)  # the enqueue log lines would bury the result
        from harness.simulator.control import SimulatorControl

        _say(f"database {database}: migrating and seeding")
        strategy, instruments = seed()
        _say("starting the simulator, the trade stream and the workers")
        control = SimulatorControl(f"http://127.0.0.1:{SIMULATOR_PORT}", KEY_ID, SECRET_KEY)
        stack_start(stack, control)
        _say(f"sending {ORDERS} orders")
        outcome = run(strategy, instruments, stack)
        _say("counting")
        result = count(outcome, anchor)
    except BaseException:
        print(stack.log_tails(), file=sys.stderr)
        raise
    finally:
        if control is not None:
            control.close()
        stack.stop()
        if stack.procs:  # polls still queued when the orders were done: not for a later run
            from tradingops.celery import app

            app.control.purge()
        from django.db import connections

        connections.close_all()
        _database_drop(urls["DATABASE_URL"], database)
        for path in tmp.iterdir():
            path.unlink()
        tmp.rmdir()
    return {
        **result,
        "instruments": INSTRUMENTS,
        "workers": WORKERS,
        "worker_concurrency": 1,
        "redeliver_every": REDELIVER_EVERY,
        "clock_speed": CLOCK_SPEED,
        "simulator_tick_s": SIMULATOR_TICK_S,
        "database": "postgresql",
        "celery_broker": "redis",
        "cpu_count": os.cpu_count(),
    }


if __name__ == "__main__":
    print(json.dumps(main()))
