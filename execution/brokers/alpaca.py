"""Alpaca trading API adapter (paper by default) through the official alpaca-py SDK.

Implements ``execution.brokers.contract.Broker``. The same code talks to Alpaca's paper API,
to live trading (only with ALPACA_LIVE_TRADING, see production settings) and to the local
simulator (``harness.simulator``), which speaks the same protocol.

Nothing is ever sent twice: a submit that timed out or met a 5xx may have been accepted, so
before any retry the adapter looks the order up by its ``client_order_id`` and returns it
when found; and Alpaca refuses a second order with the same ``client_order_id`` (422), which
the adapter answers with the existing order too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import requests
import structlog
from alpaca.common.enums import Sort
from alpaca.common.exceptions import APIError
from alpaca.trading.client import TradingClient
from alpaca.trading.enums import OrderSide, QueryOrderStatus, TimeInForce
from alpaca.trading.requests import (
    GetOrdersRequest,
    LimitOrderRequest,
    MarketOrderRequest,
    ReplaceOrderRequest,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from execution.brokers.contract import (
    BROKER_FINAL_STATUSES,
    BROKER_OPEN_STATUSES,
    BrokerAccount,
    BrokerError,
    BrokerFill,
    BrokerOrder,
    BrokerOrderNotFound,
    BrokerPosition,
    BrokerRejected,
    BrokerUnavailable,
    OrderRequest,
    OrderUpdate,
)

logger = structlog.get_logger(__name__)

# Alpaca's error code for a client_order_id already used (HTTP 422).
DUPLICATE_CLIENT_ORDER_ID = "40010001"
# Statuses Alpaca may report that the contract folds into its nearest open status.
STATUS_ALIASES = {"held": "accepted", "suspended": "accepted", "pending_review": "pending_new"}
# Activities per page of /v2/account/activities (Alpaca's maximum).
ACTIVITY_PAGE_SIZE = 100
ORDER_PAGE_SIZE = 500
# Namespace of the client_order_id derived for a replacement that was not given one.
REPLACE_NAMESPACE = uuid.UUID("0b7f4b52-5d0e-4b6a-8a57-3c6a6f1d2e90")


class _TimeoutSession(requests.Session):
    """alpaca-py sends its requests without a timeout; every request gets ours."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__()
        self.timeout_s = timeout_s

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(*args, **kwargs)


def translate_error(exc: Exception) -> BrokerError:
    """Alpaca's answer as a broker error: 404 not found, 429/5xx/transport unavailable,
    any other 4xx (403 forbidden or buying power, 422 invalid or duplicate) rejected."""
    if isinstance(exc, APIError):
        status = exc.status_code
        code, message = _error_body(str(exc))
        if status == 404:
            return BrokerOrderNotFound(message, code=code, status=status)
        if status is None or status == 429 or status >= 500:
            return BrokerUnavailable(message, code=code, status=status)
        return BrokerRejected(message, code=code, status=status)
    if isinstance(exc, requests.Timeout):
        return BrokerUnavailable(f"Alpaca did not answer in time: {exc}", code="timeout")
    return BrokerUnavailable(f"Alpaca unreachable: {exc}", code="connection")


def _error_body(text: str) -> tuple[str, str]:
    try:
        body = json.loads(text)
        return str(body.get("code", "")), str(body.get("message", text))
    except (ValueError, AttributeError):
        return "", text or "no error body"


def _decimal(value: Any) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def broker_order_from_json(doc: Mapping) -> BrokerOrder:
    """An Alpaca order document (REST or trade_updates) as a broker-neutral order."""
    status = STATUS_ALIASES.get(doc["status"], doc["status"])
    if status not in BROKER_OPEN_STATUSES | BROKER_FINAL_STATUSES:
        raise ValueError(f"unknown Alpaca order status {doc['status']!r}")
    return BrokerOrder(
        broker_order_id=str(doc["id"]),
        client_order_id=str(doc["client_order_id"]),
        symbol=str(doc["symbol"]),
        side=str(doc["side"]),
        quantity=_decimal(doc.get("qty")) or Decimal(0),
        filled_quantity=_decimal(doc.get("filled_qty")) or Decimal(0),
        average_fill_price=_decimal(doc.get("filled_avg_price")),
        status=status,
        order_type=str(doc.get("type") or doc.get("order_type") or "market"),
        time_in_force=str(doc.get("time_in_force") or "day"),
        limit_price=_decimal(doc.get("limit_price")),
        submitted_at=_time(doc.get("submitted_at")),
        updated_at=_time(doc.get("updated_at")),
        replaces=str(doc["replaces"]) if doc.get("replaces") else None,
        replaced_by=str(doc["replaced_by"]) if doc.get("replaced_by") else None,
        raw=dict(doc),
    )


