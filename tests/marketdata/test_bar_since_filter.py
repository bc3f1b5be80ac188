"""The bars API's ``since`` filter takes any ISO 8601 moment: PostgreSQL refuses an offset past
±15:59 (DataError), so the moment is turned to UTC first; one outside the years 1 to 9999 in
UTC is a 400 naming ``since``, never a database error."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.marketdata.factories import BarFactory, InstrumentFactory

pytestmark = pytest.mark.django_db
BARS = "/api/v1/marketdata/bars/"


def test_since_with_an_offset_postgresql_cannot_hold_filters_in_utc(api_client, operator):
    aapl = InstrumentFactory(symbol="AAPL")
    BarFactory(instrument=aapl, timestamp=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    BarFactory(instrument=aapl, timestamp=datetime(2026, 3, 2, 16, 0, tzinfo=UTC))
    api_client.force_authenticate(operator)

    # 2026-03-03T15:16+23:46 is 2026-03-02T15:30 UTC.
    response = api_client.get(BARS, {"since": "2026-03-03T15:16:00+23:46"})

    assert response.status_code == 200, response.content
    (bar,) = response.json()["results"]
    assert bar["timestamp"].startswith("2026-03-02T16:00")
    # The connection is still usable: nothing aborted the transaction.
    assert api_client.get(BARS).status_code == 200


def test_since_before_the_year_1_in_utc_is_a_400_naming_since(api_client, operator):
    api_client.force_authenticate(operator)

    response = api_client.get(BARS, {"since": "0001-01-01T01:00:00+05:00"})

    assert response.status_code == 400
    assert "since" in response.json()
    assert api_client.get(BARS).status_code == 200
