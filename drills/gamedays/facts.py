"""What a game day checks in the stack's own records after a scenario (read-only).

Runs inside the stack's environment as ``manage.py soak_stack facts --since ISO``: the game
day process has no connection to the stack's database, so it asks for these facts the way
``soak_stack collect`` gives the soak its figures.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from audit.selectors import audit_event_list
from drills.soak.seed import SOAK_MODEL
from models_registry.choices import PromotionAction
from models_registry.models import PromotionEvent, RegisteredModel, Signal
from models_registry.selectors import model_version_champion
from risk.models import RiskDecision, RiskTrip


def game_day_facts(*, since: datetime) -> dict:
    registered = RegisteredModel.objects.filter(name=SOAK_MODEL).first()
    champion = model_version_champion(registered_model_id=registered.pk) if registered else None
    rollbacks = PromotionEvent.objects.filter(
        action=PromotionAction.ROLLBACK, created_at__gte=since
    ).select_related("model_version", "previous_version")
    rejected = Counter(
        reason["code"]
        for reasons in RiskDecision.objects.filter(approved=False, decided_at__gte=since)
        .values_list("reasons", flat=True)
        .iterator()
        for reason in reasons
    )
    return {
        "champion_version": champion.version if champion else None,
        # Traded signals only (shadow ones never reach an order), per version, oldest first.
        "signals": [
            {"version": version, "created_at": created.isoformat()}
            for version, created in Signal.objects.filter(created_at__gte=since, shadow=False)
            .order_by("created_at")
            .values_list("model_version__version", "created_at")
        ],
        "rollbacks": [
            {
                "version": event.model_version.version if event.model_version else None,
                "previous": event.previous_version.version if event.previous_version else None,
                "actor": event.actor_name,
                "reason": event.reason,
                "request_id": event.request_id,
                "created_at": event.created_at.isoformat(),
            }
            for event in rollbacks
        ],
        "audit_rollbacks": list(
            audit_event_list(action="models.rollback", since=since).values(
                "sequence", "actor_name", "request_id"
            )
        ),
        "trips": list(
            RiskTrip.objects.filter(tripped_at__gte=since).values("limit", "action", "value")
        ),
        "rejection_reasons": dict(rejected),
    }
