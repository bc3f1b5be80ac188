"""The ranges of the soak commands' numeric options (soak, soak_stack, staging_run).

Each is a usage error naming the option when out of range: a soak of 10**9 sessions or NaN
speed would otherwise fail deep inside the calendar or the session clock with a traceback.
"""

from __future__ import annotations

from typing import Any

from common.numeric import column_argument, range_spec
from risk.models import limit_spec


def trading_days() -> Any:
    # A year of sessions at most: the calendars cover it, and no soak runs longer.
    return column_argument(range_spec("--trading-days", "sessions", minimum=1, maximum=366))


def instruments() -> Any:
    # Soak symbols are numbered with three digits (SOAK001...).
    return column_argument(range_spec("--instruments", "instruments", minimum=1, maximum=999))


def history_sessions() -> Any:
    # Ten years of daily sessions.
    return column_argument(range_spec("--history-sessions", "sessions", minimum=1, maximum=2520))


def speed() -> Any:
    spec = range_spec(
        "--speed", "market seconds per wall second", minimum=0, maximum=100_000, decimal_places=6
    )
    return column_argument(spec, as_float=True)


def schedule_seconds() -> Any:
    return column_argument(range_spec("--schedule-seconds", "seconds", minimum=1, maximum=86_400))


def max_price_age_s() -> Any:
    # Whole seconds (the seed takes an int) within the risk limit column it is stored in.
    column = limit_spec("max_price_age_s")
    return column_argument(
        range_spec("--max-price-age-s", "seconds", minimum=1, maximum=int(column.largest))
    )
