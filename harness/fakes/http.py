"""A local HTTP server for provider adapters, with switchable faults (tests and game days).

Each fake provider subclass speaks one provider's documented wire format; this base runs the
server on 127.0.0.1 with a random port in a thread, records every request, and applies the
current fault to the next ``count`` requests before recovering cleanly:

- ``5xx``: HTTP 503 with a JSON error body
- ``429``: HTTP 429 with ``Retry-After``
- ``timeout``: answers only after ``delay_s`` (set it above the client's timeout)
- ``slow``: answers correctly after ``delay_s`` (a latency spike)
- ``truncated``: a JSON body cut in half
- ``malformed``: a body that is not JSON at all
- ``stale``: answers as if no bar newer than the fault's start had arrived (the same last bar)

A fault can target some symbols only (``symbols=AAPL,MSFT``): the other symbols are served
normally, as when one listing is halted at a provider.

In a process of its own (``python -m harness.fakes.polygon --calendar XNYS``), faults are
switched over HTTP: ``POST /_control/fault?mode=timeout&delay_s=3&count=10``,
``POST /_control/fault?mode=stale&stale_after=2026-03-30T15:00:00Z``,
``POST /_control/bad_tick?symbol=AAPL&at=2026-03-30T15:00:00Z&kind=times_ten`` (or
``kind=slide``: a sell-off from ``at`` on),
``POST /_control/recover``. With a calendar the server answers only with bars of the
exchange's sessions, as the real feeds do (no bars at night, on weekends and holidays).
"""

from __future__ import annotations

import argparse
import bisect
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from marketdata import samples
from marketdata.providers.base import RawBar
from marketdata.providers.synthetic import SLIDE, InjectedFault, SyntheticProvider

HOST = "127.0.0.1"
FAULT_MODES = ("5xx", "429", "timeout", "slow", "truncated", "malformed", "stale")


@dataclass
class Fault:
    mode: str
    count: int = 1_000_000  # requests it applies to; then the server recovers cleanly
    delay_s: float = 1.0
    retry_after_s: int = 1
    stale_after: datetime | None = None
    symbols: frozenset[str] = frozenset()  # empty: every symbol

    def applies_to(self, symbols: frozenset[str]) -> bool:
        return not self.symbols or bool(self.symbols & symbols)


