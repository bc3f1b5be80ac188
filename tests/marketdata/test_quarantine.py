"""Quarantine end to end: storage with a flag, confirmation, operator review, downstream reads."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.urls import reverse

from audit.models import AuditEvent
from common.exceptions import ValidationFailed
from marketdata.choices import BarStatus
from marketdata.models import Bar, BarReview, Instrument
from marketdata.providers.base import FetchResult, RawBar
from marketdata.samples import TIMES_TEN, Crash, inject_fault, realistic_minute_bars
from marketdata.selectors import bar_history, bar_latest, bar_next
from marketdata.services import bar_discard, bar_release, bars_ingest, instrument_fetched_store
from models_registry.services import signals_generate
from tests.marketdata.factories import InstrumentFactory

pytestmark = pytest.mark.django_db


class ListProvider:
    """Serves a fixed list of bars (a stand-in feed whose content the test controls)."""

    name = "listfeed"

    def __init__(self, bars: list[RawBar]) -> None:
        self.bars = bars

    def fetch_bars(self, *, symbol, timeframe, start, end) -> FetchResult:
        return FetchResult(bars=[b for b in self.bars if start <= b.timestamp < end])


@pytest.fixture
def aapl():
    return InstrumentFactory(symbol="AAPL", calendar="")


def series(frozen_clock, count=120, **kwargs) -> list[RawBar]:
    start = frozen_clock.now().replace(second=0) - timedelta(minutes=count + 10)
    return realistic_minute_bars(symbol="AAPL", start=start, count=count, seed=5, **kwargs)


def store(instrument, bars):
    return instrument_fetched_store(
        instrument=instrument,
        source="listfeed",
        timeframe="1m",
        start=bars[0].timestamp,
        fetched=FetchResult(bars=bars),
    )


def test_a_bad_tick_is_stored_quarantined_with_its_reasons_and_counted(aapl, frozen_clock):
    bars = inject_fault(series(frozen_clock), 100, TIMES_TEN)

    outcome = store(aapl, bars)

    bad = Bar.objects.get(timestamp=bars[100].timestamp)
    assert outcome.stored == 120
    assert outcome.quarantined == 1
    assert bad.status == BarStatus.QUARANTINED
    assert "jump_from_trusted" in bad.quality_reasons
    assert Bar.objects.exclude(status=BarStatus.OK).count() == 1


def test_quarantined_bars_are_invisible_to_the_readers_of_features_fills_and_marks(
    aapl, frozen_clock
):
    bars = inject_fault(series(frozen_clock), 119, TIMES_TEN)
    store(aapl, bars)

    latest = bar_latest(instrument_id=aapl.pk, timeframe="1m")
    history = bar_history(instrument_id=aapl.pk, timeframe="1m")
    following = bar_next(instrument_id=aapl.pk, timeframe="1m", after=bars[118].timestamp)

    assert latest.timestamp == bars[118].timestamp
    assert bars[119].timestamp not in {bar.timestamp for bar in history}
    assert following is None
    assert bar_latest(instrument_id=aapl.pk, timeframe="1m", trusted=False).timestamp == (
        bars[119].timestamp
    )


def test_a_signal_is_built_on_the_newest_trusted_bar_not_on_a_quarantined_one(
    champion, frozen_clock
):
    aapl = Instrument.objects.get(symbol="AAPL")
    newest = bar_latest(instrument_id=aapl.pk, timeframe="1m")
    bad = Bar.objects.create(
        instrument=aapl,
        timeframe="1m",
        timestamp=newest.timestamp + timedelta(minutes=1),
        open=newest.close * 10,
        high=newest.close * 10,
        low=newest.close * 10,
        close=newest.close * 10,
        volume=1,
        source="test",
        ingested_at=frozen_clock.now(),
        status=BarStatus.QUARANTINED,
        quality_reasons=["jump_from_trusted"],
    )

    (signal,) = signals_generate(model_version=champion, instruments=[aapl])

    assert signal.bar_timestamp == newest.timestamp != bad.timestamp


def test_a_crash_quarantined_at_the_end_of_one_cycle_is_confirmed_by_the_next(aapl, frozen_clock):
    bars = series(frozen_clock, crash=Crash(at=118, drop_pct=25, minutes=1, vol_multiplier=1))
    store(aapl, bars[:119])
    crash_bar = Bar.objects.get(timestamp=bars[118].timestamp)
    assert crash_bar.status == BarStatus.QUARANTINED

    later = [
        dataclasses.replace(bars[119], timestamp=bars[119].timestamp + timedelta(minutes=i))
        for i in range(4)
    ]
    outcome = store(aapl, later)

    crash_bar.refresh_from_db()
    assert crash_bar.status == BarStatus.CONFIRMED
    assert outcome.confirmed >= 1
    review = BarReview.objects.get(bar=crash_bar)
    assert (review.action, review.actor_name) == ("confirm", "system")
    assert "new level" in review.reason


def test_a_second_version_of_a_stored_bar_from_the_same_source_is_rejected(aapl, frozen_clock):
    bars = series(frozen_clock, count=30)
    store(aapl, bars)
    changed = dataclasses.replace(bars[10], close=bars[10].close + Decimal("0.01"))
    changed = dataclasses.replace(changed, high=max(changed.high, changed.close))

    outcome = store(aapl, [changed])

    assert outcome.rejected == 1
    assert Bar.objects.get(timestamp=bars[10].timestamp).close == bars[10].close


def test_an_identical_redelivery_of_stored_bars_is_neither_stored_nor_rejected(aapl, frozen_clock):
    bars = series(frozen_clock, count=30)
    store(aapl, bars)

    outcome = store(aapl, bars[5:15])

    assert (outcome.stored, outcome.rejected) == (0, 0)


def quarantined_bar(aapl, frozen_clock) -> Bar:
    store(aapl, inject_fault(series(frozen_clock), 100, TIMES_TEN))
    return Bar.objects.get(status=BarStatus.QUARANTINED)


def test_an_operator_release_trusts_the_bar_and_audits_actor_reason_and_request(
    aapl, frozen_clock, operator
):
    bar = quarantined_bar(aapl, frozen_clock)

    bar_release(bar=bar, actor=operator, reason="checked the tape", request_id="req-1")

    bar.refresh_from_db()
    assert bar.status == BarStatus.RELEASED
    review = BarReview.objects.get(bar=bar)
    assert (review.action, review.actor, review.reason, review.request_id) == (
        "release",
        operator,
        "checked the tape",
        "req-1",
    )
    chained = AuditEvent.objects.get(action="marketdata.bar_release")
    assert (chained.actor, chained.reason, chained.request_id, chained.object_id) == (
        operator,
        "checked the tape",
        "req-1",
        str(bar.pk),
    )


def test_a_discard_keeps_the_bar_out_for_good_and_a_second_review_is_refused(
    aapl, frozen_clock, operator
):
    bar = quarantined_bar(aapl, frozen_clock)
    bar_discard(bar=bar, actor=operator, reason="fat finger print")

    with pytest.raises(ValidationFailed):
        bar_release(bar=bar, actor=operator, reason="changed my mind")

    bar.refresh_from_db()
    assert bar.status == BarStatus.DISCARDED
    assert BarReview.objects.filter(bar=bar).count() == 1


def test_a_release_without_a_reason_is_refused(aapl, frozen_clock, operator):
    bar = quarantined_bar(aapl, frozen_clock)

    with pytest.raises(ValidationFailed):
        bar_release(bar=bar, actor=operator, reason="  ")

    bar.refresh_from_db()
    assert bar.status == BarStatus.QUARANTINED


@pytest.fixture
def reviewer(operator):
    for codename in ("view_bar", "review_bar"):
        operator.user_permissions.add(
            Permission.objects.get(content_type__app_label="marketdata", codename=codename)
        )
    operator.refresh_from_db()
    return operator


def test_the_admin_release_action_asks_for_a_reason_then_releases(
    client, aapl, frozen_clock, reviewer
):
    bar = quarantined_bar(aapl, frozen_clock)
    client.force_login(reviewer)
    url = reverse("admin:marketdata_bar_changelist")
    selection = {"action": "release_bars", "_selected_action": [bar.pk]}

    confirm = client.post(url, selection)
    done = client.post(url, {**selection, "apply": "1", "reason": "prints match the SIP"})

    assert confirm.status_code == 200
    assert b"reason" in confirm.content
    assert done.status_code == 302
    bar.refresh_from_db()
    assert bar.status == BarStatus.RELEASED
    assert BarReview.objects.get(bar=bar).actor == reviewer


def test_the_admin_review_actions_are_not_offered_without_the_review_permission(
    client, aapl, frozen_clock, operator
):
    operator.user_permissions.add(
        Permission.objects.get(content_type__app_label="marketdata", codename="view_bar")
    )
    client.force_login(operator)

    response = client.get(reverse("admin:marketdata_bar_changelist"))

    assert response.status_code == 200
    assert b"release_bars" not in response.content


def write_csv(path, bars: list[RawBar]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "open", "high", "low", "close", "volume"])
        for bar in bars:
            writer.writerow(
                [bar.timestamp.isoformat(), bar.open, bar.high, bar.low, bar.close, bar.volume]
            )


def test_check_bars_reports_rows_read_and_each_flagged_row_as_one_json_object(
    tmp_path, frozen_clock
):
    bars = series(frozen_clock, count=300, crash=Crash(at=200, drop_pct=20, vol_multiplier=1))
    bars = inject_fault(inject_fault(bars, 100, TIMES_TEN), 150, "zero")
    path = tmp_path / "AAPL.csv"
    write_csv(path, bars)
    out = StringIO()

    call_command("check_bars", str(path), "--json", stdout=out)

    report = json.loads(out.getvalue())
    flagged = {row["timestamp"]: row for row in report["flagged"]}
    assert report["rows_read"] == 300
    assert flagged[bars[100].timestamp.isoformat()]["status"] == "quarantined"
    assert flagged[bars[150].timestamp.isoformat()]["status"] == "rejected"
    assert "non_positive_price" in flagged[bars[150].timestamp.isoformat()]["reasons"]
    assert flagged[bars[200].timestamp.isoformat()]["status"] == "confirmed"
    assert report["counts"]["quarantined"] <= 3


def test_ingest_reports_quarantined_bars_per_symbol(aapl, frozen_clock):
    bars = inject_fault(series(frozen_clock), 100, TIMES_TEN)

    report = bars_ingest(provider=ListProvider(bars), start=bars[0].timestamp)

    assert report.quarantined == {"AAPL": 1}
    assert report.stored == {"AAPL": 120}
