"""Bar reviews as audit chain events: an operator's release or discard of a quarantined bar
(and the automatic confirmations) is chained in its own transaction. The audit app finds
``AUDIT_SOURCES`` here (``audit.sources.audit_sources_discover``)."""

from __future__ import annotations

from typing import Any

from marketdata.models import BarReview


def bar_review_entry(review: BarReview, created: bool) -> dict[str, Any] | None:
    if not created:
        return None
    return {
        "action": f"marketdata.bar_{review.action}",
        "actor": review.actor,
        "reason": review.reason,
        "request_id": review.request_id or None,
        "object_type": "marketdata.bar",
        "object_id": review.bar_id,
        "object_repr": str(review.bar),
        "payload": {"bar_review": review.pk, "bar": review.bar_id},
    }


AUDIT_SOURCES = {BarReview: bar_review_entry}