@dataclass
class RecordedRequest:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class FakeProviderServer:
    """Subclasses implement ``route(path, query, headers) -> Reply`` for the healthy case."""

    def __init__(self, *, seed: int = 7, calendar: str = "") -> None:
        self.source = SyntheticProvider(seed=seed)
        self.sessions = _Sessions(calendar) if calendar else None
        self.requests: list[RecordedRequest] = []
        self.fault: Fault | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((HOST, 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self._server.server_port}"

    def start(self) -> FakeProviderServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeProviderServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- faults ---------------------------------------------------------------------------

    def set_fault(self, mode: str | None, **options: Any) -> None:
        """Apply fault ``mode`` (None: recover) with ``options``, Fault's other fields."""
        if mode is not None and mode not in FAULT_MODES:
            raise ValueError(f"unknown fault {mode!r}; expected one of {FAULT_MODES}")
        with self._lock:
            self.fault = Fault(mode, **options) if mode else None

    def recover(self) -> None:
        self.set_fault(None)

    def bad_tick_add(self, *, symbol: str, at: datetime, kind: str) -> None:
        """From now on the bar of ``symbol`` at ``at`` is a bad tick of ``kind`` (or, for
        ``slide``, the price slides down from ``at`` on: a genuine losing day)."""
        kinds = (*samples.FAULT_KINDS, SLIDE)
        if kind not in kinds:
            raise ValueError(f"unknown kind {kind!r}; expected one of {kinds}")
        with self._lock:
            self.source.faults.append(InjectedFault(symbol=symbol, at=at, kind=kind))

    def request_symbols(self, path: str, query: dict[str, list[str]]) -> frozenset[str]:
        """The symbols a request asks for (subclasses read their own wire format)."""
        return frozenset()

    def _take_fault(self, symbols: frozenset[str] = frozenset()) -> Fault | None:
        with self._lock:
            fault = self.fault
            if fault is None or not fault.applies_to(symbols):
                return None
            fault.count -= 1
            if fault.count <= 0:
                self.fault = None
            return fault

    # -- data -----------------------------------------------------------------------------

    def bars(self, symbol: str, timeframe: str, start: datetime, end: datetime) -> list[RawBar]:
        """The provider's bars in ``[start, end)`` (only in session with a calendar)."""
        bars = self._all_bars(symbol, timeframe, start, end)
        if self.sessions is None:
            return bars
        return [bar for bar in bars if self.sessions.is_open(bar.timestamp)]

    def _all_bars(
        self, symbol: str, timeframe: str, start: datetime, end: datetime
    ) -> list[RawBar]:
        """Every bar in ``[start, end)``; a stale fault freezes the newest one."""
        stale_after = self._stale_after(symbol)
        if stale_after is not None:
            frozen = self.source.fetch_bars(
                symbol=symbol, timeframe=timeframe, start=start, end=stale_after
            ).bars
            if not frozen:  # the window starts after the freeze: the same last bar again
                last = self.source.fetch_bars(
                    symbol=symbol,
                    timeframe=timeframe,
                    start=stale_after.replace(hour=0, minute=0),
                    end=stale_after,
                ).bars
                frozen = last[-1:]
            return frozen
        return self.source.fetch_bars(symbol=symbol, timeframe=timeframe, start=start, end=end).bars

    def _stale_after(self, symbol: str) -> datetime | None:
        """When the bars of ``symbol`` froze, if a stale fault holds them."""
        fault = self.fault
        if fault is None or fault.mode != "stale" or not fault.applies_to(frozenset([symbol])):
            return None
        return fault.stale_after

    def route(self, path: str, query: dict[str, list[str]], headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    # -- HTTP -----------------------------------------------------------------------------

    def _respond(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        self.requests.append(RecordedRequest(parts.path, query, headers))
        fault = self._take_fault(self.request_symbols(parts.path, query))
        reply = self._faulty_reply(fault) if fault else None
        if fault is not None and fault.mode in ("timeout", "slow"):
            time.sleep(fault.delay_s)
        if reply is None:
            reply = self.route(parts.path, query, headers)
        if fault is not None and fault.mode == "truncated" and reply.status == 200:
            reply = Reply(200, reply.body[: max(1, len(reply.body) // 2)])
        try:
            handler.send_response(reply.status)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(reply.body)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing to answer

    def _control(self, handler: BaseHTTPRequestHandler) -> None:
        """``POST /_control/fault?mode=5xx&count=3&delay_s=2`` or ``POST /_control/recover``:
        a game day switches faults on a server running in its own process."""
        parts = urlsplit(handler.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        status = 200
        body: dict[str, object] = {"fault": None}
        try:
            if parts.path == "/_control/recover":
                self.recover()
                with self._lock:
                    self.source.faults.clear()
            elif parts.path == "/_control/fault":
                mode = query.pop("mode")
                options = _fault_options(query)
                self.set_fault(mode, **options)
                body = {"fault": mode, **{key: _echo(value) for key, value in options.items()}}
            elif parts.path == "/_control/bad_tick":
                at = _iso(query["at"])
                self.bad_tick_add(symbol=query["symbol"], at=at, kind=query["kind"])
                body = {"bad_tick": query["symbol"], "at": at.isoformat()}
            else:
                status, body = 404, {"message": "unknown control path"}
        except (KeyError, ValueError) as exc:
            status, body = 400, {"message": str(exc)}
        payload = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    @staticmethod
    def _faulty_reply(fault: Fault) -> Reply | None:
        if fault.mode == "5xx":
            return Reply(503, json.dumps({"message": "service unavailable"}).encode())
        if fault.mode == "429":
            return Reply(
                429,
                json.dumps({"message": "too many requests"}).encode(),
                {"Retry-After": str(fault.retry_after_s)},
            )
        if fault.mode == "malformed":
            return Reply(200, b"<html>upstream proxy error</html>")
        return None

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the real APIs
            disable_nagle_algorithm = True  # else headers and body wait on delayed ACKs

            def do_GET(self) -> None:
                server._respond(self)

            def do_POST(self) -> None:
                server._control(self)

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the test reads server.requests instead

        return Handler


def _iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _echo(value: object) -> object:
    """A fault option as the control answer shows it: numbers stay numbers."""
    if isinstance(value, int | float):
        return value
    if isinstance(value, frozenset):
        return sorted(value)
    return str(value)


def _fault_options(query: dict[str, str]) -> dict[str, object]:
    """``/_control/fault`` query parameters as ``Fault`` fields (bad values raise ValueError)."""
    options: dict[str, object] = {}
    for key, value in query.items():
        if key in ("count", "retry_after_s"):
            options[key] = int(value)
        elif key == "delay_s":
            options[key] = float(value)
        elif key == "stale_after":
            options[key] = _iso(value)
        elif key == "symbols":
            options[key] = frozenset(filter(None, value.split(",")))
    return options


class _Sessions:
    """Which bar starts fall inside an exchange session (opens and closes by bisection)."""

    def __init__(self, calendar: str) -> None:
        import exchange_calendars as xcals

        schedule = xcals.get_calendar(calendar).schedule
        self.opens = [moment.to_pydatetime() for moment in schedule["open"]]
        self.closes = [moment.to_pydatetime() for moment in schedule["close"]]

    def is_open(self, moment: datetime) -> bool:
        index = bisect.bisect_right(self.opens, moment) - 1
        return index >= 0 and moment < self.closes[index]


def json_reply(body: object) -> Reply:
    return Reply(200, json.dumps(body).encode())


def error_reply(status: int, message: str) -> Reply:
    return Reply(status, json.dumps({"message": message}).encode())


def serve_forever(server_class: type[FakeProviderServer], *, seed: int = 11) -> None:
    """Run a fake provider in this process until killed, printing its base URL first
    (benchmarks, soak runs and game days start it as a separate process)."""
    parser = argparse.ArgumentParser(description=server_class.__doc__)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument("--calendar", default="", help="serve only this exchange's sessions")
    args = parser.parse_args()
    server = server_class(seed=args.seed, calendar=args.calendar)
    server.start()
    print(server.base_url, flush=True)
    threading.Event().wait()
