"""HTTP + WebSocket front of the Alpaca simulator (aiohttp), speaking Alpaca's trading API v2.

Paths, query parameters, auth headers (APCA-API-KEY-ID / APCA-API-SECRET-KEY), JSON shapes and
error bodies ``{"code", "message"}`` follow Alpaca, so the official alpaca-py ``TradingClient``
and ``TradingStream`` work against it unchanged. The trade_updates stream lives at ``/stream``
(where ``TradingStream`` connects), with Alpaca's authenticate / listen handshake and JSON in
binary frames, as Alpaca's paper endpoint sends them.

Every state change runs on one worker thread (``call``): requests never interleave, and the
Django ORM (bars) is used from a thread, as it must be. Control endpoints under
``/_simulator/`` switch faults on, plant orders and positions, reset, and force a fill tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import structlog
from aiohttp import WSMsgType, web

from harness.simulator.core import AlpacaSimulator, SimulatorError, parse_time, rfc3339
from harness.simulator.faults import UnknownFault

logger = structlog.get_logger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(status: int, code: int, message: str) -> web.Response:
    return web.json_response({"code": code, "message": message}, status=status)


class SimulatorServer:
    def __init__(
        self,
        simulator: AlpacaSimulator,
        *,
        key_id: str,
        secret_key: str,
        tick_s: float = 0.3,
        on_thread_exit: Callable[[], None] | None = None,
        before_call: Callable[[], None] | None = None,
    ) -> None:
        self.sim = simulator
        self.key_id, self.secret_key = key_id, secret_key
        self.tick_s = tick_s
        self.on_thread_exit = on_thread_exit
        self.before_call = before_call
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="alpaca-simulator")
        self.sockets: set[web.WebSocketResponse] = set()
        self.listeners: set[web.WebSocketResponse] = set()
        self.held: list[dict] = []
        self.runner: web.AppRunner | None = None
        self.tasks: list[asyncio.Task] = []
        self.port = 0

    # Lifecycle ---------------------------------------------------------------------------
    async def start(self, host: str, port: int) -> int:
        self.loop = asyncio.get_running_loop()
        self.events: asyncio.Queue[dict] = asyncio.Queue()
        self.sim.publish = self._publish_threadsafe
        # On stop, answers held back by a "timeout" fault are not worth waiting for.
        self.runner = web.AppRunner(self.build_app(), shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, host, port).start()
        self.port = self.runner.addresses[0][1]
        self.tasks = [asyncio.create_task(self._broadcast_loop())]
        if self.tick_s > 0:
            self.tasks.append(asyncio.create_task(self._tick_loop()))
        logger.info("alpaca_simulator_listening", host=host, port=self.port)
        return self.port

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self._close_sockets()
        if self.runner is not None:
            await self.runner.cleanup()
        if self.on_thread_exit is not None:
            await self.call(self.on_thread_exit)
        self.executor.shutdown(wait=True)

    async def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a simulator method on its single worker thread."""
        return await self.loop.run_in_executor(
            self.executor, functools.partial(self._run_call, fn, *args, **kwargs)
        )

    def _run_call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.before_call is not None:
            self.before_call()
        return fn(*args, **kwargs)

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._errors, self._auth, self._request_faults])
        v2 = [
            web.get("/v2/account", self.account),
            web.post("/v2/orders", self.order_submit),
            web.get("/v2/orders", self.order_list),
            web.delete("/v2/orders", self.order_cancel_all),
            web.get("/v2/orders:by_client_order_id", self.order_by_client_id),
            web.get("/v2/orders/{order_id}", self.order_get),
            web.patch("/v2/orders/{order_id}", self.order_replace),
            web.delete("/v2/orders/{order_id}", self.order_cancel),
            web.get("/v2/positions", self.positions),
            web.get("/v2/positions/{symbol}", self.position),
            web.get("/v2/account/activities", self.activities),
            web.get("/v2/account/activities/{activity_type}", self.activities),
            web.get("/v2/clock", self.clock),
            web.get("/stream", self.stream),
        ]
        control = [
            web.get("/_simulator/faults", self.faults_get),
            web.post("/_simulator/faults", self.faults_arm),
            web.delete("/_simulator/faults", self.faults_clear),
            web.post("/_simulator/orders", self.plant_order),
            web.post("/_simulator/positions", self.plant_position),
            web.post("/_simulator/reset", self.reset),
            web.post("/_simulator/tick", self.tick),
            web.get("/_simulator/status", self.status),
        ]
        app.add_routes(v2 + control)
        return app

    # Middlewares -------------------------------------------------------------------------
    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except SimulatorError as exc:
            return error_response(exc.status, exc.code, exc.message)
        except json.JSONDecodeError:
            return error_response(400, 40010000, "request body format is invalid")

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/stream":
            return await handler(request)  # the stream authenticates in-band
        key = request.headers.get("APCA-API-KEY-ID")
        secret = request.headers.get("APCA-API-SECRET-KEY")
        if key != self.key_id or secret != self.secret_key:
            return error_response(403, 40110000, "request is not authorized")
        return await handler(request)

    @web.middleware
    async def _request_faults(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith("/v2/"):
            return await handler(request)
        faults, method, path = self.sim.faults, request.method, request.path
        if faults.take("server_error", method=method, path=path):
            return error_response(500, 50010000, "internal server error occurred")
        if faults.take("rate_limit", method=method, path=path):
            return error_response(429, 42910000, "rate limit exceeded")
        timeout = faults.take("timeout", method=method, path=path)
        response = await handler(request)
        if timeout is not None:
            # The request took effect; only the answer is late, past the client's timeout.
            await asyncio.sleep(float(timeout.params.get("delay_s", 2.0)))
        return response

    # Trading API -------------------------------------------------------------------------
    async def account(self, request: web.Request) -> web.Response:
        return web.json_response(await self.call(self.sim.account))

    async def order_submit(self, request: web.Request) -> web.Response:
        payload = await request.json()
        return web.json_response(await self.call(self.sim.order_submit, payload))

    async def order_list(self, request: web.Request) -> web.Response:
        query = request.query
        status = query.get("status", "open")
        if status not in ("open", "closed", "all"):
            raise SimulatorError(422, 42210000, f"invalid status: {status!r}")
        direction = query.get("direction", "desc")
        if direction not in ("asc", "desc"):
            raise SimulatorError(422, 42210000, f"invalid direction: {direction!r}")
        filters = {
            "status": status,
            "after": _time_param(query, "after"),
            "until": _time_param(query, "until"),
            "ascending": direction == "asc",
            "limit": _int_param(query, "limit", default=50, maximum=500),
            "symbols": [s for s in query.get("symbols", "").upper().split(",") if s] or None,
            "side": query.get("side"),
        }
        return web.json_response(await self.call(self.sim.order_list, **filters))

    async def order_get(self, request: web.Request) -> web.Response:
        return web.json_response(
            await self.call(self.sim.order_get, request.match_info["order_id"])
        )

    async def order_by_client_id(self, request: web.Request) -> web.Response:
        client_order_id = request.query.get("client_order_id", "")
        return web.json_response(await self.call(self.sim.order_by_client_id, client_order_id))

    async def order_replace(self, request: web.Request) -> web.Response:
        payload = await request.json()
        order_id = request.match_info["order_id"]
        return web.json_response(await self.call(self.sim.order_replace, order_id, payload))

    async def order_cancel(self, request: web.Request) -> web.Response:
        await self.call(self.sim.order_cancel, request.match_info["order_id"])
        return web.Response(status=204)

    async def order_cancel_all(self, request: web.Request) -> web.Response:
        return web.json_response(await self.call(self.sim.order_cancel_all), status=207)

    async def positions(self, request: web.Request) -> web.Response:
        return web.json_response(await self.call(self.sim.positions))

    async def position(self, request: web.Request) -> web.Response:
        symbol = request.match_info["symbol"].upper()
        return web.json_response(await self.call(self.sim.position, symbol))

    async def activities(self, request: web.Request) -> web.Response:
        query = request.query
        wanted = request.match_info.get("activity_type") or query.get("activity_types", "FILL")
        if "FILL" not in wanted.upper().split(","):
            return web.json_response([])  # the simulator has trade activities only
        direction = query.get("direction", "desc")
        if direction not in ("asc", "desc"):
            raise SimulatorError(422, 42210000, f"invalid direction: {direction!r}")
        filters = {
            "after": _time_param(query, "after"),
            "until": _time_param(query, "until"),
            "ascending": direction == "asc",
            "page_size": _int_param(query, "page_size", default=100, maximum=100),
            "page_token": query.get("page_token"),
        }
        return web.json_response(await self.call(self.sim.activities, **filters))

    async def clock(self, request: web.Request) -> web.Response:
        return web.json_response(await self.call(self.sim.clock))

    # trade_updates stream ----------------------------------------------------------------
    async def stream(self, request: web.Request) -> web.StreamResponse:
        if self.sim.faults.stream_refused():
            return error_response(503, 50310000, "stream unavailable (simulated outage)")
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.add(ws)
        authorized = False
        try:
            async for message in ws:
                if message.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    continue
                authorized = await self._stream_message(ws, message.data, authorized)
                if ws.closed:
                    break
        finally:
            self.sockets.discard(ws)
            self.listeners.discard(ws)
        return ws

    async def _stream_message(
        self, ws: web.WebSocketResponse, raw: str | bytes, authorized: bool
    ) -> bool:
        try:
            payload = json.loads(raw)
            action = payload.get("action")
            data = payload.get("data") or {}
        except (ValueError, AttributeError):
            await _send(ws, {"stream": "listening", "data": {"error": "invalid syntax"}})
            return authorized
        if action in ("authenticate", "auth"):
            key = data.get("key_id") or payload.get("key")
            secret = data.get("secret_key") or payload.get("secret")
            ok = key == self.key_id and secret == self.secret_key
            status = "authorized" if ok else "unauthorized"
            await _send(
                ws, {"stream": "authorization", "data": {"status": status, "action": action}}
            )
            if not ok:
                await ws.close()
            return ok
        if action == "listen" and authorized:
            streams = [s for s in data.get("streams", []) if s == "trade_updates"]
            (self.listeners.add if streams else self.listeners.discard)(ws)
            await _send(ws, {"stream": "listening", "data": {"streams": streams}})
            return authorized
        await _send(
            ws, {"stream": "authorization", "data": {"status": "unauthorized", "action": action}}
        )
        await ws.close()
        return False

    def _publish_threadsafe(self, data: dict) -> None:
        self.loop.call_soon_threadsafe(self.events.put_nowait, data)

    async def _broadcast_loop(self) -> None:
        while True:
            data = await self.events.get()
            for item in self._apply_stream_faults(data):
                frame = {"stream": "trade_updates", "data": item}
                for ws in list(self.listeners):
                    try:
                        await _send(ws, frame)
                    except (ConnectionError, RuntimeError):
                        self.listeners.discard(ws)

    def _apply_stream_faults(self, data: dict) -> list[dict]:
        faults = self.sim.faults
        if faults.take("out_of_order_updates"):
            self.held.append(data)
            if faults.armed("out_of_order_updates"):
                return []
            released, self.held = list(reversed(self.held)), []
            return released
        if faults.take("duplicate_updates"):
            return [data, data]
        return [data]

    async def _close_sockets(self) -> None:
        for ws in list(self.sockets):
            with contextlib.suppress(Exception):
                await ws.close(code=1001, message=b"simulated outage")
        self.listeners.clear()

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                await self.call(self.sim.tick)
            except Exception:
                # One bad tick (a database hiccup) must not end the fills of the whole run.
                logger.exception("alpaca_simulator_tick_failed")

    # Control -----------------------------------------------------------------------------
    async def faults_get(self, request: web.Request) -> web.Response:
        return web.json_response({"active": self.sim.faults.active()})

    async def faults_arm(self, request: web.Request) -> web.Response:
        payload = await request.json()
        if not isinstance(payload, dict) or "fault" not in payload:
            raise SimulatorError(422, 42210000, 'body must be {"fault": name, "count": n, ...}')
        params = {k: v for k, v in payload.items() if k not in ("fault", "count")}
        try:
            fault = self.sim.faults.arm(payload["fault"], count=payload.get("count"), **params)
        except UnknownFault as exc:
            raise SimulatorError(422, 42210000, str(exc)) from None
        if fault.name == "drop_stream":
            await self._close_sockets()
        logger.warning("alpaca_simulator_fault_armed", **fault.as_dict())
        return web.json_response(
            {"armed": fault.as_dict(), "active": self.sim.faults.active()}, status=201
        )

    async def faults_clear(self, request: web.Request) -> web.Response:
        self.sim.faults.clear()
        return web.json_response({"active": []})

    async def plant_order(self, request: web.Request) -> web.Response:
        payload = await request.json()
        return web.json_response(await self.call(self.sim.plant_order, payload), status=201)

    async def plant_position(self, request: web.Request) -> web.Response:
        payload = await request.json()
        return web.json_response(await self.call(self.sim.plant_position, payload), status=201)

    async def reset(self, request: web.Request) -> web.Response:
        await self.call(self.sim.reset)
        self.held.clear()
        return web.json_response({"reset": True})

    async def tick(self, request: web.Request) -> web.Response:
        return web.json_response({"executions": await self.call(self.sim.tick)})

    async def status(self, request: web.Request) -> web.Response:
        working = await self.call(self.sim.store.working_orders)
        return web.json_response(
            {
                "stream_listeners": len(self.listeners),
                "working_orders": len(working),
                "faults": self.sim.faults.active(),
            }
        )


async def _send(ws: web.WebSocketResponse, message: dict) -> None:
    await ws.send_bytes(json.dumps(message).encode())


def _time_param(query: Any, name: str) -> str | None:
    value = query.get(name)
    if not value:
        return None
    try:
        return rfc3339(parse_time(value))
    except ValueError:
        raise SimulatorError(422, 42210000, f"invalid {name}: {value!r}") from None


def _int_param(query: Any, name: str, *, default: int, maximum: int) -> int:
    value = query.get(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SimulatorError(422, 42210000, f"invalid {name}: {value!r}") from None
    if not 1 <= number <= maximum:
        raise SimulatorError(422, 42210000, f"{name} must be between 1 and {maximum}")
    return number


class SimulatorThread:
    """The server on its own event loop in a background thread (tests, benchmarks)."""

    def __init__(self, server: SimulatorServer, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server, self.host, self.requested_port = server, host, port
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="alpaca-simulator", daemon=True)
        self._ready = threading.Event()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.start(self.host, self.requested_port))
        self._ready.set()
        self.loop.run_forever()

    def start(self) -> SimulatorThread:
        self.thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the Alpaca simulator did not start")
        return self

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.server.port}"

    @property
    def stream_url(self) -> str:
        return f"ws://{self.host}:{self.server.port}/stream"

    def stop(self) -> None:
        if not self.loop.is_running():
            return  # stopped already
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
