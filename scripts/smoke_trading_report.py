"""What a `make run` smoke run traded: risk decisions and their reasons, automatic risk trips,
orders by status, and filled orders whose fills do not add up. Reads the database of
TRADINGOPS_VAR_DIR.

Prints one JSON object. Exits 1 when the run approved no decision, rejected more decisions than
it approved (the demo must trade, not be refused), filled no order, or has a filled order whose
filled quantity is not the sum of its fills (or not its quantity).
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tradingops.settings.dev")


def report() -> dict:
    from django.db.models import Sum

    from execution.choices import OrderStatus
    from execution.models import Order
    from risk.models import RiskTrip
    from risk.selectors import risk_decision_list

    reasons = Counter(
        reason["code"]
        for decision in risk_decision_list(approved=False)
        for reason in decision.reasons
    )
    filled = Order.objects.filter(status=OrderStatus.FILLED).annotate(
        fill_sum=Sum("fills__quantity")
    )
    unbacked = [
        order.client_order_id
        for order in filled
        if order.fill_sum != order.filled_quantity or order.filled_quantity != order.quantity
    ]
    return {
        "decisions_approved": risk_decision_list(approved=True).count(),
        "decisions_rejected": risk_decision_list(approved=False).count(),
        "top_rejection_reasons": dict(reasons.most_common(5)),
        "risk_trips": dict(Counter(RiskTrip.objects.values_list("limit", flat=True))),
        "orders_by_status": dict(Counter(Order.objects.values_list("status", flat=True))),
        "filled_orders": len(filled),
        "filled_orders_without_their_fills": len(unbacked),
        "examples_without_fills": unbacked[:5],
    }


def main() -> int:
    import django

    django.setup()
    found = report()
    print(json.dumps(found))
    failed = (
        found["decisions_approved"] == 0
        or found["decisions_rejected"] > found["decisions_approved"]
        or found["filled_orders"] == 0
        or found["filled_orders_without_their_fills"]
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
