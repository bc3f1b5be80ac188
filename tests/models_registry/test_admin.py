"""Admin: the model card, and rollback/promote actions that ask for a reason first."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from models_registry.models import PromotionEvent
from models_registry.selectors import model_version_champion
from models_registry.services import model_version_promote, model_version_train

pytestmark = pytest.mark.django_db
VERSIONS = "/admin/models_registry/modelversion/"
MODELS = "/admin/models_registry/registeredmodel/"


@pytest.fixture
def admin_operator(model_operator):
    for codename in ("view_modelversion", "view_registeredmodel", "change_registeredmodel"):
        model_operator.user_permissions.add(Permission.objects.get(codename=codename))
    return type(model_operator).objects.get(pk=model_operator.pk)


@pytest.fixture
def candidate(champion):
    return model_version_train(model_name=champion.registered_model.name, params={"C": 0.05})


def test_the_model_card_shows_use_data_metrics_gates_and_limitations(
    client, admin_operator, champion
):
    client.force_login(admin_operator)

    response = client.get(f"{VERSIONS}{champion.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    for heading in ("Intended use", "Data", "Hold-out metrics", "Gates", "Limitations"):
        assert f"<h3>{heading}" in page
    assert champion.training_run.dataset_snapshot.content_sha256 in page
    assert "backtest_max_drawdown" in page


def test_rollback_from_admin_asks_for_a_reason_then_restores_the_previous_champion(
    client, admin_operator, champion, candidate, lenient_gates
):
    model_version_promote(model_version=candidate, reason="v2")
    client.force_login(admin_operator)
    selected = {"action": "rollback_champion", "_selected_action": [champion.registered_model_id]}

    confirm = client.post(MODELS, selected)
    done = client.post(MODELS, {**selected, "apply": "1", "reason": "hit rate collapsed"})

    assert confirm.status_code == 200 and b"reason" in confirm.content
    assert done.status_code == 302
    assert model_version_champion(registered_model_id=champion.registered_model_id) == champion
    event = PromotionEvent.objects.get(action="rollback")
    assert (event.actor, event.reason) == (admin_operator, "hit rate collapsed")
    assert event.request_id


def test_a_blocked_promotion_from_admin_shows_the_failing_gates(
    client, admin_operator, candidate, settings
):
    client.force_login(admin_operator)

    response = client.post(
        VERSIONS,
        {"action": "promote", "_selected_action": [candidate.pk], "apply": "1", "reason": "try"},
        follow=True,
    )

    assert "blocked by" in response.content.decode()
    assert "approval" in response.content.decode()
    assert PromotionEvent.objects.filter(action="blocked", actor=admin_operator).exists()


@pytest.mark.parametrize(
    "model",
    [
        "featureset",
        "datasetsnapshot",
        "trainingrun",
        "modelalias",
        "promotionevent",
        "promotionapproval",
        "driftreport",
        "signal",
        "modelversion",
        "registeredmodel",
    ],
)
def test_every_lifecycle_record_has_an_admin_list(admin_client, champion, model):
    assert admin_client.get(f"/admin/models_registry/{model}/").status_code == 200
