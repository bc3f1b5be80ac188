"""The readiness probe behind ``/health/ready``: is each component the stack cannot work
without reachable right now? (Not the production-readiness checklist of
``operations.readiness``, which judges whether the whole setup may go live.)

Market data counts among the components: a web process that serves while every price is stale
would show operators a green page over a loop whose orders the guard refuses.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from marketdata.selectors import data_health, instruments_staleness

BROKER_TIMEOUT_S = 2  # kombu takes whole seconds


class ComponentFailing(Exception):
    """A probe's own verdict: its message is the component's state as operators read it."""


def probe_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def probe_broker() -> None:
    with current_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)


def probe_cache() -> None:
    cache.set("health:probe", "ok", timeout=5)
    if cache.get("health:probe") != "ok":
        raise RuntimeError("cache did not return the value it was given")


def probe_marketdata() -> None:
    """Fails naming every active instrument whose newest trusted bar is stale."""
    stale = sorted(symbol for symbol, found in instruments_staleness().items() if found.stale)
    if stale:
        raise ComponentFailing(f"stale: {', '.join(stale)}")


def readiness_probes() -> dict[str, Callable[[], None]]:
    probes = {"database": probe_database, "broker": probe_broker, "marketdata": probe_marketdata}
    if settings.REDIS_URL:
        probes["cache"] = probe_cache
    return probes


def readiness_probe() -> dict[str, str]:
    """Each component's state: "ok", or the error that made it fail."""
    results = {}
    for name, probe in readiness_probes().items():
        try:
            probe()
        except ComponentFailing as exc:
            results[name] = str(exc)
        except Exception as exc:  # any failure means "not ready", with its reason
            results[name] = f"error: {type(exc).__name__}: {exc}"
        else:
            results[name] = "ok"
    return results


def readiness_probe_detail() -> dict:
    """State that informs operators without failing readiness by itself (a provider down is a
    degraded feed with failover; only the stale prices it may cause fail the marketdata
    component)."""
    try:
        return {"marketdata": data_health()}
    except Exception as exc:  # the detail must never break the readiness answer itself
        return {"marketdata": f"error: {type(exc).__name__}: {exc}"}
