"""Decision and event records cannot be changed or deleted: not in admin, not through the API,
not through the ORM. Records with a resolution step take that step once, and nothing else."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from common import clock
from common.exceptions import ImmutableRecordError
from models_registry.models import ModelVersion, PromotionApproval, PromotionEvent, RegisteredModel
from risk import services
from risk.models import (
    ChangeRequest,
    KillSwitchEvent,
    RiskAction,
    RiskDecision,
    RiskTrip,
    TemporaryLimitOverride,
)

pytestmark = pytest.mark.django_db


def _decision() -> RiskDecision:
    return RiskDecision.objects.create(
        client_order_id="c-1", strategy="s", symbol="AAPL", side="buy", quantity=1,
        reference_price=100, notional=100, approved=True, decided_at=clock.now(),
    )  # fmt: skip


def _kill_switch_event() -> KillSwitchEvent:
    return KillSwitchEvent.objects.create(
        action="engage", actor_name="alice", reason="test", created_at=clock.now()
    )


def _risk_action() -> RiskAction:
    return RiskAction.objects.create(
        action="limit_change", actor_name="alice", reason="test", created_at=clock.now()
    )


def _trip() -> RiskTrip:
    return RiskTrip.objects.create(
        limit="max_daily_loss", value=5, threshold=4, action="halt", tripped_at=clock.now()
    )


def _override() -> TemporaryLimitOverride:
    return TemporaryLimitOverride.objects.create(
        scope="global", field="max_order_quantity", value=5, reason="test",
        expires_at=clock.now() + timedelta(hours=1),
    )  # fmt: skip


def _change_request() -> ChangeRequest:
    return ChangeRequest.objects.create(
        kind="limit_raise", requested_by_name="oscar", reason="test", requested_at=clock.now(),
        expires_at=clock.now() + timedelta(hours=1), payload={"field": "max_order_quantity"},
    )  # fmt: skip


def _model_version() -> ModelVersion:
    registered, _ = RegisteredModel.objects.get_or_create(name="immutable-test")
    now = clock.now()
    return ModelVersion.objects.create(
        registered_model=registered, version=1, algorithm="logistic", timeframe="1m",
        train_start=now, train_end=now, holdout_start=now, holdout_end=now, train_rows=1,
        holdout_rows=1, artifact_path="x", artifact_sha256="0" * 64,
    )  # fmt: skip


def _promotion_event() -> PromotionEvent:
    version = _model_version()
    return PromotionEvent.objects.create(
        registered_model=version.registered_model, action="promote", model_version=version,
        actor_name="alice", reason="test", created_at=clock.now(),
    )  # fmt: skip


def _promotion_approval() -> PromotionApproval:
    approver = get_user_model().objects.create_user("approver")
    return PromotionApproval.objects.create(
        model_version=_model_version(), approved_by=approver, approved_by_name="approver",
        reason="test", created_at=clock.now(),
    )  # fmt: skip


# (factory, a field to tamper with, its admin URL, its API URL or None when it has no route)
RECORDS = [
    (_decision, "approved", "risk/riskdecision", "/api/v1/risk/decisions/"),
    (_kill_switch_event, "reason", "risk/killswitchevent", None),
    (_risk_action, "reason", "risk/riskaction", "/api/v1/risk/actions/"),
    (_trip, "value", "risk/risktrip", "/api/v1/risk/trips/"),
    (_override, "value", "risk/temporarylimitoverride", "/api/v1/risk/overrides/"),
    (_change_request, "reason", "risk/changerequest", "/api/v1/risk/change-requests/"),
    (_promotion_event, "reason", "models_registry/promotionevent", None),
    (_promotion_approval, "reason", "models_registry/promotionapproval", None),
]
IDS = [factory.__name__.strip("_") for factory, *_ in RECORDS]


@pytest.mark.parametrize(("factory", "field", "admin_path", "api_path"), RECORDS, ids=IDS)
def test_the_orm_refuses_to_change_or_delete_a_stored_record(factory, field, admin_path, api_path):
    record = factory()
    original = getattr(record, field)
    setattr(record, field, Decimal("999") if isinstance(original, Decimal) else not original
            if isinstance(original, bool) else "rewritten")  # fmt: skip
    model = type(record)

    with pytest.raises(ImmutableRecordError, match=field):
        record.save()
    with pytest.raises(ImmutableRecordError):
        record.delete()
    with pytest.raises(ImmutableRecordError):
        model.objects.filter(pk=record.pk).update(**{field: getattr(record, field)})
    with pytest.raises(ImmutableRecordError):
        model.objects.filter(pk=record.pk).delete()
    with pytest.raises(ImmutableRecordError):
        model.objects.bulk_update([record], [field])
    assert getattr(model.objects.get(pk=record.pk), field) == original


@pytest.mark.parametrize(("factory", "field", "admin_path", "api_path"), RECORDS, ids=IDS)
def test_admin_offers_no_change_or_delete_even_to_a_superuser(
    factory, field, admin_path, api_path, admin_client
):
    record = factory()
    url = f"/admin/{admin_path}/{record.pk}/"

    changed = admin_client.post(f"{url}change/", {field: "rewritten"})
    deleted = admin_client.post(f"{url}delete/", {"post": "yes"})
    bulk = admin_client.post(
        f"/admin/{admin_path}/", {"action": "delete_selected", "_selected_action": [record.pk]}
    )

    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert bulk.status_code in (200, 302)  # "no action selected": delete_selected is not offered
    assert type(record).objects.filter(pk=record.pk).exists()
    record.refresh_from_db()
    assert getattr(record, field) != "rewritten"


@pytest.mark.parametrize(
    ("factory", "field", "admin_path", "api_path"),
    [record for record in RECORDS if record[3]],
    ids=[name for name, record in zip(IDS, RECORDS, strict=True) if record[3]],
)
def test_the_api_has_no_route_to_change_or_delete(
    factory, field, admin_path, api_path, api_client, django_user_model
):
    record = factory()
    superuser = django_user_model.objects.create_superuser("root", password="pw-root")
    api_client.force_authenticate(superuser)
    url = f"{api_path}{record.pk}/"

    assert api_client.get(url).status_code == 200
    for method in ("put", "patch", "delete"):
        response = getattr(api_client, method)(url, {field: "rewritten"}, format="json")
        assert response.status_code == 405, (method, response.content)
    assert type(record).objects.filter(pk=record.pk).exists()


def test_a_change_request_takes_its_decision_once_and_nothing_else(desk_operator, risk_officer):
    services.kill_switch_engage(actor=desk_operator, reason="bad fills")
    request = services.kill_switch_release_request(actor=desk_operator, reason="fills fixed")
    services.change_request_approve(
        actor=risk_officer, change_request_id=request.pk, reason="ok", request_id="req-a"
    )
    request.refresh_from_db()
    assert request.status == "approved"

    request.status, request.decision_reason = "rejected", "changed my mind"
    with pytest.raises(ImmutableRecordError, match="already resolved"):
        request.save()
    request.refresh_from_db()
    request.reason = "a different request"
    with pytest.raises(ImmutableRecordError, match="reason"):
        request.save()


def test_an_override_is_stamped_reverted_once(frozen_clock):
    override = _override()
    frozen_clock.advance(timedelta(hours=2))

    assert services.limit_overrides_expire() == 1

    override.refresh_from_db()
    assert override.reverted_at is not None
    frozen_clock.advance(timedelta(minutes=1))
    override.reverted_at = clock.now()
    with pytest.raises(ImmutableRecordError, match="already resolved"):
        override.save()
