"""In admin, the limit and override forms refuse what the column cannot hold,
with the API's message (field, limit, unit), and nothing is stored or filed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from risk.models import ChangeRequest, RiskLimit, TemporaryLimitOverride

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("0.0000001", "at most 6 decimal places"),
        ("1e30", "at most 99999999999999"),
        ("0", "greater than 0 bps"),
        ("NaN", "finite"),
    ],
)
def test_the_limit_form_refuses_what_the_column_cannot_hold(client, desk_operator, value, fragment):
    row = RiskLimit.objects.get(strategy="", symbol="")
    client.force_login(desk_operator)
    url = f"/admin/risk/risklimit/{row.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data.pop("drawdown_halts", None)

    response = client.post(url, {**data, "price_collar_bps": value, "reason_for_change": "r"})

    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.errors["price_collar_bps"]
    assert fragment in errors[0]
    assert "price_collar_bps" in errors[0]
    row.refresh_from_db()
    assert row.price_collar_bps == Decimal(500)
    assert not ChangeRequest.objects.exists()


def test_the_override_form_checks_the_value_against_the_chosen_limit(client, desk_operator):
    client.force_login(desk_operator)
    data = {
        "scope": "global",
        "key": "",
        "field": "max_daily_loss",
        "value": "1.1234567890123",
        "expires_at_0": "2030-01-01",
        "expires_at_1": "00:00:00",
        "reason": "r",
    }

    refused = client.post("/admin/risk/temporarylimitoverride/add/", data)
    accepted = client.post("/admin/risk/temporarylimitoverride/add/", {**data, "value": "1000.5"})

    assert refused.status_code == 200
    message = refused.context["adminform"].form.errors["value"][0]
    assert "max_daily_loss takes at most 6 decimal places" in message
    assert "in the account currency" in message
    assert accepted.status_code == 302
    assert TemporaryLimitOverride.objects.get().value == Decimal("1000.5")
