"""Readiness checks of the components the stack cannot work without."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tradingops.celery import app as celery_app

BROKER_TIMEOUT_S = 2.0


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


def readiness_checks() -> dict[str, Callable[[], None]]:
    checks = {"database": check_database, "broker": check_broker}
    if settings.REDIS_URL:
        checks["cache"] = check_cache
    return checks


def readiness() -> dict[str, str]:
    """Each component's state: "ok", or the error that made it fail."""
    results = {}
    for name, check in readiness_checks().items():
        try:
            check()
        except Exception as exc:  # any failure means "not ready", with its reason
            results[name] = f"error: {type(exc).__name__}: {exc}"
        else:
            results[name] = "ok"
    return results


def readiness_detail() -> dict:
    """State that informs operators without failing readiness (a provider down is a degraded
    feed with failover, not a web process that cannot serve)."""
    from marketdata.selectors import data_health

    try:
        return {"marketdata": data_health()}
    except Exception as exc:  # the detail must never break the readiness answer itself
        return {"marketdata": f"error: {type(exc).__name__}: {exc}"}
