"""Fixtures that start the Alpaca simulator in-process (port 0) over the project's bars.

Imported by the Alpaca test modules. The simulator reads bars from its own thread, so these
tests use ``transactional_db``: the bars are committed where that thread can see them.
"""

from __future__ import annotations

import pytest
from alpaca.trading.client import TradingClient

from execution.simulator import simulator_server_build
from execution.simulator.control import SimulatorControl
from execution.simulator.server import SimulatorThread

SIM_KEY_ID = "simulator-key"
SIM_SECRET_KEY = "simulator-secret"


@pytest.fixture
def simulator(transactional_db, history, tmp_path):
    """A running simulator with the ``history`` bars; fills only when a test ticks it."""
    server = simulator_server_build(
        db_path=tmp_path / "alpaca_simulator.sqlite3",
        key_id=SIM_KEY_ID,
        secret_key=SIM_SECRET_KEY,
        tick_s=0,
    )
    handle = SimulatorThread(server).start()
    yield handle
    handle.stop()


@pytest.fixture
def control(simulator):
    client = SimulatorControl(simulator.base_url, SIM_KEY_ID, SIM_SECRET_KEY)
    yield client
    client.close()


@pytest.fixture
def trading_client(simulator) -> TradingClient:
    """The official alpaca-py client, pointed at the simulator."""
    return TradingClient(SIM_KEY_ID, SIM_SECRET_KEY, paper=True, url_override=simulator.base_url)
