"""Appending to the audit hash chain and verifying it.

Runs in-process on a throwaway test database of the configured kind (SQLite by default;
DATABASE_URL for PostgreSQL). Each append is its own transaction, as a privileged action's
would be, so the head-row lock is taken and released every time.

Figures:
- append_p50_ms / append_p99_ms: one audit_event_append in its own transaction;
- verify_events_per_s: events checked per second by audit_chain_verify over the whole chain.
Knob: BENCH_EVENTS (BENCH_SMOKE=1: tiny).
"""

from __future__ import annotations

import json
import os
import statistics
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402

from audit.services import audit_chain_verify, audit_event_append  # noqa: E402
from benchmarks.sizes import size  # noqa: E402

EVENTS = size("BENCH_EVENTS", 2000, 20)


def main() -> dict:
    timings = []
    for n in range(EVENTS):
        started = time.perf_counter()
        audit_event_append(
            action="risk.limit_change",
            reason=f"benchmark {n}",
            request_id=f"req-{n}",
            payload={"before": {"max_order_quantity": "10"}, "after": {"max_order_quantity": "5"}},
        )
        timings.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    result = audit_chain_verify()
    verify_s = time.perf_counter() - started
    assert result.valid, result.problem
    ordered = sorted(timings)
    return {
        "database": connection.vendor,
        "events": result.events_checked,
        "append_p50_ms": round(statistics.median(ordered), 3),
        "append_p99_ms": round(ordered[int(len(ordered) * 0.99) - 1], 3),
        "verify_events_per_s": round(result.events_checked / verify_s),
    }


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        output = main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(json.dumps(output))
