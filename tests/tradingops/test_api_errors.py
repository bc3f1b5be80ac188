"""An error in the API is a JSON body with the request ID, also with DEBUG=True,
never Django's HTML debug page."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.tradingops.api_error_urls")]


@pytest.fixture(autouse=True)
def debug_on(settings):
    settings.DEBUG = True


def _json_with_request_id(response) -> dict:
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["request_id"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_an_integrity_error_is_a_409_naming_the_constraint(client):
    response = client.post("/api/v1/test/integrity/")

    assert response.status_code == 409
    assert "risk_limit_price_collar_bps_positive" in _json_with_request_id(response)["detail"]


def test_an_unexpected_exception_in_an_api_view_is_a_json_500(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/test/crash/")

    assert response.status_code == 500
    assert "request ID" in _json_with_request_id(response)["detail"]
    assert b"Traceback" not in response.content


def test_a_plain_django_view_under_api_fails_as_json_too(client):
    client.raise_request_exception = False

    response = client.get("/api/v1/test/plain/")

    assert response.status_code == 500
    _json_with_request_id(response)


def test_an_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert _json_with_request_id(response)["detail"] == "Not Found"


def test_an_id_too_large_for_the_database_is_a_4xx_not_a_500(api_client, risk_officer):
    api_client.force_authenticate(risk_officer)

    response = api_client.post(
        f"/api/v1/risk/change-requests/{10**30}/reject/", {"reason": "r"}, format="json"
    )

    assert 400 <= response.status_code < 500
    _json_with_request_id(response)


def test_pages_outside_api_keep_their_html(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
