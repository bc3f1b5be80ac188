from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import factory

from marketdata.models import Bar, Instrument


class InstrumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instrument
        django_get_or_create = ("symbol",)

    symbol = factory.Sequence(lambda n: f"SYM{n}")
    name = factory.LazyAttribute(lambda o: f"{o.symbol} Inc.")
    exchange = "XNAS"


class BarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bar

    instrument = factory.SubFactory(InstrumentFactory)
    timeframe = "1m"
    timestamp = factory.Sequence(
        lambda n: datetime(2026, 3, 2, 14, 30, tzinfo=UTC) + timedelta(minutes=n)
    )
    open = Decimal("100.00")
    high = Decimal("101.00")
    low = Decimal("99.00")
    close = Decimal("100.50")
    volume = Decimal("1000")
    source = "test"
    ingested_at = factory.LazyAttribute(lambda o: o.timestamp + timedelta(minutes=1))
