"""The ledger check: our books against their own fills, with no broker involved.

Broker reconciliation compares our books with the broker's; this compares them with
themselves (``execution.ledger``): an order marked filled without its fills, a filled
quantity or a position that its fills do not add up to, cash that starting cash and the fills
do not give. Every break is stored as a ``ReconciliationBreak`` of kind ``ledger``, one open
row per break while it holds (the same fingerprint rule as reconciliation), resolved by the
first check that no longer finds it, and under ``RECONCILIATION_POLICY=halt`` it halts the
strategy it concerns (the desk for cash) as ``ledger_check``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.db import connection, transaction

from common import clock
from execution import ledger
from execution.choices import BreakKind, BreakStatus
from execution.models import Order, ReconciliationBreak, ReconciliationRun, Strategy
from execution.selectors import account_cash, ledger_order_facts, ledger_position_facts
from execution.services.reconciliation import BreakDraft, break_policy_apply, break_record

logger = structlog.get_logger(__name__)
ACTOR = "ledger_check"
# The run's "broker": a ledger run compares the books with themselves.
LEDGER_RUN = "ledger"


@dataclass(frozen=True)
class LedgerReport:
    run_id: int
    request_id: str
    breaks: list[ledger.Break]
    orders_checked: int
    positions_checked: int
    breaks_resolved: int

    def as_dict(self) -> dict:
        return {
            "ledger_breaks": len(self.breaks),
            "breaks": [item.as_dict() for item in self.breaks],
            "orders_checked": self.orders_checked,
            "positions_checked": self.positions_checked,
            "breaks_resolved": self.breaks_resolved,
            "run": self.run_id,
            "request_id": self.request_id,
        }


def ledger_check(*, request_id: str = "") -> LedgerReport:
    """Check the books' invariants; store new breaks, resolve cleared ones, apply the policy.

    1. Load every order with its fill totals and every position (grouped queries) and the
       cash the project shows.
    2. Run the pure checks.
    3. Store each break unless it is already open; resolve open ledger breaks not found.
    4. Under the halt policy, halt what each new break concerns.
    """
    run = ReconciliationRun.objects.create(
        broker=LEDGER_RUN, started_at=clock.now(), request_id=request_id or uuid.uuid4().hex
    )
    orders, positions, cash = _books_read()
    found = ledger.ledger_breaks(
        orders, positions, cash, cash_tolerance=settings.RECONCILIATION_CASH_TOLERANCE
    )
    drafts = _drafts(found)
    new = [record for draft in drafts if (record := break_record(run, draft))]
    resolved = _resolve_cleared({draft.fingerprint for draft in drafts}, run)
    run.orders_checked, run.positions_checked = len(orders), len(positions)
    run.breaks_found, run.succeeded, run.finished_at = len(found), True, clock.now()
    run.save()
    if settings.RECONCILIATION_POLICY == "halt":
        for record in new:
            break_policy_apply(record, actor_name=ACTOR)
    logger.info(
        "ledger_checked", breaks=len(found), new=len(new), resolved=resolved,
        orders=len(orders), positions=len(positions), request_id=run.request_id,
    )  # fmt: skip
    return LedgerReport(
        run_id=run.pk,
        request_id=run.request_id,
        breaks=found,
        orders_checked=len(orders),
        positions_checked=len(positions),
        breaks_resolved=resolved,
    )


def _books_read() -> tuple[list[ledger.OrderFacts], list[ledger.PositionFacts], ledger.CashFacts]:
    """The books as one snapshot. A fill commits with its order and position in one
    transaction; read in separate statements under PostgreSQL's READ COMMITTED, they could
    show half of a fill and a break that never was. (SQLite's transaction already reads one
    snapshot from its first read on.)"""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        orders, positions = ledger_order_facts(), ledger_position_facts()
        cash = ledger.CashFacts(starting=settings.PAPER_ACCOUNT_CAPITAL, shown=account_cash())
    return orders, positions, cash


_ORDER_CHECKS = frozenset({ledger.ORDER_FILLED_QUANTITY, ledger.ORDER_STATUS})


def _drafts(found: list[ledger.Break]) -> list[BreakDraft]:
    """Breaks as reconciliation drafts, tied to their order or strategy (two queries, for
    the broken objects only)."""
    refs = {item.subject for item in found if item.check in _ORDER_CHECKS}
    orders = Order.objects.select_related("instrument").in_bulk(refs, field_name="client_order_id")
    names = {item.strategy for item in found if item.strategy}
    strategy_ids = dict(Strategy.objects.filter(name__in=names).values_list("name", "pk"))
    return [
        BreakDraft(
            kind=BreakKind.LEDGER,
            fingerprint=item.fingerprint,
            detail=f"{item.check} {item.subject}: {item.detail}",
            symbol=item.symbol,
            order=orders.get(item.subject) if item.check in _ORDER_CHECKS else None,
            strategy_id=strategy_ids.get(item.strategy),
            client_order_id=item.subject if item.check in _ORDER_CHECKS else "",
            expected=item.expected,
            actual=item.actual,
        )
        for item in found
    ]


def _resolve_cleared(current: set[str], run: ReconciliationRun) -> int:
    """Resolve open ledger breaks this run no longer finds, as the ledger check, saying so.

    Saved one by one so each resolution reaches the audit chain (a post_save receiver)."""
    cleared = ReconciliationBreak.objects.filter(
        kind=BreakKind.LEDGER, status=BreakStatus.OPEN
    ).exclude(fingerprint__in=current)
    count = 0
    for record in cleared:
        record.status, record.resolved_by, record.resolved_by_name = (
            BreakStatus.RESOLVED,
            None,
            ACTOR,
        )
        record.resolved_at = clock.now()
        record.resolution_reason = f"no longer found by ledger check run {run.pk}"
        record.resolution_request_id = run.request_id
        record.save(update_fields=sorted(ReconciliationBreak.RESOLUTION_FIELDS))
        count += 1
    return count
