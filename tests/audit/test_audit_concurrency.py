"""Concurrent appends never fork the chain: the head row's lock serialises them."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from audit.models import AuditEvent
from audit.services import audit_chain_verify, audit_event_append

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite already runs one writer at a time (IMMEDIATE transactions); the row "
        "lock under test is PostgreSQL's, which CI's second run uses",
    ),
]
THREADS, EACH = 6, 15


def _append_many(worker: int, errors: list[BaseException], start: threading.Barrier) -> None:
    try:
        start.wait()
        for n in range(EACH):
            audit_event_append(action="risk.limit_change", reason=f"w{worker}-{n}")
    except BaseException as exc:  # surfaced by the test below
        errors.append(exc)
    finally:
        connections.close_all()


def test_parallel_appends_keep_one_gapless_valid_chain():
    before = AuditEvent.objects.count()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)
    threads = [
        threading.Thread(target=_append_many, args=(i, errors, start)) for i in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    sequences = list(AuditEvent.objects.order_by("sequence").values_list("sequence", flat=True))
    assert len(sequences) == before + THREADS * EACH
    assert sequences == list(range(sequences[0], sequences[0] + len(sequences)))
    assert len(set(AuditEvent.objects.values_list("previous_sha256", flat=True))) == len(sequences)
    assert audit_chain_verify().valid
