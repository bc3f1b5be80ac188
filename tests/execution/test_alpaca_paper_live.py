"""Optional: AlpacaBroker against the real Alpaca paper API.

Runs only when ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY are set in the environment (paper
keys of a dedicated account); the order it places is a 1-share limit buy at $1, far below the
market, cancelled at once.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal

import pytest

from execution.brokers.alpaca import AlpacaBroker
from execution.brokers.contract import OrderRequest

KEY_ID = os.environ.get("ALPACA_API_KEY_ID", "")
SECRET_KEY = os.environ.get("ALPACA_API_SECRET_KEY", "")
PAPER_URL = os.environ.get("ALPACA_TRADING_BASE_URL", "https://paper-api.alpaca.markets")

pytestmark = pytest.mark.skipif(
    not (KEY_ID and SECRET_KEY),
    reason="ALPACA_API_KEY_ID / ALPACA_API_SECRET_KEY not set: no real Alpaca paper account",
)


@pytest.fixture
def paper_broker() -> AlpacaBroker:
    if "paper-api" not in PAPER_URL:
        pytest.fail(f"refusing to place test orders on {PAPER_URL}: paper only")
    return AlpacaBroker(api_key=KEY_ID, secret_key=SECRET_KEY, base_url=PAPER_URL)


def test_real_paper_account_accepts_finds_and_cancels_an_order(paper_broker):
    account = paper_broker.account()
    assert account.equity >= 0
    client_order_id = f"tradingops-live-test-{uuid.uuid4()}"
    request = OrderRequest(
        client_order_id=client_order_id,
        symbol="AAPL",
        side="buy",
        quantity=Decimal(1),
        order_type="limit",
        limit_price=Decimal("1.00"),
        time_in_force="gtc",
    )

    order = paper_broker.submit(request)
    try:
        assert paper_broker.order_by_client_id(client_order_id).broker_order_id == (
            order.broker_order_id
        )
        assert paper_broker.submit(request).broker_order_id == order.broker_order_id
        assert order.broker_order_id in {o.broker_order_id for o in paper_broker.open_orders()}
    finally:
        paper_broker.cancel(order.broker_order_id)
    assert paper_broker.order_get(order.broker_order_id).status in {"pending_cancel", "canceled"}
