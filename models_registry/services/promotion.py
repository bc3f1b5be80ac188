"""Aliases, approvals, gated promotion and one-step rollback, each leaving a decision record."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction

from common import clock
from common.actors import actor_name, is_service_account, person_require
from common.exceptions import ArtifactIntegrityError, NotFound, ValidationFailed
from models_registry import drift, gates, metrics
from models_registry.choices import Alias, PromotionAction
from models_registry.models import (
    ModelAlias,
    ModelVersion,
    PromotionApproval,
    PromotionEvent,
    RegisteredModel,
)
from models_registry.selectors import (
    model_version_champion,
    rollback_target,
    signal_outcomes,
)
from models_registry.services.datasets import dataset_frame_load, recent_feature_frame
from models_registry.services.scoring import holdout_of, model_version_load, score

logger = structlog.get_logger(__name__)

APPROVE_PERMISSION = "models_registry.approve_promotion"


class PromotionBlocked(ValidationFailed):
    """A promotion that failed one or more gates; ``gates`` holds every gate's result."""

    def __init__(self, model_version: ModelVersion, results: list[gates.GateResult]) -> None:
        self.gates = results
        failed = gates.failing(results)
        detail = "; ".join(
            f"{g.name}: {g.value!r} (limit {g.threshold!r}) - {g.message}" for g in failed
        )
        super().__init__(f"Promotion of {model_version} blocked by {len(failed)} gate(s): {detail}")


def _record(
    *,
    registered_model: RegisteredModel,
    action: str,
    reason: str,
    actor: User | None,
    request_id: str,
    alias: str = "",
    model_version: ModelVersion | None = None,
    previous: ModelVersion | None = None,
    results: list[gates.GateResult] | None = None,
) -> PromotionEvent:
    event = PromotionEvent.objects.create(
        registered_model=registered_model,
        action=action,
        alias=alias,
        model_version=model_version,
        previous_version=previous,
        actor=actor,
        actor_name=actor_name(actor),
        reason=reason,
        request_id=request_id,
        gates=[r.as_dict() for r in results or []],
        created_at=clock.now(),
    )
    metrics.PROMOTIONS.labels(action).inc()
    logger.info(
        "model_alias_event",
        action=action,
        alias=alias,
        model_version=str(model_version),
        previous=str(previous),
        actor=actor_name(actor),
        reason=reason,
        request_id=request_id,
    )
    return event


