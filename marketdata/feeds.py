"""Getting bars out of an ordered list of providers: breakers, retries, failover, failback.

Every state change becomes a ProviderEvent (with reason and duration) and a metric, so an
outage can be reconstructed from admin after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TypedDict, Unpack

import structlog
from django.conf import settings
from django.core.cache import cache

from common import clock
from common.exceptions import ProviderError
from marketdata import metrics
from marketdata.calendars import calendar_code, expected_bar_starts
from marketdata.choices import ProviderEventKind
from marketdata.models import Instrument, ProviderEvent
from marketdata.providers.base import BarProvider, FetchResult
from marketdata.resilience import (
    CLOSED,
    HALF_OPEN,
    OPEN,
    BreakerSettings,
    CircuitBreaker,
    RetryPolicy,
    Transition,
    call_with_retries,
)

logger = structlog.get_logger(__name__)

_KIND_OF_STATE = {
    OPEN: ProviderEventKind.BREAKER_OPENED,
    HALF_OPEN: ProviderEventKind.BREAKER_HALF_OPEN,
    CLOSED: ProviderEventKind.BREAKER_CLOSED,
}


def provider_event_record(
    *,
    provider: str,
    kind: str,
    reason: str,
    symbol: str = "",
    duration_s: float | None = None,
    detail: dict | None = None,
) -> ProviderEvent:
    event = ProviderEvent.objects.create(
        provider=provider,
        kind=kind,
        symbol=symbol,
        reason=reason[:2000],
        duration_s=duration_s,
        detail=detail or {},
        created_at=clock.now(),
    )
    metrics.PROVIDER_EVENTS.labels(provider, kind).inc()
    logger.warning(
        "provider_event", provider=provider, kind=kind, symbol=symbol, reason=reason,
        duration_s=duration_s,
    )  # fmt: skip
    return event


def _transition_record(transition: Transition) -> None:
    metrics.BREAKER_STATE.labels(transition.provider).set(
        {CLOSED: 0, HALF_OPEN: 1, OPEN: 2}[transition.new]
    )
    provider_event_record(
        provider=transition.provider,
        kind=_KIND_OF_STATE[transition.new],
        reason=transition.reason,
        duration_s=transition.duration_s,
        detail={"from": transition.old},
    )


def breaker_for(name: str) -> CircuitBreaker:
    return CircuitBreaker(
        name,
        BreakerSettings(
            fail_max=settings.MARKETDATA_BREAKER_FAIL_MAX,
            window_s=settings.MARKETDATA_BREAKER_WINDOW_S,
            reset_s=settings.MARKETDATA_BREAKER_RESET_S,
            success_threshold=settings.MARKETDATA_BREAKER_SUCCESS_THRESHOLD,
        ),
        on_transition=_transition_record,
    )


def retry_policy() -> RetryPolicy:
    return RetryPolicy(
        attempts=settings.MARKETDATA_RETRY_ATTEMPTS,
        initial_wait_s=settings.MARKETDATA_RETRY_INITIAL_WAIT_S,
        max_wait_s=settings.MARKETDATA_RETRY_MAX_WAIT_S,
    )


@dataclass
class Served:
    """Which provider served the window, what it returned, and what failed before it."""

    provider: BarProvider
    fetched: FetchResult
    errors: list[str] = field(default_factory=list)


class FetchWindow(TypedDict):
    symbol: str
    timeframe: str
    start: datetime
    end: datetime


def _call(provider: BarProvider, policy: RetryPolicy, **window: Unpack[FetchWindow]) -> FetchResult:
    started = clock.now()
    try:
        return call_with_retries(policy, lambda: provider.fetch_bars(**window))
    finally:
        elapsed = (clock.now() - started).total_seconds()
        metrics.PROVIDER_CALL_SECONDS.labels(provider.name).observe(max(elapsed, 0.0))


def fetch_with_failover(
    *,
    instrument: Instrument,
    chain: list[BarProvider],
    timeframe: str,
    start: datetime,
    end: datetime,
) -> Served:
    """The window from the first provider in ``chain`` that can serve it, in this cycle.

    Steps: 1. skip a provider whose breaker is open; 2. a half-open provider gets one probe
    (no retries) and serves only once enough probes closed its breaker, so failback waits for
    the probes; 3. otherwise call with retries, count the outcome on its breaker; 4. an empty
    answer for a window the market was open in is stale: ask the next provider; 5. serve,
    recording failover or failback when the serving provider changed.
    """
    errors: list[str] = []
    stale: Served | None = None
    window: FetchWindow = {
        "symbol": instrument.symbol,
        "timeframe": timeframe,
        "start": start,
        "end": end,
    }
    for provider in chain:
        breaker = breaker_for(provider.name)
        if not breaker.allow():
            errors.append(f"{provider.name}: breaker open")
            continue
        probing = breaker.last_seen == HALF_OPEN
        policy = RetryPolicy(attempts=1) if probing else retry_policy()
        try:
            fetched = _call(provider, policy, **window)
        except ProviderError as exc:
            breaker.record_failure(str(exc))
            metrics.PROVIDER_ERRORS.labels(provider.name).inc()
            errors.append(f"{provider.name}: {exc}")
            continue
        breaker.record_success()
        if probing and breaker.load().state != CLOSED:
            errors.append(f"{provider.name}: half-open, probe succeeded")
            continue
        if _stale(instrument, fetched, timeframe, start, end) and provider is not chain[-1]:
            # Answering with nothing new while the market is open is an outage in disguise
            # (the same last bar again): the next provider may have the bars.
            metrics.PROVIDER_ERRORS.labels(provider.name).inc()
            errors.append(f"{provider.name}: stale, no bar while the market was open")
            stale = stale or Served(provider=provider, fetched=fetched)
            continue
        _note_serving(instrument, chain, provider, errors)
        return Served(provider=provider, fetched=fetched, errors=errors)
    if stale is not None:  # every provider is stale: nothing to store, nobody to blame
        return Served(provider=stale.provider, fetched=stale.fetched, errors=errors)
    raise ProviderError("; ".join(errors) or "no market data provider configured")


def _stale(
    instrument: Instrument, fetched: FetchResult, timeframe: str, start: datetime, end: datetime
) -> bool:
    if fetched.bars:
        return False
    return bool(expected_bar_starts(calendar_code(instrument), timeframe, start, end))


def _serving_key(symbol: str) -> str:
    return f"marketdata:serving:{symbol}"


def _note_serving(
    instrument: Instrument, chain: list[BarProvider], provider: BarProvider, errors: list[str]
) -> None:
    """Record a failover (to a later provider) or failback (to an earlier one) on a change."""
    previous = cache.get(_serving_key(instrument.symbol))
    if previous is not None and previous["provider"] == provider.name:
        return
    now = clock.now().timestamp()
    cache.set(_serving_key(instrument.symbol), {"provider": provider.name, "since": now}, None)
    names = [p.name for p in chain]
    if previous is None and provider.name == names[0]:
        return  # the primary serving from the start is no event
    old = previous["provider"] if previous else names[0]
    old_rank = names.index(old) if old in names else len(names)
    if names.index(provider.name) > old_rank:
        kind, reason = ProviderEventKind.FAILOVER, "; ".join(errors) or f"{old} unavailable"
    else:
        kind, reason = ProviderEventKind.FAILBACK, f"{provider.name} serves again after probes"
    provider_event_record(
        provider=provider.name,
        kind=kind,
        symbol=instrument.symbol,
        reason=reason,
        duration_s=now - previous["since"] if previous else None,
        detail={"from": old, "to": provider.name},
    )


def reference_closes(
    *,
    instrument: Instrument,
    chain: list[BarProvider],
    served: Served,
    timeframe: str,
    start: datetime,
    end: datetime,
) -> dict[datetime, Decimal]:
    """Closes of the same window from the next healthy provider, for the cross-check.

    One attempt, no retries, only from a provider whose breaker is closed: the cross-check
    must never slow a cycle down or keep a sick provider busy (one that failed earlier in
    this cycle is skipped too). A failure still counts on its breaker and leaves the bars
    unchecked.
    """
    if not settings.MARKETDATA_CROSS_CHECK:
        return {}
    failed = {error.split(":", 1)[0] for error in served.errors}
    for provider in chain:
        if provider is served.provider or provider.name in failed:
            continue
        if breaker_for(provider.name).load().state != CLOSED:
            continue
        try:
            fetched = _call(
                provider,
                RetryPolicy(attempts=1),
                symbol=instrument.symbol,
                timeframe=timeframe,
                start=start,
                end=end,
            )
        except ProviderError as exc:
            breaker_for(provider.name).record_failure(str(exc))
            return {}
        return {bar.timestamp: bar.close for bar in fetched.bars}
    return {}


def serving_provider(symbol: str) -> str | None:
    current = cache.get(_serving_key(symbol))
    return current["provider"] if current else None
