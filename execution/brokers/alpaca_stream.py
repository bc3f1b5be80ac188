"""The trade-update stream: Alpaca's ``trade_updates`` WebSocket into the order update service.

Runs in its own long-lived process (``manage.py run_trade_stream``) around alpaca-py's
``TradingStream``, which reconnects with jittered backoff on its own. Every message becomes
an ``OrderUpdate(source="stream")`` handed to the ``apply`` function its builder is given
(``execution.services.order_update_apply`` in ``run_trade_stream``), which dedupes on the
event id and the fill's execution id: a duplicate or replayed message changes nothing. A
malformed message or a failing apply is logged and counted, never fatal; what the stream
misses, the polling task catches up.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import structlog
from alpaca.trading.stream import TradingStream
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

from execution import metrics
from execution.brokers.alpaca import order_update_from_trade_update
from execution.brokers.contract import OrderUpdate

logger = structlog.get_logger(__name__)

# Event names counted under their own label; anything else is "other" (bounded labels).
KNOWN_EVENTS = frozenset(
    {
        "new",
        "accepted",
        "pending_new",
        "fill",
        "partial_fill",
        "canceled",
        "expired",
        "done_for_day",
        "replaced",
        "rejected",
        "pending_cancel",
        "pending_replace",
        "stopped",
        "suspended",
        "calculated",
        "restated",
        "order_cancel_rejected",
        "order_replace_rejected",
    }
)

# The brokers sit below the services that use them, so the update service comes in as a
# parameter: ``execution.services.order_update_apply`` in production, a recorder in tests.
ApplyUpdate = Callable[..., bool]


class ObservedTradingStream(TradingStream):
    """TradingStream that reports whether it is connected (alpaca-py offers no hook).

    Overrides two internals of alpaca-py 0.44 (pinned): ``_start_ws`` returns once the socket
    is authenticated and listening, ``close`` runs on every disconnect.
    """

    async def _start_ws(self) -> None:
        await super()._start_ws()
        metrics.TRADE_STREAM_CONNECTED.set(1)
        metrics.TRADE_STREAM_CONNECTS.inc()
        logger.info("trade_stream_connected", url=str(self._endpoint))

    async def close(self) -> None:
        if self._ws is not None:
            logger.warning("trade_stream_disconnected", url=str(self._endpoint))
        metrics.TRADE_STREAM_CONNECTED.set(0)
        await super().close()


class TradeUpdateHandler:
    """The coroutine TradingStream calls with each raw ``trade_updates`` message."""

    def __init__(self, apply: ApplyUpdate) -> None:
        def apply_with_fresh_connection(*, update: OrderUpdate) -> bool:
            # This process lives for days outside any request: drop a database connection
            # that broke or expired before using it, as Django does per request.
            close_old_connections()
            return apply(update=update)

        self._apply = sync_to_async(apply_with_fresh_connection, thread_sensitive=True)

    async def handle(self, message: Mapping[str, Any]) -> None:
        metrics.TRADE_STREAM_LAST_MESSAGE.set(time.time())
        try:
            update = order_update_from_trade_update(message["data"], source="stream")
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            metrics.TRADE_STREAM_MESSAGES.labels(event="unknown", outcome="malformed").inc()
            logger.warning("trade_stream_message_malformed", error=str(exc), message=message)
            return
        event = update.event if update.event in KNOWN_EVENTS else "other"
        try:
            applied = await self._apply(update=update)
        except Exception as exc:
            # The database or the service failed on this one message: count it and go on;
            # the poll fallback will bring the order up to date.
            metrics.TRADE_STREAM_MESSAGES.labels(event=event, outcome="failed").inc()
            logger.exception("trade_stream_apply_failed", trade_event=update.event, error=str(exc))
            return
        outcome = "applied" if applied else "duplicate"
        metrics.TRADE_STREAM_MESSAGES.labels(event=event, outcome=outcome).inc()
        logger.info(
            "trade_stream_update",
            trade_event=update.event,
            outcome=outcome,
            broker_order_id=update.order.broker_order_id,
            client_order_id=update.order.client_order_id,
        )


def trade_stream_build(
    *,
    url: str | None = None,
    key_id: str | None = None,
    secret_key: str | None = None,
    apply: ApplyUpdate,
) -> ObservedTradingStream:
    """A stream subscribed to trade updates (arguments override the settings)."""
    stream = ObservedTradingStream(
        key_id or settings.ALPACA_API_KEY_ID,
        secret_key or settings.ALPACA_API_SECRET_KEY,
        paper=True,
        # Raw dicts: our own parser decides what is malformed, and counts it.
        raw_data=True,
        url_override=url or settings.ALPACA_TRADING_STREAM_URL,
    )
    stream.subscribe_trade_updates(TradeUpdateHandler(apply).handle)
    return stream


def trade_stream_stop(stream: ObservedTradingStream, *, timeout_s: float = 10.0) -> None:
    """Ask a running stream (in another thread) to stop, and close its socket at once rather
    than after its next receive timeout."""
    loop = stream._loop
    if loop is None or not loop.is_running():
        return
    asyncio.run_coroutine_threadsafe(stream.stop_ws(), loop).result(timeout_s)
    asyncio.run_coroutine_threadsafe(stream.close(), loop).result(timeout_s)


def trade_stream_run(
    stream: ObservedTradingStream, *, stop: threading.Event | None = None, max_wait_s: float = 30.0
) -> None:
    """Run the stream until ``stop`` is set, restarting it whenever ``run`` gives up.

    ``TradingStream.run`` reconnects by itself; this outer loop only guards against it
    returning or raising (a bug, an unexpected exception), with its own capped backoff.
    """
    stop = stop or threading.Event()
    failures = 0
    while not stop.is_set():
        try:
            stream.run()
            failures = 0
        except Exception:
            failures += 1
            logger.exception("trade_stream_crashed", failures=failures)
        metrics.TRADE_STREAM_CONNECTED.set(0)
        stop.wait(min(max_wait_s, 2.0**failures))
