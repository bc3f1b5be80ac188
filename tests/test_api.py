from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_and_docs_are_served(client, operator):
    client.force_login(operator)

    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/risk/kill-switch/engage/" in schema.content
    assert docs.status_code == 200


def test_orders_and_positions_are_listed_for_signed_in_users(api_client, outsider, strategy):
    from execution.services import trading_cycle_run

    trading_cycle_run()
    api_client.force_authenticate(outsider)

    orders = api_client.get("/api/v1/execution/orders/?status=submitted")

    assert orders.status_code == 200
    body = orders.json()
    assert body["count"] >= 1
    assert {row["status"] for row in body["results"]} == {"new"}
    assert api_client.get("/api/v1/execution/positions/").status_code == 200


def test_an_invalid_filter_value_is_a_400_not_a_500(api_client, outsider):
    api_client.force_authenticate(outsider)

    response = api_client.get("/api/v1/marketdata/bars/?since=not-a-date")

    assert response.status_code == 400
    assert "since" in response.json()


def test_the_api_requires_authentication(api_client):
    assert api_client.get("/api/v1/execution/orders/").status_code in (401, 403)
