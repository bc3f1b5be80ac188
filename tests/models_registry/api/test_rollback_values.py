"""For the rollback command, a version number the column cannot hold is a 400
naming ``to_version``; one it can hold reaches the lookup unchanged; never a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.django_db
ROLLBACK = "/api/v1/models/rollback"


@pytest.mark.parametrize("value", [10**30, 2**31, -1, 0, 1.5, "NaN"])
def test_a_version_number_the_column_cannot_hold_is_a_400_naming_the_field(
    api_client, strategy, model_operator, value
):
    api_client.force_authenticate(model_operator)

    response = api_client.post(
        ROLLBACK, {"strategy": strategy.name, "reason": "r", "to_version": value}, format="json"
    )

    assert response.status_code == 400
    assert "to_version" in response.json()["to_version"][0]


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    value=st.one_of(
        st.integers(min_value=-(10**20), max_value=10**20),
        st.integers(min_value=2, max_value=2**31 - 1),
        st.text(max_size=12),
    )
)
def test_any_version_number_is_looked_up_exactly_or_refused_and_never_a_500(
    api_client, strategy, model_operator, value
):
    api_client.force_authenticate(model_operator)

    response = api_client.post(
        ROLLBACK, {"strategy": strategy.name, "reason": "r", "to_version": value}, format="json"
    )

    assert response.status_code in (400, 404), response.content
    body = response.json()
    if "to_version" in body:
        assert body["to_version"]
    else:
        # Accepted: the service looked up exactly the number sent (only version 1 exists).
        assert f"no version {int(str(value).strip())}" in body["detail"] or int(value) == 1
