"""Client of the simulator's control endpoints, for tests and game days.

control = SimulatorControl("http://127.0.0.1:18100", key_id, secret_key)
control.arm("timeout", count=1, delay_s=3)        # next API call is late
control.arm("drop_stream", seconds=10)           # close the stream, refuse it for 10 s
control.plant_position("AAPL", qty="5", avg_entry_price="180")   # an orphan position
"""

from __future__ import annotations

from typing import Any

import httpx


class SimulatorControl:
    def __init__(self, base_url: str, key_id: str, secret_key: str, *, timeout: float = 10.0):
        self.client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret_key},
            timeout=timeout,
        )

    def _call(self, method: str, path: str, body: dict | None = None) -> Any:
        response = self.client.request(method, f"/_simulator/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def arm(self, fault: str, *, count: int | None = None, **params: Any) -> dict:
        """Switch a fault on for the next ``count`` occurrences (None: until cleared)."""
        return self._call("POST", "faults", {"fault": fault, "count": count, **params})

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["active"]

    def clear(self) -> None:
        self._call("DELETE", "faults")

    def plant_order(self, **order: Any) -> dict:
        """An order only the broker knows (Alpaca's POST /v2/orders fields, plus status)."""
        return self._call("POST", "orders", order)

    def plant_position(self, symbol: str, *, qty: str, avg_entry_price: str) -> dict:
        body = {"symbol": symbol, "qty": qty, "avg_entry_price": avg_entry_price}
        return self._call("POST", "positions", body)

    def reset(self) -> None:
        self._call("POST", "reset")

    def tick(self) -> int:
        """Fill what the closed bars allow now; returns the number of executions."""
        return self._call("POST", "tick")["executions"]

    def status(self) -> dict:
        return self._call("GET", "status")

    def close(self) -> None:
        self.client.close()