def _require_reason(reason: str, what: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(f"A reason is required to {what}")
    return reason


def _point(alias: str, model_version: ModelVersion) -> ModelVersion | None:
    """Point ``alias`` at the version; returns the version it pointed at before.

    A version holds one role at a time besides challenger→shadow overlaps: becoming champion
    drops its challenger and shadow aliases, since a champion is never its own shadow.
    """
    registered_id = model_version.registered_model_id
    row = ModelAlias.objects.select_for_update().filter(
        registered_model_id=registered_id, alias=alias
    )
    current = row.first()
    previous = current.model_version if current else None
    ModelAlias.objects.update_or_create(
        registered_model_id=registered_id,
        alias=alias,
        defaults={"model_version": model_version, "assigned_at": clock.now()},
    )
    if alias == Alias.CHAMPION:
        ModelAlias.objects.filter(model_version=model_version).exclude(
            alias=Alias.CHAMPION
        ).delete()
        if not model_version.ever_champion:
            model_version.ever_champion = True
            model_version.save(update_fields=["ever_champion", "updated_at"])
    return previous


@transaction.atomic
def model_version_bootstrap(
    *, model_version: ModelVersion, actor: User | None = None, request_id: str = ""
) -> ModelVersion:
    """Make the first champion of a model that has none (no champion to compare with).

    Used by the demo seed; once a model has a champion every change goes through
    ``model_version_promote`` and its gates.
    """
    registered = RegisteredModel.objects.select_for_update().get(
        pk=model_version.registered_model_id
    )
    if model_version_champion(registered_model_id=registered.pk) is not None:
        raise ValidationFailed(f"{registered} already has a champion: promote through the gates")
    _point(Alias.CHAMPION, model_version)
    _record(
        registered_model=registered,
        action=PromotionAction.BOOTSTRAP,
        alias=Alias.CHAMPION,
        model_version=model_version,
        reason="first champion of a new model",
        actor=actor,
        request_id=request_id,
    )
    return model_version


@transaction.atomic
def model_version_alias_set(
    *,
    model_version: ModelVersion,
    alias: str,
    actor: User | None,
    reason: str,
    request_id: str = "",
) -> ModelAlias:
    """Make the version its model's challenger or shadow (champion only through promotion)."""
    if alias not in (Alias.CHALLENGER, Alias.SHADOW):
        raise ValidationFailed(f"Alias must be challenger or shadow, not {alias!r}")
    reason = _require_reason(reason, f"assign {alias}")
    if model_version_champion(registered_model_id=model_version.registered_model_id) == (
        model_version
    ):
        raise ValidationFailed(f"{model_version} is the champion; it cannot also be {alias}")
    previous = _point(alias, model_version)
    _record(
        registered_model=model_version.registered_model,
        action=PromotionAction.ASSIGN,
        alias=alias,
        model_version=model_version,
        previous=previous,
        reason=reason,
        actor=actor,
        request_id=request_id,
    )
    return ModelAlias.objects.get(registered_model=model_version.registered_model, alias=alias)


@transaction.atomic
def model_alias_clear(
    *,
    registered_model: RegisteredModel,
    alias: str,
    actor: User | None,
    reason: str,
    request_id: str = "",
) -> None:
    """Remove a challenger or shadow alias (a model always keeps its champion)."""
    if alias == Alias.CHAMPION:
        raise ValidationFailed("The champion alias is moved by promotion or rollback, not cleared")
    reason = _require_reason(reason, f"clear {alias}")
    row = ModelAlias.objects.filter(registered_model=registered_model, alias=alias).first()
    if row is None:
        raise NotFound(f"{registered_model} has no {alias}")
    row.delete()
    _record(
        registered_model=registered_model,
        action=PromotionAction.CLEAR,
        alias=alias,
        previous=row.model_version,
        reason=reason,
        actor=actor,
        request_id=request_id,
    )


def _trainer_id(model_version: ModelVersion) -> int | None:
    run = model_version.training_run
    return run.triggered_by_id if run else None


@transaction.atomic
def model_version_approve(
    *, model_version: ModelVersion, actor: User, reason: str, request_id: str = ""
) -> PromotionApproval:
    """Record a four-eyes approval: the approver holds the permission and did not train it."""
    reason = _require_reason(reason, "approve a promotion")
    person_require(actor, "Approving a promotion")
    if not actor.has_perm(APPROVE_PERMISSION):
        raise ValidationFailed(f"{actor.get_username()} may not approve promotions")
    if _trainer_id(model_version) == actor.pk:
        raise ValidationFailed(f"{actor.get_username()} trained {model_version}: self-approval")
    approval, _ = PromotionApproval.objects.get_or_create(
        model_version=model_version,
        approved_by=actor,
        defaults={
            "approved_by_name": actor.get_username(),
            "reason": reason,
            "request_id": request_id,
            "created_at": clock.now(),
        },
    )
    _record(
        registered_model=model_version.registered_model,
        action=PromotionAction.APPROVE,
        model_version=model_version,
        reason=reason,
        actor=actor,
        request_id=request_id,
    )
    return approval


def gate_thresholds() -> gates.GateThresholds:
    return gates.GateThresholds(
        metric_tolerance=settings.MODELS_GATE_METRIC_TOLERANCE,
        min_auc=settings.MODELS_GATE_MIN_AUC,
        max_log_loss=settings.MODELS_GATE_MAX_LOG_LOSS,
        max_auc=settings.MODELS_GATE_MAX_AUC,
        max_backtest_drawdown=settings.MODELS_GATE_MAX_BACKTEST_DRAWDOWN,
        min_shadow_signals=settings.MODELS_GATE_MIN_SHADOW_SIGNALS,
        min_shadow_hit_rate=settings.MODELS_GATE_MIN_SHADOW_HIT_RATE,
        require_approval=settings.MODELS_GATE_REQUIRE_APPROVAL,
    )


def drift_thresholds() -> drift.DriftThresholds:
    return drift.DriftThresholds(
        psi_warn=settings.MODELS_DRIFT_PSI_WARN,
        psi_drift=settings.MODELS_DRIFT_PSI_DRIFT,
        ks_p_value=settings.MODELS_DRIFT_KS_P_VALUE,
        ks_min_statistic=settings.MODELS_DRIFT_KS_MIN_STATISTIC,
        wasserstein_drift=settings.MODELS_DRIFT_WASSERSTEIN,
        drift_share=settings.MODELS_DRIFT_SHARE,
    )


def _champion_metrics(model_version: ModelVersion) -> dict | None:
    """The current champion scored on the candidate's own hold-out (like for like)."""
    champion = model_version_champion(registered_model_id=model_version.registered_model_id)
    if champion is None or champion.pk == model_version.pk:
        return None
    holdout = holdout_of(model_version)
    if holdout is None:  # a version without lineage: compare recorded metrics
        return dict(champion.metrics)
    try:
        return score(model_version_load(champion), holdout, model_version.timeframe)
    except ArtifactIntegrityError as exc:
        logger.error("champion_unscorable", champion=str(champion), error=str(exc))
        return {}


def _training_drift(model_version: ModelVersion) -> tuple[float | None, bool | None]:
    run = model_version.training_run
    if run is None or run.dataset_snapshot is None:
        return None, None
    reference = dataset_frame_load(run.dataset_snapshot)
    current = recent_feature_frame(
        symbols=list(model_version.training_symbols),
        timeframe=model_version.timeframe,
        bars=settings.MODELS_DRIFT_WINDOW_BARS,
    )
    if current.empty:
        return None, None
    result = drift.analyse(reference[list(current.columns)], current, drift_thresholds())
    return result.share, result.drifted


def _approver(model_version: ModelVersion) -> str | None:
    trainer = _trainer_id(model_version)
    for approval in model_version.approvals.select_related("approved_by"):
        user = approval.approved_by
        if is_service_account(user):  # never counts, however the row got there
            continue
        if user.pk != trainer and user.is_active and user.has_perm(APPROVE_PERMISSION):
            return approval.approved_by_name
    return None


def promotion_gates(*, model_version: ModelVersion) -> list[gates.GateResult]:
    """Every gate's verdict on promoting the version now (nothing is written)."""
    share, drifted = _training_drift(model_version)
    shadow = signal_outcomes(model_version=model_version, limit=settings.MODELS_LIVE_SIGNAL_WINDOW)
    evidence = gates.PromotionEvidence(
        candidate=dict(model_version.metrics),
        champion=_champion_metrics(model_version),
        drift_share=share,
        drifted=drifted,
        shadow_signals=shadow.scored,
        shadow_hit_rate=shadow.hit_rate,
        approved_by=_approver(model_version),
    )
    return gates.evaluate(evidence, gate_thresholds())


def model_version_promote(
    *,
    model_version: ModelVersion,
    actor: User | None = None,
    reason: str = "",
    request_id: str = "",
) -> ModelVersion:
    """Make the version champion if every gate passes; otherwise record the block and raise.

    The gates are judged before the write transaction, and a blocked attempt is recorded in
    its own transaction, so the record survives the ``PromotionBlocked`` raised after it.
    """
    reason = _require_reason(reason, "promote a model")
    if model_version.archived_at is not None:
        raise ValidationFailed(f"{model_version} is archived")
    results = promotion_gates(model_version=model_version)
    if gates.failing(results):
        with transaction.atomic():
            _record(
                registered_model=model_version.registered_model,
                action=PromotionAction.BLOCKED,
                alias=Alias.CHAMPION,
                model_version=model_version,
                reason=reason,
                actor=actor,
                request_id=request_id,
                results=results,
            )
        raise PromotionBlocked(model_version, results)
    with transaction.atomic():
        RegisteredModel.objects.select_for_update().get(pk=model_version.registered_model_id)
        previous = _point(Alias.CHAMPION, model_version)
        _record(
            registered_model=model_version.registered_model,
            action=PromotionAction.PROMOTE,
            alias=Alias.CHAMPION,
            model_version=model_version,
            previous=previous,
            reason=reason,
            actor=actor,
            request_id=request_id,
            results=results,
        )
    return model_version


@transaction.atomic
def model_version_rollback(
    *,
    registered_model: RegisteredModel,
    to_version: ModelVersion | None = None,
    actor: User | None = None,
    reason: str = "",
    request_id: str = "",
) -> ModelVersion:
    """Restore the previous champion (or ``to_version``) in one step, without gates.

    Only a version that was champion before may be restored: it passed its gates then, and
    a rollback must work when things are on fire. Workers pick it up at their next cycle.
    """
    reason = _require_reason(reason, "roll back a model")
    RegisteredModel.objects.select_for_update().get(pk=registered_model.pk)
    target = to_version or rollback_target(registered_model=registered_model)
    if target is None:
        raise ValidationFailed(f"{registered_model} has no earlier champion to roll back to")
    if target.registered_model_id != registered_model.pk:
        raise ValidationFailed(f"{target} is not a version of {registered_model}")
    if not target.ever_champion:
        raise ValidationFailed(f"{target} was never champion: promote it through the gates")
    current = model_version_champion(registered_model_id=registered_model.pk)
    if current is not None and current.pk == target.pk:
        raise ValidationFailed(f"{target} is already the champion")
    previous = _point(Alias.CHAMPION, target)
    _record(
        registered_model=registered_model,
        action=PromotionAction.ROLLBACK,
        alias=Alias.CHAMPION,
        model_version=target,
        previous=previous,
        reason=reason,
        actor=actor,
        request_id=request_id,
    )
    return target
