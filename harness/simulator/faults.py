"""Fault modes of the simulator, switched on at runtime by tests and game days.

Each fault is armed for the next ``count`` matching occurrences (None: until cleared):

- ``reject``: order submissions answer 403 insufficient buying power (or ``status``/``message``).
- ``server_error``: API requests answer 500 before doing anything.
- ``rate_limit``: API requests answer 429 before doing anything.
- ``timeout``: API requests are carried out, then answered only after ``delay_s`` seconds,
  past the client's timeout: the order IS accepted although the client saw no answer.
- ``no_update``: accepted orders send no trade update at all (polling must catch them).
- ``duplicate_updates``: trade updates are sent twice.
- ``out_of_order_updates``: the next ``count`` trade updates are held and sent newest first.
- ``drop_stream``: every stream socket is closed and new ones refused for ``seconds``.

``method`` and ``path`` (a prefix) narrow the request faults to some calls.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

FAULT_NAMES = frozenset(
    {
        "reject",
        "server_error",
        "rate_limit",
        "timeout",
        "no_update",
        "duplicate_updates",
        "out_of_order_updates",
        "drop_stream",
    }
)


class UnknownFault(ValueError):
    pass


@dataclass
class Fault:
    name: str
    remaining: int | None = None  # None: until cleared
    params: dict = field(default_factory=dict)

    def matches(self, method: str | None, path: str | None) -> bool:
        wanted_method = self.params.get("method")
        wanted_path = self.params.get("path")
        if wanted_method and method and wanted_method.upper() != method.upper():
            return False
        return not (wanted_path and path and not path.startswith(wanted_path))

    def as_dict(self) -> dict:
        return {"fault": self.name, "remaining": self.remaining, **self.params}


class FaultBook:
    """Armed faults; shared by the event loop and the simulator's worker thread."""

    def __init__(self) -> None:
        self._faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self.stream_refused_until = 0.0

    def arm(self, name: str, *, count: int | None = None, **params: Any) -> Fault:
        if name not in FAULT_NAMES:
            raise UnknownFault(f"unknown fault {name!r}; known: {', '.join(sorted(FAULT_NAMES))}")
        if count is not None and count < 1:
            raise UnknownFault("count must be a positive integer or null (until cleared)")
        if name == "out_of_order_updates" and count is None:
            count = 2  # the held updates are released once this many are collected
        fault = Fault(name, count, dict(params))
        with self._lock:
            self._faults[name] = fault
            if name == "drop_stream":
                seconds = float(params.get("seconds", 5.0))
                self.stream_refused_until = time.monotonic() + seconds
                del self._faults[name]  # acted on at once: nothing left to count down
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self.stream_refused_until = 0.0

    def take(
        self, name: str, *, method: str | None = None, path: str | None = None
    ) -> Fault | None:
        """The armed fault when it applies to this occurrence (and count it down)."""
        with self._lock:
            fault = self._faults.get(name)
            if fault is None or not fault.matches(method, path):
                return None
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    del self._faults[name]
            return fault

    def armed(self, name: str) -> bool:
        with self._lock:
            return name in self._faults

    def stream_refused(self) -> bool:
        return time.monotonic() < self.stream_refused_until

    def active(self) -> list[dict]:
        with self._lock:
            faults = [fault.as_dict() for fault in self._faults.values()]
        if self.stream_refused():
            left = round(self.stream_refused_until - time.monotonic(), 3)
            faults.append({"fault": "drop_stream", "seconds_left": left})
        return faults
