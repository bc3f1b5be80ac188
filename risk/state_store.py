"""The risk state version in the shared store, and the per-process cache keyed by it.

Every change of risk state (kill switch, trading states, limits, overrides, restrictions)
writes a new random version token on the kill switch row, in the same transaction as the
change (post_save/post_delete signals, so admin and shell edits count too). With Redis
configured (``REDIS_URL``), the token is also copied to the Django cache once the
transaction commits, and the hot path reads it from there; without Redis the hot path reads
it from the database row, because the embedded default cache is a per-process locmem that
other processes cannot see.

The token is random rather than a counter so a rolled-back test, a flushed Redis or a
restored database can never bring back a version number some process cached other state
under. The token is read before the state is loaded, so cached content is never older than
its token.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

import structlog
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from risk import guard, metrics
from risk.models import KillSwitch

logger = structlog.get_logger(__name__)
CACHE_KEY = "risk:state_version"
_lock = threading.Lock()
_cached: tuple[str, guard.RiskState, float] | None = None  # version, state, loaded (monotonic)


def uses_cache() -> bool:
    return settings.RISK_STATE_VERSION_STORE == "cache"


def _db_version() -> str:
    version = (
        KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID)
        .values_list("state_version", flat=True)
        .first()
    )
    if version is None:
        raise LookupError("the kill switch row is missing: risk state cannot be versioned")
    return version


def version_get() -> str:
    """The current version token; raises when the store cannot be read (callers fail closed)."""
    if not uses_cache():
        return _db_version()
    version = cache.get(CACHE_KEY)
    if version is None:  # evicted or flushed: seed it from the database copy
        version = _db_version()
        cache.add(CACHE_KEY, version, timeout=None)
    return version


def version_bump() -> str:
    """Give the state a new version; call inside the transaction that changes it.

    A Redis failure here must not stop the change (an operator engaging the kill switch
    while Redis is down): it is logged, workers fail closed while Redis is unreachable, and
    ``RISK_STATE_MAX_AGE_S`` bounds how long a stale copy could survive Redis coming back.
    """
    token = uuid.uuid4().hex
    KillSwitch.objects.filter(pk=KillSwitch.SINGLETON_ID).update(state_version=token)
    if uses_cache():
        # Drop the shared copy now: until the commit, readers fall back to the database token
        # (the old one for other connections, the new one inside this transaction), and
        # ``cache.add`` never overwrites the token the commit sets.
        _cache_call(cache.delete, CACHE_KEY)
        transaction.on_commit(lambda: _cache_call(cache.set, CACHE_KEY, token, timeout=None))
    return token


def _cache_call(call: Callable[..., object], *args: object, **kwargs: object) -> None:
    try:
        call(*args, **kwargs)
    except Exception:
        logger.exception("risk_state_version_not_shared")


def version_bump_on_change(**kwargs: object) -> None:
    """Signal receiver: any saved or deleted risk state row gives the state a new version."""
    if kwargs.get("raw"):  # loaddata
        return
    version_bump()


def state_get(load: Callable[[str], guard.RiskState]) -> guard.RiskState:
    """The risk state of the current version, loaded once per version in this process."""
    global _cached
    version = version_get()
    cached = _cached
    if (
        cached is not None
        and cached[0] == version
        and time.monotonic() - cached[2] < settings.RISK_STATE_MAX_AGE_S
    ):
        return cached[1]
    with _lock:
        state = load(version)
        metrics.STATE_LOADS.inc()
        _cached = (version, state, time.monotonic())
    return state


def state_forget() -> None:
    """Drop this process's cached state (tests; the version check makes it otherwise unneeded)."""
    global _cached
    _cached = None
