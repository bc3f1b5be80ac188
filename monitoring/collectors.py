"""Gauges computed from the database at scrape time.

The web's /metrics shows the state of the loop (schedule, data freshness, kill switch, PnL,
champions) even while every worker is down, because it reads the database, not a worker.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import structlog
from django.conf import settings
from django.db import DatabaseError
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from audit.selectors import audit_chain_verification_latest
from common import clock
from execution.choices import BreakKind
from execution.selectors import (
    order_counts_by_status,
    pnl_by_strategy,
    reconciliation_breaks_open_by_kind,
)
from marketdata.selectors import instruments_staleness, newest_bar_times
from marketdata.timeframes import timeframe_delta
from models_registry.selectors import champion_versions
from monitoring.scheduler_health import STATES
from monitoring.selectors import daily_loss_utilisation, periodic_task_status
from operations.backups import database_backup_last_success, restore_drill_last_success
from risk.selectors import kill_switch_get

logger = structlog.get_logger(__name__)


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


def _scheduler() -> Iterator[GaugeMetricFamily]:
    next_run = GaugeMetricFamily(
        "tradingops_scheduler_next_run_timestamp_seconds",
        "Unix time a periodic task is next due.",
        labels=["periodic_task"],
    )
    last_run = GaugeMetricFamily(
        "tradingops_scheduler_last_run_timestamp_seconds",
        "Unix time a periodic task last started.",
        labels=["periodic_task"],
    )
    state = GaugeMetricFamily(
        "tradingops_scheduler_task_state",
        "1 for the periodic task's current state (up, late, down, paused).",
        labels=["periodic_task", "state"],
    )
    for task in periodic_task_status():
        next_run.add_metric([task["name"]], _ts(task["next_run_at"]))
        if task["last_run_at"]:
            last_run.add_metric([task["name"]], _ts(task["last_run_at"]))
        for name in STATES:
            state.add_metric([task["name"], name], 1.0 if task["state"] == name else 0.0)
    yield from (next_run, last_run, state)


def _marketdata() -> Iterator[GaugeMetricFamily]:
    timeframe = settings.MARKETDATA_TIMEFRAME
    now = clock.now()
    age = GaugeMetricFamily(
        "tradingops_marketdata_newest_bar_age_seconds",
        "Market time since the newest stored bar of an instrument closed.",
        labels=["symbol"],
    )
    for symbol, newest in newest_bar_times(timeframe=timeframe).items():
        age.add_metric([symbol], (now - newest - timeframe_delta(timeframe)).total_seconds())
    # Counted in bars of open market, so neither a night nor a longer timeframe looks stale:
    # the StaleBars alert reads this, the age above is for dashboards.
    missing = GaugeMetricFamily(
        "tradingops_marketdata_bars_missing",
        "Complete bars of open market since the newest trusted bar of an instrument.",
        labels=["symbol"],
    )
    for symbol, staleness in instruments_staleness().items():
        missing.add_metric([symbol], staleness.open_bars_missing)
    yield from (age, missing)


def _risk() -> Iterator[GaugeMetricFamily]:
    yield GaugeMetricFamily(
        "tradingops_risk_kill_switch_engaged",
        "1 while the global kill switch is engaged.",
        value=1.0 if kill_switch_get().engaged else 0.0,
    )
    daily = daily_loss_utilisation()
    yield GaugeMetricFamily(
        "tradingops_risk_daily_pnl",
        "PnL of the trading day so far (realized + unrealized).",
        value=float(daily["daily_pnl"]),
    )
    utilisation = GaugeMetricFamily(
        "tradingops_risk_limit_utilisation_ratio",
        "Use of each global limit as a fraction (1 = at the limit).",
        labels=["limit"],
    )
    if daily["utilisation"] is not None:
        utilisation.add_metric(["max_daily_loss"], daily["utilisation"])
    yield utilisation


def _execution() -> Iterator[GaugeMetricFamily]:
    orders = GaugeMetricFamily(
        "tradingops_execution_orders", "Orders in the database by status.", labels=["status"]
    )
    for status, count in order_counts_by_status().items():
        orders.add_metric([status], count)
    realized = GaugeMetricFamily(
        "tradingops_execution_realized_pnl", "Realized PnL by strategy.", labels=["strategy"]
    )
    unrealized = GaugeMetricFamily(
        "tradingops_execution_unrealized_pnl", "Unrealized PnL by strategy.", labels=["strategy"]
    )
    for strategy, pnl in pnl_by_strategy().items():
        realized.add_metric([strategy], float(pnl["realized"]))
        unrealized.add_metric([strategy], float(pnl["unrealized"]))
    breaks = GaugeMetricFamily(
        "tradingops_execution_reconciliation_breaks_open",
        "Reconciliation breaks waiting for an operator, by kind.",
        labels=["kind"],
    )
    open_by_kind = reconciliation_breaks_open_by_kind()
    for kind in BreakKind.values:
        # Every kind is exported, zeros included, so the alert resolves on a real 0.
        breaks.add_metric([kind], open_by_kind.get(kind, 0))
    yield from (orders, realized, unrealized, breaks)


def _models() -> Iterator[GaugeMetricFamily]:
    champion = GaugeMetricFamily(
        "tradingops_models_champion_version",
        "Version number of each model's champion.",
        labels=["model"],
    )
    for model, version in champion_versions().items():
        champion.add_metric([model], version)
    yield champion


def _audit() -> Iterator[GaugeMetricFamily]:
    latest = audit_chain_verification_latest()
    if latest is None:
        return  # never verified yet: no series, rather than a false "broken"
    yield GaugeMetricFamily(
        "tradingops_audit_chain_valid",
        "1 if the last verification of the audit hash chain found it intact, else 0.",
        value=1.0 if latest.valid else 0.0,
    )
    yield GaugeMetricFamily(
        "tradingops_audit_chain_last_verified_timestamp_seconds",
        "Unix time of the last audit chain verification.",
        value=latest.verified_at.timestamp(),
    )


def _backups() -> Iterator[GaugeMetricFamily]:
    # 0 before the first success, so BackupStale fires on "never backed up" too.
    backup, drill = database_backup_last_success(), restore_drill_last_success()
    yield GaugeMetricFamily(
        "tradingops_backup_last_success_timestamp_seconds",
        "Unix time the last successful database backup finished (0: never).",
        value=backup.finished_at.timestamp() if backup else 0.0,
    )
    if backup is not None:
        yield GaugeMetricFamily(
            "tradingops_backup_last_size_bytes",
            "Size of the last successful database backup.",
            value=float(backup.size_bytes or 0),
        )
    # Absent until the first pass: readiness blocks on "never drilled"; the alert watches
    # drills that stopped passing (the first drill may run before the first backup exists).
    if drill is not None:
        yield GaugeMetricFamily(
            "tradingops_backup_restore_drill_last_success_timestamp_seconds",
            "Unix time the last passed restore drill finished.",
            value=drill.finished_at.timestamp(),
        )


class DatabaseStateCollector(Collector):
    """Each area is read on its own: one failing query drops that area, not the scrape."""

    areas = (_scheduler, _marketdata, _risk, _execution, _models, _audit, _backups)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        for area in self.areas:
            try:
                yield from list(area())
            except DatabaseError:
                logger.exception("metrics_area_failed", area=area.__name__)
