"""Readiness checks of the components the stack cannot work without.

Market data counts among them: a web process that serves while every price is stale would
show operators a green page over a loop whose orders the guard refuses.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tradingops.celery import app as celery_app

BROKER_TIMEOUT_S = 2.0


class ComponentFailing(Exception):
    """A check's own verdict: its message is the component's state as operators read it."""


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_broker() -> None:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_S)


def check_cache() -> None:
    cache.set("health:probe", "ok", timeout=5)
    if cache.get("health:probe") != "ok":
        raise RuntimeError("cache did not return the value it was given")


def check_marketdata() -> None:
    """Fails naming every active instrument whose newest trusted bar is stale."""
    from marketdata.selectors import instruments_staleness

    stale = sorted(symbol for symbol, found in instruments_staleness().items() if found.stale)
    if stale:
        raise ComponentFailing(f"stale: {', '.join(stale)}")


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks = {"database": check_database, "broker": check_broker, "marketdata": check_marketdata}
    if settings.REDIS_URL:
        checks["cache"] = check_cache
    return checks


def readiness() -> dict[str, str]:
    """Each component's state: "ok", or the error that made it fail."""
    results = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except ComponentFailing as exc:
            results[name] = str(exc)
        except Exception as exc:  # any failure means "not ready", with its reason
            results[name] = f"error: {type(exc).__name__}: {exc}"
        else:
            results[name] = "ok"
    return results


def readiness_detail() -> dict:
    """State that informs operators without failing readiness by itself (a provider down is a
    degraded feed with failover; only the stale prices it may cause fail the marketdata
    component)."""
    from marketdata.selectors import data_health

    try:
        return {"marketdata": data_health()}
    except Exception as exc:  # the detail must never break the readiness answer itself
        return {"marketdata": f"error: {type(exc).__name__}: {exc}"}
