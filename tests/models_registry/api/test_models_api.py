"""The model lifecycle API: status with ETag, versions with lineage, promote/approve/rollback."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from execution.services import trading_cycle_run
from models_registry.models import PromotionApproval, PromotionEvent
from models_registry.selectors import model_version_champion
from models_registry.services import model_version_alias_set, model_version_train

pytestmark = pytest.mark.django_db
STATUS = "/api/v1/models/status"
VERSIONS = "/api/v1/models/versions/"
ROLLBACK = "/api/v1/models/rollback"


@pytest.fixture
def candidate(champion, model_operator):
    return model_version_train(
        model_name=champion.registered_model.name, params={"C": 0.05}, actor=model_operator
    )


def test_status_shows_each_alias_with_lineage_drift_live_results_and_confidence(
    api_client, outsider, strategy, candidate, next_bar
):
    model_version_alias_set(model_version=candidate, alias="shadow", actor=None, reason="watch")
    trading_cycle_run()
    next_bar()
    trading_cycle_run()
    api_client.force_authenticate(outsider)

    response = api_client.get(STATUS)

    assert response.status_code == 200
    (entry,) = response.json()
    assert entry["model"] == "baseline-direction"
    assert entry["strategies"] == [strategy.name]
    champion, shadow = entry["champion"], entry["shadow"]
    assert (champion["version"], shadow["version"], entry["challenger"]) == (1, 2, None)
    assert len(champion["dataset_sha256"]) == 64
    assert {"roc_auc", "log_loss", "brier", "hit_rate", "backtest_max_drawdown"} <= set(
        champion["holdout_metrics"]
    )
    assert champion["drift"]["status"] == "unknown"
    assert champion["live"]["signals"] == 6 and champion["live"]["scored"] == 3
    assert shadow["live"]["signals"] == 6
    assert 0.5 <= champion["confidence"]["mean"] <= 1.0


def test_an_unchanged_status_answers_304_to_if_none_match(api_client, outsider, strategy, next_bar):
    api_client.force_authenticate(outsider)
    first = api_client.get(STATUS)

    unchanged = api_client.get(STATUS, HTTP_IF_NONE_MATCH=first["ETag"])
    next_bar()
    trading_cycle_run()
    changed = api_client.get(STATUS, HTTP_IF_NONE_MATCH=first["ETag"])

    assert unchanged.status_code == 304
    assert unchanged["ETag"] == first["ETag"]
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_a_304_does_not_build_the_status(api_client, outsider, strategy):
    api_client.force_authenticate(outsider)
    etag = api_client.get(STATUS)["ETag"]

    with CaptureQueriesContext(connection) as queries:
        api_client.get(STATUS, HTTP_IF_NONE_MATCH=etag)

    assert len([q for q in queries if "models_registry_signal" in q["sql"]]) == 1  # max(id)


def test_versions_are_listed_with_aliases_and_filterable(api_client, outsider, candidate):
    api_client.force_authenticate(outsider)

    everything = api_client.get(VERSIONS).json()["results"]
    champions = api_client.get(VERSIONS, {"alias": "champion"}).json()["results"]
    by_model = api_client.get(VERSIONS, {"model": "nope"}).json()["results"]

    assert [(v["version"], v["aliases"]) for v in everything] == [(2, []), (1, ["champion"])]
    assert [v["version"] for v in champions] == [1]
    assert by_model == []


def test_version_detail_shows_the_lineage_down_to_the_feature_set(api_client, outsider, candidate):
    api_client.force_authenticate(outsider)

    detail = api_client.get(f"{VERSIONS}{candidate.pk}/").json()

    run = detail["lineage"]
    assert run["id"] == candidate.training_run_id
    assert run["triggered_by_name"] == "dana"
    assert run["hyperparameters"]["C"] == 0.05
    assert run["dataset_snapshot"]["content_sha256"] == detail["dataset_sha256"]
    assert run["dataset_snapshot"]["feature_set"]["name"] == "baseline-price"
    assert len(run["dataset_snapshot"]["feature_set"]["code_hash"]) == 64


def test_the_gates_endpoint_lists_every_gate(api_client, outsider, candidate):
    api_client.force_authenticate(outsider)

    gates = api_client.get(f"{VERSIONS}{candidate.pk}/gates/").json()

    assert "approval" in [g["name"] for g in gates if not g["passed"]]


def test_promotion_is_blocked_with_409_listing_the_gates_then_passes_after_approval(
    api_client, candidate, model_operator, model_risk_officer, lenient_gates
):
    lenient_gates.MODELS_GATE_REQUIRE_APPROVAL = True
    api_client.force_authenticate(model_operator)

    blocked = api_client.post(f"{VERSIONS}{candidate.pk}/promote/", {"reason": "v2"}, format="json")
    api_client.force_authenticate(model_risk_officer)
    approved = api_client.post(
        f"{VERSIONS}{candidate.pk}/approve/", {"reason": "card reviewed"}, format="json"
    )
    api_client.force_authenticate(model_operator)
    promoted = api_client.post(
        f"{VERSIONS}{candidate.pk}/promote/", {"reason": "v2"}, format="json"
    )

    assert blocked.status_code == 409
    assert [g["name"] for g in blocked.json()["gates"] if not g["passed"]] == ["approval"]
    assert "approval" in blocked.json()["detail"]
    assert approved.status_code == 201
    assert approved.json()["approved_by_name"] == "bob"
    assert promoted.status_code == 200
    assert promoted.json()["model_version"]["aliases"] == ["champion"]
    assert model_version_champion(registered_model_id=candidate.registered_model_id) == candidate
    event = PromotionEvent.objects.get(action="promote")
    assert event.request_id == promoted["X-Request-ID"]
    assert PromotionApproval.objects.get().request_id == approved["X-Request-ID"]


def test_self_approval_through_the_api_is_a_400(api_client, candidate, model_operator):
    from django.contrib.auth.models import Permission

    model_operator.user_permissions.add(Permission.objects.get(codename="approve_promotion"))
    api_client.force_authenticate(type(model_operator).objects.get(pk=model_operator.pk))

    response = api_client.post(
        f"{VERSIONS}{candidate.pk}/approve/", {"reason": "mine"}, format="json"
    )

    assert response.status_code == 400
    assert "self-approval" in response.json()["detail"]


def test_rollback_through_the_api_records_actor_reason_and_request_id(
    api_client, strategy, candidate, champion, model_operator, lenient_gates
):
    api_client.force_authenticate(model_operator)
    api_client.post(f"{VERSIONS}{candidate.pk}/promote/", {"reason": "v2"}, format="json")

    response = api_client.post(
        ROLLBACK, {"strategy": strategy.name, "reason": "losing money"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["version"] == 1
    event = PromotionEvent.objects.get(action="rollback")
    assert (event.actor, event.reason) == (model_operator, "losing money")
    assert event.request_id == response["X-Request-ID"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"strategy": "baseline-long-flat"}, "reason"),
        ({"strategy": "nope", "reason": "x"}, "No strategy or model named"),
        ({"strategy": "baseline-long-flat", "reason": "x", "to_version": 9}, "has no version 9"),
        ({"strategy": "baseline-long-flat", "reason": "x", "to_version": 0}, "to_version"),
        ({"strategy": "baseline-long-flat", "reason": "x"}, "no earlier champion"),
    ],
)
def test_bad_rollback_input_is_answered_with_a_clear_message(
    api_client, strategy, model_operator, payload, message
):
    api_client.force_authenticate(model_operator)

    response = api_client.post(ROLLBACK, payload, format="json")

    assert response.status_code in {400, 404}
    assert message in str(response.json())


def test_an_alias_is_set_through_the_api(api_client, candidate, model_operator):
    api_client.force_authenticate(model_operator)

    response = api_client.post(
        f"{VERSIONS}{candidate.pk}/alias/", {"alias": "shadow", "reason": "watch"}, format="json"
    )
    refused = api_client.post(
        f"{VERSIONS}{candidate.pk}/alias/", {"alias": "champion", "reason": "x"}, format="json"
    )

    assert response.status_code == 200 and response.json()["aliases"] == ["shadow"]
    assert refused.status_code == 400 and "alias" in refused.json()


def test_commands_need_their_permission(api_client, outsider, strategy, candidate):
    api_client.force_authenticate(outsider)

    responses = [
        api_client.post(f"{VERSIONS}{candidate.pk}/promote/", {"reason": "x"}, format="json"),
        api_client.post(f"{VERSIONS}{candidate.pk}/approve/", {"reason": "x"}, format="json"),
        api_client.post(f"{VERSIONS}{candidate.pk}/alias/", {"alias": "shadow", "reason": "x"}),
        api_client.post(ROLLBACK, {"strategy": strategy.name, "reason": "x"}, format="json"),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert "models_registry.promote_model" in responses[0].json()["detail"]
    assert not PromotionEvent.objects.exclude(action="bootstrap").exists()


def test_anonymous_callers_cannot_read_the_status(api_client, strategy):
    assert api_client.get(STATUS).status_code in {401, 403}


def test_building_the_status_takes_the_same_queries_for_one_model_or_many(
    api_client, outsider, strategy, history
):
    api_client.force_authenticate(outsider)
    with CaptureQueriesContext(connection) as one:
        api_client.get(STATUS)
    for name in ("m2", "m3"):
        model_version_train(model_name=name, promote=True)

    with CaptureQueriesContext(connection) as three:
        response = api_client.get(STATUS)

    assert len(response.json()) == 3
    assert len(three) == len(one)
