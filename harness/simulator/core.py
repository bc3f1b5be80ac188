"""The simulated Alpaca account: validates requests, keeps orders, fills them, emits updates.

Transport-free: the aiohttp server (``server.py``) parses HTTP and WebSocket frames and calls
these methods from one worker thread, so state changes never interleave. Documents returned
are shaped exactly as Alpaca's trading API v2 sends them (amounts as strings, UUID ids,
RFC 3339 timestamps). ``publish`` receives each trade_updates ``data`` object.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from harness.simulator import engine
from harness.simulator.faults import FaultBook
from harness.simulator.store import DuplicateClientOrderId, SimulatorStore

ACCOUNT_ID = "9a1f4a62-6b8e-4d0c-9d2c-5f1a6f0c0001"
ACCOUNT_NUMBER = "PA3SIMULATOR"
ORDER_TYPES = frozenset({"market", "limit"})
TIMES_IN_FORCE = frozenset({"day", "gtc", "ioc"})
MAX_CLIENT_ORDER_ID = 128
ASSET_NAMESPACE = uuid.UUID("6f1d0d4e-2b1c-4f5e-9a7b-0c3d2e1f4a5b")


class SimulatorError(Exception):
    """An API error: HTTP ``status`` and Alpaca's body ``{"code", "message"}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def invalid(message: str) -> SimulatorError:
    return SimulatorError(422, 42210000, message)


def not_found(message: str = "order not found") -> SimulatorError:
    return SimulatorError(404, 40410000, message)