def broker_fill_from_activity(doc: Mapping) -> BrokerFill:
    """A FILL activity. Its id is "<time>::<uuid>"; the uuid identifies the execution."""
    return BrokerFill(
        broker_fill_id=str(doc["id"]).rsplit("::", 1)[-1],
        quantity=Decimal(str(doc["qty"])),
        price=Decimal(str(doc["price"])),
        fee=Decimal(0),  # Alpaca is commission-free; regulatory fees arrive as FEE activities
        filled_at=_time(doc["transaction_time"]),  # type: ignore[arg-type]
        broker_order_id=str(doc["order_id"]),
        symbol=str(doc["symbol"]),
        side=str(doc["side"]),
        raw=dict(doc),
    )


def order_update_from_trade_update(data: Mapping, *, source: str = "stream") -> OrderUpdate:
    """One trade_updates ``data`` object as an order update; raises on a malformed one."""
    order = broker_order_from_json(data["order"])
    event = str(data["event"])
    at = _time(data.get("timestamp")) or order.updated_at
    if at is None:
        raise ValueError("trade update without a timestamp")
    fill = None
    if event in ("fill", "partial_fill"):
        execution_id = data.get("execution_id")
        if not execution_id or data.get("qty") is None or data.get("price") is None:
            raise ValueError(f"{event} update without execution_id, qty or price")
        fill = BrokerFill(
            broker_fill_id=str(execution_id),
            quantity=Decimal(str(data["qty"])),
            price=Decimal(str(data["price"])),
            fee=Decimal(0),
            filled_at=at,
            broker_order_id=order.broker_order_id,
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            raw=dict(data),
        )
    # A fill is identified by its execution id; other events by order, event and time.
    event_id = fill.broker_fill_id if fill else f"{order.broker_order_id}:{event}:{at.isoformat()}"
    return OrderUpdate(
        event=event, order=order, at=at, source=source, event_id=event_id, fill=fill, raw=data
    )


