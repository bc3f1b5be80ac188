"""The Celery result backend: django-celery-results' database backend, surviving a database restart.

The worker's main process writes results too, on a connection that no task boundary ever
checks or renews: a message that arrives expired or revoked (``mark_as_revoked``) and a pool
child lost mid-task (``mark_as_failure``). After the database restarts, that connection is dead,
and the first such write raises ``OperationalError('the connection is closed')`` inside the
consumer's event loop, which Celery treats as unrecoverable: the worker exits and the stack
stops trading (the game day ``database-restarted`` followed by ``redis-restarted``, which
delays messages past their expiry, shows it).

django-celery-results retries only ``InterfaceError`` (psycopg2's "connection already closed");
psycopg 3 reports the same state as ``OperationalError``. Both are retried here on a fresh
connection (``CELERY_RESULT_BACKEND_ALWAYS_RETRY``, with backoff): storing a result is an
idempotent upsert, so a retry cannot record anything twice.
"""

from __future__ import annotations

from django.db import connection
from django.db.utils import InterfaceError, OperationalError
from django_celery_results.backends.database import DatabaseBackend as _DatabaseBackend


class DatabaseBackend(_DatabaseBackend):
    def exception_safe_to_retry(self, exc: Exception) -> bool:
        if connection.in_atomic_block:
            return False  # a retry inside the caller's transaction could never reconnect
        if isinstance(exc, InterfaceError | OperationalError):
            connection.close()  # the next attempt connects again
            return True
        return super().exception_safe_to_retry(exc)