class Market(Protocol):
    """Where prices come from: the project's bars (``market.py``) or a test's own."""

    def knows(self, symbol: str) -> bool: ...

    def bars_since(self, symbol: str, since: datetime, now: datetime) -> list[engine.SimBar]: ...

    def last_price(self, symbol: str, now: datetime) -> Decimal | None: ...

    def session_end(self, symbol: str, at: datetime) -> datetime | None: ...


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def decimal_field(payload: dict, name: str, *, required: bool = False) -> Decimal | None:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise invalid(f"{name} is required")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise invalid(f"invalid {name}: {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise invalid(f"{name} must be > 0")
    return number


def amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


@dataclass(frozen=True, slots=True)
class OrderSpec:
    symbol: str
    side: str
    qty: Decimal
    order_type: str
    time_in_force: str
    limit_price: Decimal | None
    client_order_id: str


class AlpacaSimulator:
    def __init__(
        self,
        *,
        store: SimulatorStore,
        market: Market,
        now: Callable[[], datetime],
        slippage_bps: Decimal,
        participation_rate: Decimal,
        faults: FaultBook | None = None,
        publish: Callable[[dict], None] = lambda data: None,
    ) -> None:
        self.store, self.market, self.now = store, market, now
        self.slippage_bps, self.participation_rate = slippage_bps, participation_rate
        self.faults = faults or FaultBook()
        self.publish = publish
        # Orders whose updates a "no_update" fault swallows, for their whole life.
        self.silenced: set[str] = set()

    # Orders ------------------------------------------------------------------------------
    def order_submit(self, payload: dict) -> dict:
        """POST /v2/orders. Unique client_order_id: a second submit is a 422, never an order."""
        spec = self._order_spec(payload)
        reject = self.faults.take("reject", method="POST", path="/v2/orders")
        if reject is not None:
            status = int(reject.params.get("status", 403))
            code = 40310000 if status == 403 else status * 100_000
            raise SimulatorError(
                status, code, reject.params.get("message", "insufficient buying power")
            )
        if spec.side == "buy":
            self._check_buying_power(spec)
        doc = self._new_order_doc(spec)
        doc["expires_at"] = self._expiry(spec)
        with self.store.atomic():
            try:
                self.store.order_insert(
                    doc, cursor=doc["submitted_at"], expires_at=doc["expires_at"]
                )
            except DuplicateClientOrderId:
                raise SimulatorError(422, 40010001, "client_order_id must be unique") from None
        if self.faults.take("no_update"):
            self.silenced.add(doc["id"])
        self._emit("new", doc)
        return doc

    def order_get(self, order_id: str) -> dict:
        doc = self.store.order_get(order_id)
        if doc is None:
            raise not_found()
        return doc

    def order_by_client_id(self, client_order_id: str) -> dict:
        doc = self.store.order_by_client_id(client_order_id)
        if doc is None:
            raise not_found()
        return doc

    def order_list(self, **filters: Any) -> list[dict]:
        return self.store.order_list(**filters)

    def order_cancel(self, order_id: str) -> dict:
        doc = self.order_get(order_id)
        if doc["status"] in {"filled", "canceled", "expired", "rejected", "replaced"}:
            raise invalid(f"order is not cancelable (status {doc['status']})")
        at = rfc3339(self.now())
        doc.update(status="canceled", canceled_at=at, updated_at=at)
        with self.store.atomic():
            self.store.order_save(doc)
        self._emit("canceled", doc)
        return doc

    def order_cancel_all(self) -> list[dict]:
        results = []
        for doc in self.store.order_list(status="open", limit=10_000):
            try:
                results.append(
                    {"id": doc["id"], "status": 200, "body": self.order_cancel(doc["id"])}
                )
            except SimulatorError as exc:
                results.append(
                    {
                        "id": doc["id"],
                        "status": exc.status,
                        "body": {"code": exc.code, "message": exc.message},
                    }
                )
        return results

    def order_replace(self, order_id: str, payload: dict) -> dict:
        """PATCH /v2/orders/{id}: a new order replaces the working one, which ends replaced."""
        old = self.order_get(order_id)
        if old["status"] in {"filled", "canceled", "expired", "rejected", "replaced"}:
            raise invalid(f"order is not replaceable (status {old['status']})")
        # What the old order filled stays with it; the replacement works the quantity asked
        # for, by default what was left.
        qty = decimal_field(payload, "qty") or Decimal(old["qty"]) - Decimal(old["filled_qty"])
        limit_price = decimal_field(payload, "limit_price")
        if limit_price is not None and old["type"] != "limit":
            raise invalid("limit_price can only be replaced on a limit order")
        spec = OrderSpec(
            symbol=old["symbol"],
            side=old["side"],
            qty=qty,
            order_type=old["type"],
            time_in_force=self._time_in_force(payload.get("time_in_force") or old["time_in_force"]),
            limit_price=limit_price or _decimal_or_none(old["limit_price"]),
            client_order_id=payload.get("client_order_id") or str(uuid.uuid4()),
        )
        new = self._new_order_doc(spec)
        new.update(replaces=old["id"], expires_at=self._expiry(spec))
        at = new["submitted_at"]
        old.update(status="replaced", replaced_at=at, replaced_by=new["id"], updated_at=at)
        with self.store.atomic():
            try:
                cursor = self._cursor_of(old["id"])
                self.store.order_insert(new, cursor=cursor, expires_at=new["expires_at"])
            except DuplicateClientOrderId:
                raise SimulatorError(422, 40010001, "client_order_id must be unique") from None
            self.store.order_save(old)
        self._emit("replaced", old)
        self._emit("new", new)
        return new

    # Fills -------------------------------------------------------------------------------
    def tick(self) -> int:
        """Advance every working order over the bars that closed; returns executions made."""
        now, made = self.now(), 0
        bars_by_start: dict[tuple[str, str], list[engine.SimBar]] = {}
        for doc, cursor, expires_at in self.store.working_orders():
            working = engine.WorkingOrder(
                side=doc["side"],
                order_type=doc["type"],
                time_in_force=doc["time_in_force"],
                remaining=Decimal(doc["qty"]) - Decimal(doc["filled_qty"]),
                cursor=parse_time(cursor),
                limit_price=_decimal_or_none(doc["limit_price"]),
                expires_at=parse_time(expires_at) if expires_at else None,
            )
            key = (doc["symbol"], cursor)  # orders placed together share their bars
            if key not in bars_by_start:
                bars_by_start[key] = self.market.bars_since(doc["symbol"], working.cursor, now)
            bars = bars_by_start[key]
            step = engine.order_step(
                working,
                bars,
                now=now,
                slippage_bps=self.slippage_bps,
                participation_rate=self.participation_rate,
            )
            for execution in step.executions:
                self._execute(doc, execution)
                made += 1
            if step.cursor is not None or step.final_status:
                self._settle(doc, step)
        return made

    def _execute(self, doc: dict, execution: engine.Execution) -> None:
        """One execution: activity, order, position and cash commit together."""
        filled_before = Decimal(doc["filled_qty"])
        filled = filled_before + execution.quantity
        average = _decimal_or_none(doc["filled_avg_price"]) or Decimal(0)
        average = (average * filled_before + execution.price * execution.quantity) / filled
        at = rfc3339(self.now())  # when the simulator saw the bar close, as a broker reports
        leaves = Decimal(doc["qty"]) - filled
        event = "fill" if leaves <= 0 else "partial_fill"
        doc.update(
            filled_qty=amount(filled),
            filled_avg_price=amount(average.quantize(engine.SUB_DOLLAR_TICK)),
            status="filled" if leaves <= 0 else "partially_filled",
            updated_at=at,
            filled_at=at if leaves <= 0 else doc["filled_at"],
        )
        execution_id = str(uuid.uuid4())
        with self.store.atomic():
            position_qty = self._position_apply(doc["symbol"], doc["side"], execution)
            self.store.activity_insert(
                self._activity_doc(doc, execution, execution_id, at, event, leaves)
            )
            self.store.order_save(doc)
        self._emit(
            event,
            doc,
            execution_id=execution_id,
            price=amount(execution.price),
            qty=amount(execution.quantity),
            position_qty=amount(position_qty),
        )

    def _settle(self, doc: dict, step: engine.StepResult) -> None:
        cursor = rfc3339(step.cursor) if step.cursor else None
        status = step.final_status
        if status in ("canceled", "expired") and doc["status"] not in ("filled",):
            at = rfc3339(self.now())
            doc.update(status=status, updated_at=at)
            doc["canceled_at" if status == "canceled" else "expired_at"] = at
            with self.store.atomic():
                self.store.order_save(doc, cursor=cursor)
            self._emit(status, doc)
            return
        with self.store.atomic():
            self.store.order_save(doc, cursor=cursor)

    def _position_apply(self, symbol: str, side: str, execution: engine.Execution) -> Decimal:
        """Signed position and average entry after a fill; cash moves by the notional."""
        signed = execution.quantity if side == "buy" else -execution.quantity
        qty, average = self.store.position_get(symbol) or (Decimal(0), Decimal(0))
        new_qty = qty + signed
        if qty == 0 or (qty > 0) == (signed > 0):
            average = (qty * average + signed * execution.price) / new_qty
        elif new_qty != 0 and (new_qty > 0) != (qty > 0):
            average = execution.price  # crossed through flat: the rest opens at this price
        self.store.position_set(symbol, new_qty, average.quantize(engine.SUB_DOLLAR_TICK))
        self.store.cash_set(self.store.cash() - signed * execution.price)
        return new_qty

    # Account, positions, activities ------------------------------------------------------
    def account(self) -> dict:
        now = self.now()
        cash = self.store.cash()
        long_value = short_value = Decimal(0)
        for symbol, qty, average in self.store.position_list():
            value = qty * (self.market.last_price(symbol, now) or average)
            long_value, short_value = (
                (long_value + value, short_value) if qty > 0 else (long_value, short_value + value)
            )
        equity = cash + long_value + short_value
        buying_power = max(cash - self._reserved_for_buys(now), Decimal(0))
        money = {
            k: amount(v.quantize(engine.CENT))
            for k, v in {
                "cash": cash,
                "equity": equity,
                "buying_power": buying_power,
                "long_market_value": long_value,
                "short_market_value": short_value,
            }.items()
        }
        return {
            "id": ACCOUNT_ID,
            "account_number": ACCOUNT_NUMBER,
            "status": "ACTIVE",
            "crypto_status": "INACTIVE",
            "currency": "USD",
            "buying_power": money["buying_power"],
            "regt_buying_power": money["buying_power"],
            "daytrading_buying_power": "0",
            "non_marginable_buying_power": money["buying_power"],
            "cash": money["cash"],
            "accrued_fees": "0",
            "pending_transfer_in": "0",
            "portfolio_value": money["equity"],
            "pattern_day_trader": False,
            "trading_blocked": False,
            "transfers_blocked": False,
            "account_blocked": False,
            "created_at": "2026-01-02T14:30:00.000000Z",
            "trade_suspended_by_user": False,
            "multiplier": "1",
            "shorting_enabled": True,
            "equity": money["equity"],
            "last_equity": money["equity"],
            "long_market_value": money["long_market_value"],
            "short_market_value": money["short_market_value"],
            "initial_margin": "0",
            "maintenance_margin": "0",
            "last_maintenance_margin": "0",
            "sma": "0",
            "daytrade_count": 0,
        }

    def positions(self) -> list[dict]:
        now = self.now()
        return [
            self._position_doc(symbol, qty, average, self.market.last_price(symbol, now))
            for symbol, qty, average in self.store.position_list()
        ]

    def position(self, symbol: str) -> dict:
        held = self.store.position_get(symbol)
        if held is None:
            raise SimulatorError(404, 40410000, "position does not exist")
        return self._position_doc(symbol, *held, self.market.last_price(symbol, self.now()))

    def activities(self, **filters: Any) -> list[dict]:
        return self.store.activity_list(**filters)

    def clock(self) -> dict:
        now = self.now()
        close = self.market.session_end("SPY", now) or now.replace(hour=21, minute=0)
        return {
            "timestamp": rfc3339(now),
            "is_open": True,
            "next_open": rfc3339(now + timedelta(days=1)),
            "next_close": rfc3339(close),
        }

    # Control: plant state the rest of the project does not know about --------------------
    def plant_order(self, payload: dict) -> dict:
        """An order that exists only at the broker (an orphan), sent no update."""
        spec = self._order_spec(payload)
        doc = self._new_order_doc(spec)
        status = payload.get("status", "new")
        doc.update(status=status, filled_qty=amount(Decimal(str(payload.get("filled_qty", "0")))))
        if payload.get("filled_avg_price"):
            doc["filled_avg_price"] = amount(Decimal(str(payload["filled_avg_price"])))
        with self.store.atomic():
            try:
                self.store.order_insert(doc, cursor=doc["submitted_at"], expires_at=None)
            except DuplicateClientOrderId:
                raise SimulatorError(422, 40010001, "client_order_id must be unique") from None
        return doc

    def plant_position(self, payload: dict) -> dict:
        symbol = str(payload.get("symbol", "")).upper()
        if not symbol:
            raise invalid("symbol is required")
        try:
            qty = Decimal(str(payload.get("qty", "0")))
            average = Decimal(str(payload.get("avg_entry_price", "0")))
        except InvalidOperation:
            raise invalid("qty and avg_entry_price must be numbers") from None
        with self.store.atomic():
            self.store.position_set(symbol, qty, average)
        return {"symbol": symbol, "qty": amount(qty), "avg_entry_price": amount(average)}

    def reset(self) -> None:
        self.store.reset()
        self.faults.clear()
        self.silenced.clear()

    # Helpers -----------------------------------------------------------------------------
    def _order_spec(self, payload: dict) -> OrderSpec:
        if not isinstance(payload, dict):
            raise invalid("request body must be a JSON object")
        symbol = str(payload.get("symbol") or "").upper()
        if not symbol:
            raise invalid("symbol is required")
        if not self.market.knows(symbol):
            raise invalid(f'asset "{symbol}" not found')
        if payload.get("notional") is not None:
            raise invalid("notional orders are not supported by the simulator")
        qty = decimal_field(payload, "qty", required=True)
        side, order_type = payload.get("side"), payload.get("type") or payload.get("order_type")
        if side not in ("buy", "sell"):
            raise invalid(f"invalid side: {side!r}")
        if order_type not in ORDER_TYPES:
            raise invalid(f"invalid order type: {order_type!r}")
        time_in_force = self._time_in_force(payload.get("time_in_force"))
        limit_price = decimal_field(payload, "limit_price", required=order_type == "limit")
        if order_type == "market" and limit_price is not None:
            raise invalid("limit_price must not be set on a market order")
        client_order_id = payload.get("client_order_id") or str(uuid.uuid4())
        if not isinstance(client_order_id, str) or len(client_order_id) > MAX_CLIENT_ORDER_ID:
            raise invalid(f"client_order_id must be at most {MAX_CLIENT_ORDER_ID} characters")
        return OrderSpec(
            symbol, side, qty or Decimal(0), order_type, time_in_force, limit_price, client_order_id
        )

    @staticmethod
    def _time_in_force(value: object) -> str:
        if not isinstance(value, str) or value not in TIMES_IN_FORCE:
            raise invalid(f"invalid time_in_force: {value!r}")
        return value

    def _check_buying_power(self, spec: OrderSpec) -> None:
        now = self.now()
        price = spec.limit_price or self.market.last_price(spec.symbol, now)
        if price is None:
            return  # no price yet: nothing to judge the order against
        available = self.store.cash() - self._reserved_for_buys(now)
        if spec.qty * price > available:
            raise SimulatorError(403, 40310000, "insufficient buying power")

    def _reserved_for_buys(self, now: datetime) -> Decimal:
        reserved = Decimal(0)
        for doc, _cursor, _expires in self.store.working_orders():
            if doc["side"] != "buy":
                continue
            price = _decimal_or_none(doc["limit_price"]) or self.market.last_price(
                doc["symbol"], now
            )
            leaves = Decimal(doc["qty"]) - Decimal(doc["filled_qty"])
            reserved += leaves * (price or Decimal(0))
        return reserved

    def _expiry(self, spec: OrderSpec) -> str | None:
        if spec.time_in_force != "day":
            return None
        end = self.market.session_end(spec.symbol, self.now())
        return rfc3339(end) if end else None

    def _cursor_of(self, order_id: str) -> str:
        for doc, cursor, _expires in self.store.working_orders():
            if doc["id"] == order_id:
                return cursor
        return rfc3339(self.now())

    def _new_order_doc(self, spec: OrderSpec) -> dict:
        at = rfc3339(self.now())
        return {
            "id": str(uuid.uuid4()),
            "client_order_id": spec.client_order_id,
            "created_at": at,
            "updated_at": at,
            "submitted_at": at,
            "filled_at": None,
            "expired_at": None,
            "expires_at": None,
            "canceled_at": None,
            "failed_at": None,
            "replaced_at": None,
            "replaced_by": None,
            "replaces": None,
            "asset_id": str(uuid.uuid5(ASSET_NAMESPACE, spec.symbol)),
            "symbol": spec.symbol,
            "asset_class": "us_equity",
            "notional": None,
            "qty": amount(spec.qty),
            "filled_qty": "0",
            "filled_avg_price": None,
            "order_class": "",
            "order_type": spec.order_type,
            "type": spec.order_type,
            "side": spec.side,
            "position_intent": None,
            "time_in_force": spec.time_in_force,
            "limit_price": amount(spec.limit_price),
            "stop_price": None,
            "status": "new",
            "extended_hours": False,
            "legs": None,
            "trail_percent": None,
            "trail_price": None,
            "hwm": None,
        }

    def _activity_doc(
        self,
        doc: dict,
        execution: engine.Execution,
        execution_id: str,
        at: str,
        event: str,
        leaves: Decimal,
    ) -> dict:
        # Alpaca's activity id is "<time>::<uuid>"; the simulator's uuid is the execution id
        # of the matching trade update, so a fill polled here dedupes with the streamed one.
        stamp = self.now().astimezone(UTC).strftime("%Y%m%d%H%M%S%f")[:17]
        return {
            "id": f"{stamp}::{execution_id}",
            "account_id": ACCOUNT_ID,
            "activity_type": "FILL",
            "transaction_time": at,
            "type": event,
            "price": amount(execution.price),
            "qty": amount(execution.quantity),
            "side": doc["side"],
            "symbol": doc["symbol"],
            "leaves_qty": amount(leaves),
            "order_id": doc["id"],
            "cum_qty": doc["filled_qty"],
            "order_status": doc["status"],
        }

    def _position_doc(
        self, symbol: str, qty: Decimal, average: Decimal, last: Decimal | None
    ) -> dict:
        price = last or average
        cost_basis, market_value = qty * average, qty * price
        unrealized = market_value - cost_basis
        percent = unrealized / abs(cost_basis) if cost_basis else Decimal(0)
        return {
            "asset_id": str(uuid.uuid5(ASSET_NAMESPACE, symbol)),
            "symbol": symbol,
            "exchange": "NASDAQ",
            "asset_class": "us_equity",
            "asset_marginable": True,
            "avg_entry_price": amount(average),
            "qty": amount(qty),
            "side": "long" if qty > 0 else "short",
            "market_value": amount(market_value.quantize(engine.CENT)),
            "cost_basis": amount(cost_basis.quantize(engine.CENT)),
            "unrealized_pl": amount(unrealized.quantize(engine.CENT)),
            "unrealized_plpc": amount(percent.quantize(Decimal("0.000001"))),
            "unrealized_intraday_pl": amount(unrealized.quantize(engine.CENT)),
            "unrealized_intraday_plpc": amount(percent.quantize(Decimal("0.000001"))),
            "current_price": amount(price),
            "lastday_price": amount(price),
            "change_today": "0",
            "qty_available": amount(qty),
        }

    def _emit(self, event: str, doc: dict, **fill: str | None) -> None:
        if doc["id"] in self.silenced:
            return
        data = {"event": event, "timestamp": rfc3339(self.now()), "order": dict(doc), **fill}
        self.publish(data)


def _decimal_or_none(value: str | None) -> Decimal | None:
    return None if value in (None, "") else Decimal(value)