class AlpacaBroker:
    name = "alpaca"

    def __init__(
        self,
        *,
        api_key: str,
        secret_key: str,
        base_url: str,
        timeout_s: float = 10.0,
        retry_attempts: int = 3,
        retry_max_wait_s: float = 2.0,
    ) -> None:
        # raw_data: one parser (broker_order_from_json) serves REST answers and stream events.
        self.client = TradingClient(
            api_key, secret_key, paper=True, raw_data=True, url_override=base_url.rstrip("/")
        )
        # alpaca-py 0.44 keeps its HTTP session and retry policy in private attributes; its
        # own retry (429/504, POST included, 3 s sleeps) is switched off so the policy below
        # is the only one, and it never re-sends a submit without looking it up first.
        self.client._session = _TimeoutSession(timeout_s)
        self.client._retry = 0
        self.retry_attempts = max(1, retry_attempts)
        self.retry_max_wait_s = retry_max_wait_s

    @classmethod
    def from_settings(cls) -> AlpacaBroker:
        if not (settings.ALPACA_API_KEY_ID and settings.ALPACA_API_SECRET_KEY):
            raise ImproperlyConfigured(
                "EXECUTION_BROKER=alpaca needs ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY"
            )
        return cls(
            api_key=settings.ALPACA_API_KEY_ID,
            secret_key=settings.ALPACA_API_SECRET_KEY,
            base_url=settings.ALPACA_TRADING_BASE_URL,
            timeout_s=settings.ALPACA_TRADING_TIMEOUT_S,
            retry_attempts=settings.ALPACA_TRADING_RETRY_ATTEMPTS,
            retry_max_wait_s=settings.ALPACA_TRADING_RETRY_MAX_WAIT_S,
        )

    # Plumbing ----------------------------------------------------------------------------
    def _retrying(self) -> Retrying:
        return Retrying(
            stop=stop_after_attempt(self.retry_attempts),
            wait=wait_exponential_jitter(initial=0.1, max=self.retry_max_wait_s),
            retry=retry_if_exception_type(BrokerUnavailable),
            reraise=True,
        )

    @staticmethod
    def _once(call: Callable[..., object], *args: Any) -> Any:
        """The call's raw JSON (the client is built with ``raw_data``): parsed by our own
        ``broker_*_from_*`` functions, which refuse what they cannot read."""
        try:
            return call(*args)
        except (APIError, requests.RequestException) as exc:
            raise translate_error(exc) from exc

    def _read(self, call: Callable[..., object], *args: Any) -> Any:
        """A call that changes nothing at the broker: safe to retry as it is."""
        for attempt in self._retrying():
            with attempt:
                return self._once(call, *args)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    # Orders ------------------------------------------------------------------------------
    def submit(self, request: OrderRequest) -> BrokerOrder:
        alpaca_request = self._alpaca_request(request)
        for attempt in self._retrying():
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    # The previous try may have reached the broker: never send it blind.
                    existing = self.order_by_client_id(request.client_order_id)
                    if existing is not None:
                        logger.info(
                            "alpaca_submit_found_after_failed_try",
                            client_order_id=request.client_order_id,
                        )
                        return existing
                return self._submit_once(alpaca_request, request.client_order_id)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _submit_once(self, alpaca_request: Any, client_order_id: str) -> BrokerOrder:
        try:
            return broker_order_from_json(self._once(self.client.submit_order, alpaca_request))
        except BrokerRejected as exc:
            # The client_order_id is already at the broker (an earlier try went through):
            # that order IS this submission.
            if exc.code == DUPLICATE_CLIENT_ORDER_ID or "client_order_id" in exc.message:
                existing = self.order_by_client_id(client_order_id)
                if existing is not None:
                    return existing
            raise

    @staticmethod
    def _alpaca_request(request: OrderRequest) -> MarketOrderRequest | LimitOrderRequest:
        common = {
            "symbol": request.symbol,
            "qty": float(request.quantity),
            "side": OrderSide(request.side),
            "time_in_force": TimeInForce(request.time_in_force),
            "client_order_id": request.client_order_id,
        }
        if request.order_type == "limit":
            if request.limit_price is None:
                raise BrokerRejected("a limit order needs a limit price", code="invalid")
            return LimitOrderRequest(**common, limit_price=float(request.limit_price))
        if request.order_type != "market":
            raise BrokerRejected(f"unsupported order type {request.order_type!r}", code="invalid")
        return MarketOrderRequest(**common)

    def order_by_client_id(self, client_order_id: str) -> BrokerOrder | None:
        try:
            doc = self._read(self.client.get_order_by_client_id, client_order_id)
        except BrokerOrderNotFound:
            return None
        return broker_order_from_json(doc)

    def order_get(self, broker_order_id: str) -> BrokerOrder:
        return broker_order_from_json(self._read(self.client.get_order_by_id, broker_order_id))

    def cancel(self, broker_order_id: str) -> None:
        # Cancelling twice asks for the same outcome: safe to retry.
        self._read(self.client.cancel_order_by_id, broker_order_id)

    def replace(
        self,
        broker_order_id: str,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        time_in_force: str | None = None,
        client_order_id: str | None = None,
    ) -> BrokerOrder:
        # The replacement gets a client_order_id derived from what is asked, so a retried
        # replace is found (and refused as a duplicate) instead of replacing twice.
        client_order_id = client_order_id or str(
            uuid.uuid5(
                REPLACE_NAMESPACE, f"{broker_order_id}|{quantity}|{limit_price}|{time_in_force}"
            )
        )
        alpaca_request = ReplaceOrderRequest(
            qty=int(quantity) if quantity is not None else None,
            limit_price=float(limit_price) if limit_price is not None else None,
            time_in_force=TimeInForce(time_in_force) if time_in_force else None,
            client_order_id=client_order_id,
        )
        for attempt in self._retrying():
            with attempt:
                if attempt.retry_state.attempt_number > 1:
                    existing = self.order_by_client_id(client_order_id)
                    if existing is not None:
                        return existing
                doc = self._once(self.client.replace_order_by_id, broker_order_id, alpaca_request)
                return broker_order_from_json(doc)
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def open_orders(self) -> list[BrokerOrder]:
        orders: list[BrokerOrder] = []
        after: datetime | None = None
        while True:
            page = self._read(
                self.client.get_orders,
                GetOrdersRequest(
                    status=QueryOrderStatus.OPEN,
                    limit=ORDER_PAGE_SIZE,
                    direction=Sort.ASC,
                    after=after,
                ),
            )
            orders.extend(broker_order_from_json(doc) for doc in page)
            if len(page) < ORDER_PAGE_SIZE:
                return orders
            after = orders[-1].submitted_at

    # Fills, positions, account -----------------------------------------------------------
    def fills(self, *, after: datetime | None = None) -> list[BrokerFill]:
        fills: list[BrokerFill] = []
        params: dict[str, Any] = {"direction": "asc", "page_size": ACTIVITY_PAGE_SIZE}
        if after is not None:
            params["after"] = after.isoformat()
        while True:
            page = self._read(self.client.get, "/account/activities/FILL", dict(params))
            fills.extend(broker_fill_from_activity(doc) for doc in page)
            if len(page) < ACTIVITY_PAGE_SIZE:
                return fills
            params["page_token"] = page[-1]["id"]

    def positions(self) -> list[BrokerPosition]:
        return [
            BrokerPosition(
                symbol=doc["symbol"],
                quantity=Decimal(str(doc["qty"])),
                average_entry_price=Decimal(str(doc["avg_entry_price"])),
                market_value=_decimal(doc.get("market_value")),
            )
            for doc in self._read(self.client.get_all_positions)
        ]

    def account(self) -> BrokerAccount:
        doc = self._read(self.client.get_account)
        return BrokerAccount(
            cash=Decimal(str(doc["cash"])),
            buying_power=Decimal(str(doc["buying_power"])),
            equity=Decimal(str(doc["equity"])),
            currency=str(doc.get("currency") or "USD"),
        )
