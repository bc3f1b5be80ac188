"""Personas and gate settings for the model lifecycle tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from marketdata.models import Bar
from tests.conftest import user_with_permissions


@pytest.fixture
def model_risk_officer(django_user_model):
    """Bob signs off promotions (approve_promotion) but did not train the models."""
    return user_with_permissions(django_user_model, "bob", "models_registry.approve_promotion")


@pytest.fixture
def model_operator(django_user_model):
    """Dana promotes and rolls back models (promote_model), and trains them."""
    user = user_with_permissions(django_user_model, "dana", "models_registry.promote_model")
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def lenient_gates(settings):
    """Gates that any trained model passes, except the ones a test switches back on."""
    settings.MODELS_GATE_MIN_AUC = 0.0
    settings.MODELS_GATE_MAX_LOG_LOSS = 10.0
    settings.MODELS_GATE_MAX_AUC = 1.0
    settings.MODELS_GATE_METRIC_TOLERANCE = 1.0
    settings.MODELS_GATE_MAX_BACKTEST_DRAWDOWN = 1.0
    settings.MODELS_GATE_MIN_SHADOW_SIGNALS = 0
    settings.MODELS_GATE_REQUIRE_APPROVAL = False
    return settings


@pytest.fixture(autouse=True)
def empty_cache():
    """The status body is cached by fingerprint; a fresh test database must not see old ones."""
    from django.core.cache import cache

    cache.clear()


def make_the_newest_bars_zigzag(bars_per_instrument: int = 200) -> None:
    """Every newest bar of each instrument jumps +10% / -10% from the one before: returns
    unlike anything the models were trained on."""
    for instrument_id in Bar.objects.order_by().values_list("instrument_id", flat=True).distinct():
        newest = Bar.objects.filter(instrument_id=instrument_id).order_by("-timestamp")
        for i, bar in enumerate(sorted(newest[:bars_per_instrument], key=lambda b: b.timestamp)):
            factor = Decimal("1.1") if i % 2 else Decimal("0.9")
            Bar.objects.filter(pk=bar.pk).update(close=(bar.close * factor).quantize(bar.close))
