"""The per-process cache of risk state, keyed by a version in the shared store; fail closed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from prometheus_client import REGISTRY

from risk import guard, services, state_store
from risk.models import KillSwitch, RiskDecision, RiskLimit
from risk.selectors import limits_for, risk_state_get

pytestmark = pytest.mark.django_db

BOOK = guard.PortfolioSnapshot(
    position_quantity=Decimal(0),
    daily_pnl=Decimal(0),
    gross_exposure=Decimal(0),
    net_exposure=Decimal(0),
    equity=Decimal(100000),
    buying_power=Decimal(100000),
    strategy_enabled=True,
    model_is_champion=True,
)
MARKET = guard.MarketSnapshot(Decimal(100), Decimal(1))


def _intent(n: int = 0) -> guard.OrderIntent:
    # A different quantity each time, so the duplicate check stays out of the way.
    return guard.OrderIntent(f"s-{n}", "s", "AAPL", "buy", Decimal(n + 1), Decimal(100))


def _loads() -> float:
    return REGISTRY.get_sample_value("tradingops_risk_state_loads_total") or 0.0


def test_the_state_loads_once_per_version_not_once_per_check():
    risk_state_get()
    loads = _loads()

    for n in range(5):
        services.order_intent_evaluate(intent=_intent(n), portfolio=BOOK, market=MARKET)

    assert _loads() == loads


def test_any_saved_limit_changes_the_version_and_the_next_check_sees_it():
    before = state_store.version_get()
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(25000)

    # A direct save (admin, shell) counts as much as a service call.
    RiskLimit.objects.create(symbol="AAPL", max_order_notional=Decimal(50))

    assert state_store.version_get() != before
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(50)


def test_the_kill_switch_is_seen_at_the_next_check(operator):
    assert services.order_intent_evaluate(intent=_intent(), portfolio=BOOK, market=MARKET).approved

    services.kill_switch_engage(actor=operator, reason="halt")

    decision = services.order_intent_evaluate(intent=_intent(1), portfolio=BOOK, market=MARKET)
    assert [r["code"] for r in decision.reasons] == ["kill_switch_engaged"]


def test_a_missing_version_row_fails_closed():
    KillSwitch.objects.all().delete()

    decision = services.order_intent_evaluate(intent=_intent(), portfolio=BOOK, market=MARKET)

    assert not decision.approved
    assert decision.reasons[0]["code"] == "state_unavailable"


def test_an_unreachable_shared_store_fails_closed(settings):
    # A real Redis client pointed at a port nothing listens on: the store is unreachable.
    settings.RISK_STATE_VERSION_STORE = "cache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    decision = services.order_intent_evaluate(intent=_intent(), portfolio=BOOK, market=MARKET)

    assert not decision.approved
    assert decision.reasons[0]["code"] == "state_unavailable"
    assert RiskDecision.objects.get().approved is False


def test_the_kill_switch_engages_even_while_redis_is_unreachable(settings, operator):
    settings.RISK_STATE_VERSION_STORE = "cache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }

    services.kill_switch_engage(actor=operator, reason="redis is down too")

    assert KillSwitch.objects.get().engaged
    decision = services.order_intent_evaluate(intent=_intent(), portfolio=BOOK, market=MARKET)
    assert decision.reasons[0]["code"] == "state_unavailable"


def test_a_cached_state_is_reloaded_after_its_maximum_age(settings):
    settings.RISK_STATE_MAX_AGE_S = 0.0  # every check reloads
    risk_state_get()
    loads = _loads()

    risk_state_get()

    assert _loads() == loads + 1


def test_the_cache_store_reads_the_version_through_the_django_cache(settings):
    settings.RISK_STATE_VERSION_STORE = "cache"  # locmem here; Redis when REDIS_URL is set
    first = state_store.version_get()

    RiskLimit.objects.create(symbol="AAPL", max_order_notional=Decimal(50))

    assert state_store.version_get() != first
    assert limits_for(symbol="AAPL").max_order_notional == Decimal(50)
