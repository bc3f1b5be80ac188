"""Limit values the database cannot hold are refused with a 400, never rounded,
never a 500; what was accepted is stored exactly and reads back equal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from risk.choices import ChangeRequestKind
from risk.models import LIMIT_FIELDS, LIMIT_UNITS, ChangeRequest, RiskLimit
from risk.services.common import change_request_create

pytestmark = pytest.mark.django_db
CHANGE = "/api/v1/risk/limits/change/"
REPRODUCTIONS = ["0.0000001", "1e-30", "1e30", "12345678901234567890123", "1.1234567890123"]


def _change(field: str, value: object, **extra: object) -> dict:
    return {
        "scope": "global",
        "field": field,
        "value": value,
        "reason": "limit values test",
        **extra,
    }


def _global() -> RiskLimit:
    return RiskLimit.objects.get(strategy="", symbol="")


@pytest.mark.parametrize("field", ["price_collar_bps", "max_order_notional", "max_daily_loss"])
@pytest.mark.parametrize("value", REPRODUCTIONS)
def test_the_reproductions_of_issue_14_are_400s_naming_field_limit_and_unit(
    api_client, desk_operator, field, value
):
    api_client.force_authenticate(desk_operator)
    before = getattr(_global(), field)

    response = api_client.post(CHANGE, _change(field, value), format="json")

    assert response.status_code == 400
    message = response.json()["value"][0]
    assert field in message
    assert LIMIT_UNITS[field] in message
    assert any(limit in message for limit in ("decimal places", "at most 99999999999999"))
    assert getattr(_global(), field) == before
    assert not ChangeRequest.objects.exists()


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ('{"value": 0.0000001}', "0.000000"),  # a JSON number, not text
        ('{"value": 12345678901234.123456}', "significant digits"),
        ('{"value": NaN}', "JSON parse error"),
        ('{"value": "Infinity"}', "finite"),
        ('{"value": "0"}', "greater than 0 bps"),
        ('{"value": "-0.5"}', "greater than 0 bps"),
    ],
)
def test_json_numbers_non_finite_and_signs_are_refused_before_any_rounding(
    api_client, desk_operator, raw, fragment
):
    api_client.force_authenticate(desk_operator)
    body = raw.replace("{", '{"scope": "global", "field": "price_collar_bps", "reason": "r", ', 1)

    response = api_client.post(CHANGE, body, content_type="application/json")

    assert response.status_code == 400
    assert fragment in str(response.json())
    assert _global().price_collar_bps == Decimal(500)


def test_after_a_refusal_an_ordinary_tightening_still_applies(api_client, desk_operator):
    api_client.force_authenticate(desk_operator)
    api_client.post(CHANGE, _change("price_collar_bps", "0.0000001"), format="json")

    response = api_client.post(CHANGE, _change("price_collar_bps", "400"), format="json")

    assert response.status_code == 200
    assert _global().price_collar_bps == Decimal(400)


def test_a_pending_raise_the_column_cannot_hold_is_refused_on_approval_and_can_be_rejected(
    desk_operator, api_client, risk_officer
):
    """A request filed before values were checked (the bug stored 1e30 as a pending raise)."""
    payload = {"scope": "global", "key": "", "field": "max_order_notional", "value": "1E+30"}
    change = change_request_create(
        kind=ChangeRequestKind.LIMIT_RAISE,
        actor=desk_operator,
        reason="filed before the fix",
        request_id="",
        payload={**payload, "expires_at": None},
        before={"field": "max_order_notional", "value": "25000.000000"},
    )
    api_client.force_authenticate(risk_officer)

    approve = api_client.post(
        f"/api/v1/risk/change-requests/{change.pk}/approve/", {"reason": "ok"}, format="json"
    )
    reject = api_client.post(
        f"/api/v1/risk/change-requests/{change.pk}/reject/", {"reason": "bad"}, format="json"
    )

    assert approve.status_code == 400
    assert "cannot be applied" in approve.json()["detail"]
    assert "max_order_notional" in approve.json()["detail"]
    assert reject.status_code == 200
    assert _global().max_order_notional == Decimal(25000)


def _decimal_text() -> st.SearchStrategy[str]:
    """Anything from the column's range to far outside it, as text a client could send."""
    return st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.decimals(min_value=-10, max_value=10**15, places=7).map(str),
        st.decimals(min_value=0, max_value=10**14, places=6).map(str),
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        st.sampled_from(["", "abc", "1e-7", "1E+14", " 5 ", "0.0000000"]),
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(field=st.sampled_from(LIMIT_FIELDS), value=_decimal_text())
def test_any_value_is_stored_exactly_or_refused_with_a_message_and_never_a_500(
    api_client, desk_operator, risk_officer, instruments, field, value
):
    api_client.force_authenticate(desk_operator)
    symbol = instruments[0].symbol  # an instrument's own row, not the global one
    response = api_client.post(
        CHANGE, _change(field, value, scope="instrument", key=symbol), format="json"
    )

    assert response.status_code in (200, 202, 400), response.content
    if response.status_code == 400:
        assert field in str(response.json()) or "abc" in value
        return
    if response.status_code == 202:
        pk = response.json()["change_request"]["id"]
        api_client.force_authenticate(risk_officer)
        approved = api_client.post(
            f"/api/v1/risk/change-requests/{pk}/approve/", {"reason": "ok"}, format="json"
        )
        assert approved.status_code == 200, approved.content
    stored = getattr(RiskLimit.objects.get(symbol=symbol), field)
    assert stored == (Decimal(value) if value.strip() else None)
    listed = api_client.get("/api/v1/risk/limits/", {"symbol": symbol}).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert (Decimal(rows[0][field]) if rows[0][field] is not None else None) == stored
