"""Inside the soak's own database: instruments, history, a champion, a strategy, a schedule.

Runs as ``manage.py soak_stack seed`` in the stack's environment, before the clock starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import exchange_calendars as xcals
from django.contrib.auth import get_user_model
from django.db import transaction
from django_celery_beat.models import PeriodicTask

from execution.models import Strategy
from marketdata.models import Instrument
from marketdata.services import bars_ingest
from models_registry.models import ModelVersion
from models_registry.selectors import model_version_champion
from models_registry.services import (
    model_version_approve,
    model_version_promote,
    model_version_train,
)
from operations.schedule import periodic_tasks_setup
from risk.choices import Scope
from risk.models import RiskLimit
from risk.selectors import risk_limit_get

SOAK_MODEL = "soak-direction"
SOAK_STRATEGY = "soak-long-flat"
# Liquid US listings; past these the soak names instruments SOAK001, SOAK002, ...
SYMBOLS = [
    "AAPL", "MSFT", "SPY", "QQQ", "AMZN", "GOOGL", "META", "NVDA", "JPM", "XOM",
    "JNJ", "PG", "V", "HD", "KO", "PEP", "WMT", "DIS", "IWM", "TLT",
]  # fmt: skip
# Tasks that should never queue up behind a slow worker: a newer run supersedes an old one.
LOOP_TASKS = ("ingest-bars", "predict-and-trade")


@dataclass(frozen=True)
class SeedResult:
    symbols: list[str]
    history_bars: int
    champion: str
    artifact: str
    previous_champion: str = ""  # with a second version promoted: the one a rollback restores


def soak_symbols(count: int) -> list[str]:
    return SYMBOLS[:count] + [f"SOAK{i:03d}" for i in range(1, count - len(SYMBOLS) + 1)]


def history_start(*, first_session: str, sessions: int, calendar: str) -> datetime:
    """The open of the session ``sessions`` trading days before ``first_session``."""
    exchange = xcals.get_calendar(calendar)
    first = exchange.date_to_session(first_session, direction="next")
    return exchange.session_open(exchange.session_offset(first, -sessions)).to_pydatetime()


def soak_seed(
    *,
    instruments: int,
    first_open: datetime,
    history_from: datetime,
    schedule_seconds: int,
    users: dict[str, str] | None = None,
    second_version_approver: str = "",
    max_price_age_s: int | None = None,
) -> SeedResult:
    """Fill the stack's empty database; safe to run again (it only adds what is missing).

    ``users`` (name → password) become superusers of the scratch database: the game days act
    through the API as two different people (four-eyes). ``second_version_approver`` trains
    a second version, has that user approve it and promotes it through the gates, so the
    first is a previous champion a rollback can restore. ``max_price_age_s`` loosens the
    strategy's price-age limit for a compressed clock (never tightens the global one).
    """
    symbols = soak_symbols(instruments)
    rows = [Instrument.objects.get_or_create(symbol=symbol)[0] for symbol in symbols]
    # Through the configured providers (the fake Alpaca first), as the loop will ingest.
    report = bars_ingest(symbols=symbols, start=history_from, end=first_open)
    champion = model_version_train(model_name=SOAK_MODEL, promote=True)
    strategy, created = Strategy.objects.get_or_create(
        name=SOAK_STRATEGY,
        defaults={"registered_model": champion.registered_model, "notional_per_trade": 10_000},
    )
    if created:
        strategy.instruments.set(rows)
    if max_price_age_s is not None:
        _price_age_limit_set(max_price_age_s)
    _schedule(schedule_seconds)
    for username, password in (users or {}).items():
        if not get_user_model().objects.filter(username=username).exists():
            get_user_model().objects.create_superuser(username, "", password)
    previous = ""
    if second_version_approver:
        previous = str(champion)
        champion = _second_version_promote(champion, second_version_approver)
    stored = sum(report.stored.values())
    return SeedResult(
        symbols=symbols,
        history_bars=stored,
        champion=str(champion),
        artifact=champion.artifact_path,
        previous_champion=previous,
    )


def _second_version_promote(champion: ModelVersion, approver: str) -> ModelVersion:
    """A second version on the same data with another seed: the same metrics within the
    gates' tolerance, so it passes them; approved by ``approver`` (the seed trained it, not
    that user: four-eyes holds) and promoted. Once there are two versions, nothing is added."""
    registered = champion.registered_model
    if ModelVersion.objects.filter(registered_model=registered).count() > 1:
        return model_version_champion(registered_model_id=registered.pk) or champion
    second = model_version_train(model_name=SOAK_MODEL, seed=1)
    model_version_approve(
        model_version=second,
        actor=get_user_model().objects.get(username=approver),
        reason="game-day seed: a second champion so rollback has a target",
    )
    return model_version_promote(model_version=second, reason="game-day seed: second champion")


def _price_age_limit_set(seconds: int) -> None:
    """A strategy-scope limit replaces the global one for the soak strategy only. Set on the
    scratch database before any trading, as a deployment's seed data would be."""
    global_limit = risk_limit_get(scope=Scope.GLOBAL, key="")
    current = global_limit.max_price_age_s if global_limit else None
    if current is not None and current >= seconds:
        return
    RiskLimit.objects.update_or_create(
        strategy=SOAK_STRATEGY, symbol="", defaults={"max_price_age_s": Decimal(seconds)}
    )


@transaction.atomic
def _schedule(every_seconds: int) -> None:
    """The loop's tasks every ``every_seconds``, expiring after two periods so a backlog
    behind a slow or stopped worker is dropped instead of replayed (each run is idempotent
    and works from the newest bar, so a dropped run loses nothing)."""
    periodic_tasks_setup(reset_schedule=True)
    PeriodicTask.objects.filter(name__in=LOOP_TASKS).update(expire_seconds=2 * every_seconds)
