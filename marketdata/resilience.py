"""Provider calls that survive outages: retries with backoff and jitter, a breaker per provider.

Why our own breaker and not pybreaker: the breaker state must be shared by every worker
process (Redis in staging and production, through Django's cache), must follow the project's
one clock (the sped-up demo and frozen-clock tests), and must open after N failures *within a
time window*. pybreaker counts consecutive failures, reads the wall clock, and shares state only
through its own Redis storage (there is no Redis on the embedded defaults). Updates are
read-modify-write on the cache: two workers failing at the same instant may count one failure
once, which only delays opening by a call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TypeVar

from django.core.cache import cache
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from common import clock
from marketdata.providers.base import RetryableProviderError

T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3
    initial_wait_s: float = 0.5
    max_wait_s: float = 5.0


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    """Exponential backoff with jitter; a provider's Retry-After wins, up to the maximum."""
    backoff = wait_exponential_jitter(initial=policy.initial_wait_s, max=policy.max_wait_s)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), policy.max_wait_s)
        return backoff(state)

    return wait


def call_with_retries(policy: RetryPolicy, func: Callable[[], T]) -> T:
    """``func()``, retried on retryable provider errors only; the last error is re-raised."""
    retrying = Retrying(
        retry=retry_if_exception_type(RetryableProviderError),
        stop=stop_after_attempt(policy.attempts),
        wait=_wait(policy),
        reraise=True,
    )
    return retrying(func)


@dataclass(frozen=True, slots=True)
class BreakerSettings:
    fail_max: int = 5
    window_s: float = 120.0
    reset_s: float = 60.0
    success_threshold: int = 2


@dataclass
class BreakerState:
    state: str = CLOSED
    failures: list[float] = field(default_factory=list)  # Unix times within the window
    successes: int = 0  # successful half-open probes
    changed_at: float | None = None
    opened_at: float | None = None  # start of the outage, kept through half-open re-trips
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    """A breaker state change, for the provider event it becomes."""

    provider: str
    old: str
    new: str
    reason: str
    duration_s: float | None  # how long the old state lasted


class CircuitBreaker:
    """closed → open after ``fail_max`` failures in ``window_s`` → half-open after ``reset_s``
    (calls go through as probes) → closed after ``success_threshold`` successful probes, or
    open again on a failed one. State lives in the Django cache under the provider's name."""

    def __init__(
        self,
        provider: str,
        settings: BreakerSettings,
        on_transition: Callable[[Transition], None] = lambda transition: None,
    ) -> None:
        self.provider = provider
        self.settings = settings
        self.on_transition = on_transition
        self.key = f"marketdata:breaker:{provider}"
        self.last_seen: str | None = None  # state at the last load, to skip needless reads

    def load(self) -> BreakerState:
        raw = cache.get(self.key)
        state = BreakerState(**raw) if raw else BreakerState()
        self.last_seen = state.state
        return state

    def _save(self, state: BreakerState) -> None:
        cache.set(self.key, asdict(state), timeout=None)
        self.last_seen = state.state

    def _move(self, state: BreakerState, new: str, reason: str, now: float) -> None:
        """Change state and report it; closing reports the whole outage as its duration."""
        old, since = state.state, state.changed_at
        if new == CLOSED and state.opened_at is not None:
            since = state.opened_at
        if old == CLOSED and new == OPEN:
            state.opened_at = now
        state.state, state.changed_at, state.successes = new, now, 0
        if new == CLOSED:
            state.failures, state.opened_at = [], None
        self._save(state)
        duration = now - since if since is not None else None
        self.on_transition(Transition(self.provider, old, new, reason, duration))

    def allow(self) -> bool:
        """May a call go to the provider now? An open breaker past its reset time half-opens."""
        state = self.load()
        if state.state != OPEN:
            return True
        now = clock.now().timestamp()
        if state.changed_at is not None and now - state.changed_at >= self.settings.reset_s:
            self._move(state, HALF_OPEN, "reset timeout elapsed: probing", now)
            return True
        return False

    def record_success(self) -> None:
        if self.last_seen == CLOSED:
            return  # success while closed changes nothing: no read, no write
        state = self.load()
        if state.state != HALF_OPEN:
            return
        state.successes += 1
        if state.successes >= self.settings.success_threshold:
            self._move(state, CLOSED, f"{state.successes} successful probes", _now())
        else:
            self._save(state)

    def record_failure(self, error: str) -> None:
        state = self.load()
        now = _now()
        state.last_error = error[:300]
        if state.state == HALF_OPEN:
            self._move(state, OPEN, f"probe failed: {error}"[:300], now)
            return
        state.failures = [t for t in state.failures if now - t < self.settings.window_s]
        state.failures.append(now)
        if state.state == CLOSED and len(state.failures) >= self.settings.fail_max:
            reason = f"{len(state.failures)} failures in {self.settings.window_s:.0f}s: {error}"
            self._move(state, OPEN, reason[:300], now)
        else:
            self._save(state)

    def snapshot(self) -> dict:
        state = self.load()
        since = (
            datetime.fromtimestamp(state.changed_at, tz=clock.now().tzinfo).isoformat()
            if state.changed_at
            else None
        )
        return {
            "state": state.state,
            "recent_failures": len(state.failures),
            "since": since,
            "last_error": state.last_error,
        }


def _now() -> float:
    return clock.now().timestamp()
