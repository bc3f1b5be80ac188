"""Fixtures that start the Alpaca simulator in-process (port 0) over the project's bars.

Imported by the Alpaca test modules. The simulator reads bars from its own thread, so these
tests use ``transactional_db``: the bars are committed where that thread can see them, with
serialized rollback, so the rows data migrations made (kill switch, roles) are back for the
next test, and a plain flush's re-created content types never clash with a later
serialized-rollback test.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from alpaca.trading.client import TradingClient

from harness.simulator import simulator_server_build
from harness.simulator.control import SimulatorControl
from harness.simulator.server import SimulatorThread
from marketdata.services import bars_ingest
from marketdata.timeframes import last_complete_bar_end

SIM_KEY_ID = "simulator-key"
SIM_SECRET_KEY = "simulator-secret"


SIM_HISTORY_BARS = 30


@pytest.fixture
def sim_history(
    django_db_serialized_rollback, transactional_db, instruments, provider, frozen_clock
):
    """A short bar history (prices for buying power and marks) up to the frozen time."""
    end = last_complete_bar_end(frozen_clock.now(), "1m")
    bars_ingest(provider=provider, start=end - timedelta(minutes=SIM_HISTORY_BARS), end=end)
    return instruments


@pytest.fixture
def sim_db_path(tmp_path):
    return tmp_path / "alpaca_simulator.sqlite3"


def simulator_start(db_path) -> SimulatorThread:
    server = simulator_server_build(
        db_path=db_path, key_id=SIM_KEY_ID, secret_key=SIM_SECRET_KEY, tick_s=0
    )
    return SimulatorThread(server).start()


@pytest.fixture
def simulator(sim_history, sim_db_path):
    """A running simulator over the project's bars; fills only when a test ticks it."""
    handle = simulator_start(sim_db_path)
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
