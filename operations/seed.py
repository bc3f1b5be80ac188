"""The demo seed behind ``make run``: instruments, history, a champion baseline model, a
strategy, the schedule, runbooks, the readiness checklist and an operator account."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model

from common import clock
from execution.models import Strategy
from marketdata.models import Instrument
from marketdata.services import bars_ingest
from marketdata.timeframes import last_complete_bar_end, timeframe_delta
from models_registry.models import RegisteredModel
from models_registry.selectors import model_version_champion
from models_registry.services import model_version_train
from operations.readiness import readiness_items_load
from operations.runbooks import runbooks_load
from operations.schedule import periodic_tasks_setup

DEMO_INSTRUMENTS = [
    ("AAPL", "Apple Inc."),
    ("MSFT", "Microsoft Corp."),
    ("SPY", "SPDR S&P 500 ETF"),
]
DEMO_MODEL = "baseline-direction"
DEMO_STRATEGY = "baseline-long-flat"
DEMO_HISTORY_BARS = 1500


@dataclass
class SeedReport:
    operator_username: str
    operator_password: str | None  # only when the account was created by this run
    model_version: str


def _operator(username: str, password: str | None) -> str | None:
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    password = password or secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=password)
    return password


def demo_seed(
    *, operator_username: str = "operator", operator_password: str | None = None
) -> SeedReport:
    """Instruments, history, a champion baseline model, a strategy, the schedule and an
    operator account. Safe to run again: it only fills in what is missing.
    """
    instruments = [
        Instrument.objects.get_or_create(symbol=symbol, defaults={"name": name})[0]
        for symbol, name in DEMO_INSTRUMENTS
    ]
    timeframe = settings.MARKETDATA_TIMEFRAME
    end = last_complete_bar_end(clock.now(), timeframe)
    bars_ingest(start=end - DEMO_HISTORY_BARS * timeframe_delta(timeframe), end=end)
    registered = RegisteredModel.objects.filter(name=DEMO_MODEL).first()
    champion = (
        registered and model_version_champion(registered_model_id=registered.pk)
    ) or model_version_train(model_name=DEMO_MODEL, promote=True)
    strategy, created = Strategy.objects.get_or_create(
        name=DEMO_STRATEGY,
        defaults={
            "registered_model": champion.registered_model,
            "notional_per_trade": Decimal("10000"),
        },
    )
    if created:
        strategy.instruments.set(instruments)
    # Training takes market minutes on the demo's fast clock (12x: about 3 while the model fits,
    # the staleness limit is 3 bars): top the bars up, or the first trading cycle, which beat
    # sends with the first ingest, meets prices that went stale meanwhile and is refused.
    caught_up = last_complete_bar_end(clock.now(), timeframe)
    if caught_up > end:
        bars_ingest(start=end, end=caught_up)
    periodic_tasks_setup()
    runbooks_load(actor_name="seed")
    readiness_items_load()
    password = _operator(operator_username, operator_password)
    return SeedReport(operator_username, password, str(champion))
