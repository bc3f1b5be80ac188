"""Market data writes: operators release or discard quarantined bars (audited)."""

from __future__ import annotations

import structlog
from django.contrib.auth.models import User
from django.db import transaction

from common import clock
from common.actors import actor_name
from common.exceptions import ValidationFailed
from marketdata import metrics
from marketdata.choices import BarReviewAction, BarStatus
from marketdata.models import Bar, BarReview
from marketdata.selectors import newest_bar_cache_forget

logger = structlog.get_logger(__name__)


def bar_review_record(
    bar_id: int, action: str, actor: User | None, reason: str, request_id: str
) -> BarReview:
    """The immutable audit row of a bar leaving quarantine (actor ``None`` is the system)."""
    return BarReview.objects.create(
        bar_id=bar_id,
        action=action,
        actor=actor,
        actor_name=actor_name(actor),
        reason=reason,
        request_id=request_id,
        created_at=clock.now(),
    )


def _bar_review_apply(
    *, bar: Bar, action: str, actor: User | None, reason: str, request_id: str
) -> Bar:
    status = BarStatus.RELEASED if action == BarReviewAction.RELEASE else BarStatus.DISCARDED
    if not reason.strip():
        raise ValidationFailed("A reason is required to release or discard a bar.")
    # Claim the bar atomically: of two operators acting at once, only one changes it.
    claimed = Bar.objects.filter(pk=bar.pk, status=BarStatus.QUARANTINED).update(status=status)
    if not claimed:
        raise ValidationFailed(f"Bar {bar} is not quarantined; nothing to {action}.")
    bar.refresh_from_db()
    newest_bar_cache_forget(instrument_id=bar.instrument_id, timeframe=bar.timeframe)
    bar_review_record(bar.pk, action, actor, reason.strip(), request_id)
    metrics.BAR_REVIEWS.labels(action).inc()
    logger.info("bar_reviewed", bar=str(bar), action=action, reason=reason, request_id=request_id)
    return bar


@transaction.atomic
def bar_release(*, bar: Bar, actor: User | None, reason: str, request_id: str = "") -> Bar:
    """An operator vouches for a quarantined bar: it is trusted from now on (audited)."""
    return _bar_review_apply(
        bar=bar, action=BarReviewAction.RELEASE, actor=actor, reason=reason, request_id=request_id
    )


@transaction.atomic
def bar_discard(*, bar: Bar, actor: User | None, reason: str, request_id: str = "") -> Bar:
    """An operator declares a quarantined bar wrong: it stays stored, never used (audited)."""
    return _bar_review_apply(
        bar=bar, action=BarReviewAction.DISCARD, actor=actor, reason=reason, request_id=request_id
    )
