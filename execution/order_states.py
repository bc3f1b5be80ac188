"""The order state machine (pure: no ORM), with the broker's states.

Updates arrive from the submit call, the trade-update stream, polls and reconciliation, in any
order and possibly more than once. ``transition`` decides what one update does to an order's
status:

- ``noop``: the order is already in that state (a duplicate or a confirmation);
- ``stale``: the update is older than what we know (``new`` after ``filled``), so it is
  recorded but never moves the status backwards;
- ``applied``: a legal step forward;
- ``anomaly``: an illegal step (a fill after a cancel, two different final states, ...): it is
  recorded and alerted, and the status stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

PENDING_NEW, ACCEPTED, NEW = "pending_new", "accepted", "new"
PARTIALLY_FILLED, PENDING_CANCEL, PENDING_REPLACE = (
    "partially_filled",
    "pending_cancel",
    "pending_replace",
)
FILLED, CANCELED, REJECTED, EXPIRED, REPLACED = (
    "filled",
    "canceled",
    "rejected",
    "expired",
    "replaced",
)
FINAL = frozenset({FILLED, CANCELED, REJECTED, EXPIRED, REPLACED})
WORKING = frozenset({ACCEPTED, NEW, PARTIALLY_FILLED})

# How far along its life an order is: an update never moves an order to a lower rank.
RANK = {
    PENDING_NEW: 0,
    ACCEPTED: 1,
    NEW: 2,
    PARTIALLY_FILLED: 3,
    PENDING_REPLACE: 4,
    PENDING_CANCEL: 4,
    **{status: 9 for status in FINAL},
}
STATUSES = frozenset(RANK)

_ENDINGS = frozenset({FILLED, CANCELED, EXPIRED})
ALLOWED: dict[str, frozenset[str]] = {
    PENDING_NEW: frozenset({ACCEPTED, NEW, PARTIALLY_FILLED, PENDING_CANCEL, REJECTED}) | _ENDINGS,
    ACCEPTED: frozenset({NEW, PARTIALLY_FILLED, PENDING_CANCEL, PENDING_REPLACE, REJECTED})
    | _ENDINGS
    | {REPLACED},
    NEW: frozenset({PARTIALLY_FILLED, PENDING_CANCEL, PENDING_REPLACE, REJECTED, REPLACED})
    | _ENDINGS,
    PARTIALLY_FILLED: frozenset({PENDING_CANCEL, PENDING_REPLACE, REPLACED}) | _ENDINGS,
    PENDING_REPLACE: frozenset({PENDING_CANCEL, REPLACED}) | _ENDINGS,
    PENDING_CANCEL: _ENDINGS,
    **{status: frozenset() for status in FINAL},
}

# The broker refused a cancel or a replace: the order goes back to working.
RETURN_EVENTS = frozenset({"order_cancel_rejected", "order_replace_rejected"})

# Alpaca trade_updates events and the status each one means; events missing here
# (done_for_day, calculated, restated, ...) do not change the status.
EVENT_STATUS = {
    "pending_new": PENDING_NEW,
    "accepted": ACCEPTED,
    "new": NEW,
    "partial_fill": PARTIALLY_FILLED,
    "fill": FILLED,
    "pending_cancel": PENDING_CANCEL,
    "pending_replace": PENDING_REPLACE,
    "canceled": CANCELED,
    "expired": EXPIRED,
    "rejected": REJECTED,
    "replaced": REPLACED,
}


@dataclass(frozen=True, slots=True)
class Transition:
    status: str  # the order's status after the update
    outcome: str  # "noop" | "stale" | "applied" | "anomaly"
    anomaly: str = ""  # for anomalies, a short kind for the alert label


def target_status(event: str, broker_status: str) -> str | None:
    """The status an update points to: the event's meaning, else the broker's order status
    (a poll reports a status, not an event); None when neither is a state we track."""
    if event in EVENT_STATUS:
        return EVENT_STATUS[event]
    if event in RETURN_EVENTS:
        return broker_status if broker_status in WORKING else None
    return broker_status if broker_status in STATUSES else None


def transition(current: str, target: str, *, event: str = "") -> Transition:
    """What an update pointing to ``target`` does to an order in ``current``."""
    if current not in STATUSES or target not in STATUSES:
        raise ValueError(f"unknown order status {current!r} or {target!r}")
    if target == current:
        return Transition(current, "noop")
    returning = current in (PENDING_CANCEL, PENDING_REPLACE) and target in WORKING
    if event in RETURN_EVENTS and returning:
        return Transition(target, "applied")
    if RANK[target] < RANK[current]:
        return Transition(current, "stale")
    if target in ALLOWED[current]:
        return Transition(target, "applied")
    kind = f"{target}_after_{current}" if current in FINAL else "illegal_transition"
    return Transition(current, "anomaly", kind)


def is_final(status: str) -> bool:
    return status in FINAL
