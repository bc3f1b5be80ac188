"""A local server that speaks Alpaca's trading API and fills orders against the project's bars.

``engine`` is the pure fill engine, ``core`` the simulated account, ``store`` its SQLite
state, ``market`` the bars it fills against, ``server`` the HTTP + WebSocket front,
``control`` a client of its fault and planting endpoints.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import close_old_connections, connections

from common import clock
from harness.simulator.core import AlpacaSimulator
from harness.simulator.market import DatabaseMarket
from harness.simulator.server import SimulatorServer
from harness.simulator.store import SimulatorStore


def simulator_server_build(
    *,
    db_path: str | Path | None = None,
    key_id: str | None = None,
    secret_key: str | None = None,
    tick_s: float | None = None,
) -> SimulatorServer:
    """A simulator configured from settings (any argument overrides its setting)."""
    store = SimulatorStore(
        db_path or settings.ALPACA_SIMULATOR_DB_PATH,
        starting_cash=settings.ALPACA_SIMULATOR_STARTING_CASH,
    )
    simulator = AlpacaSimulator(
        store=store,
        market=DatabaseMarket(),
        # Read the clock on every call: tests and the demo install theirs after start-up.
        now=lambda: clock.now(),
        slippage_bps=settings.ALPACA_SIMULATOR_SLIPPAGE_BPS,
        participation_rate=settings.ALPACA_SIMULATOR_PARTICIPATION,
    )
    return SimulatorServer(
        simulator,
        key_id=key_id if key_id is not None else settings.ALPACA_API_KEY_ID,
        secret_key=secret_key if secret_key is not None else settings.ALPACA_API_SECRET_KEY,
        tick_s=settings.ALPACA_SIMULATOR_TICK_S if tick_s is None else tick_s,
        # The worker thread opened its own database connection: close it with the server.
        on_thread_exit=connections.close_all,
        # A long-running process outside the request cycle: drop a broken or expired
        # database connection before each call, as Django does per request.
        before_call=close_old_connections,
    )
