from __future__ import annotations

import pytest

from monitoring.charts import line_chart_svg

pytestmark = pytest.mark.django_db
URL = "/admin/oncall/"


def test_staff_see_every_section_of_the_oncall_page(client, operator, strategy):
    from execution.services import trading_cycle_run
    from operations.schedule import periodic_tasks_setup

    trading_cycle_run()
    periodic_tasks_setup()
    client.force_login(operator)

    page = client.get(URL)

    assert page.status_code == 200
    html = page.content.decode()
    for section in (
        "trading-state",
        "components",
        "scheduler",
        "champions",
        "charts",
        "rejections",
    ):
        assert f'id="{section}"' in html
    assert "Kill switch released" in html
    assert "baseline-direction v1" in html
    assert "ingest-bars" in html and "predict-and-trade" in html
    assert 'http-equiv="refresh"' in html


def test_stale_market_data_reads_red_on_the_oncall_page(client, operator, history, frozen_clock):
    from datetime import timedelta

    client.force_login(operator)
    fresh = client.get(URL).content.decode()
    frozen_clock.advance(timedelta(hours=1))  # market open, no new bars

    stale = client.get(URL).content.decode()

    assert '<td>marketdata</td><td class="ok">ok</td>' in fresh
    assert '<td>marketdata</td><td class="bad">stale: AAPL, MSFT, SPY</td>' in stale


def test_people_who_are_not_staff_are_sent_to_the_login(client, outsider):
    client.force_login(outsider)

    response = client.get(URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_admin_links_to_the_oncall_page(client, operator):
    client.force_login(operator)

    assert URL.encode() in client.get("/admin/").content


def test_a_chart_scales_points_into_its_box():
    svg = line_chart_svg([(0, 0), (10, 5), (20, -5)], label="PnL <day>")

    assert 'data-points="3"' in svg
    assert "<polyline" in svg
    assert "PnL &lt;day&gt;" in svg
    coordinates = svg.split("<polyline")[1].split('points="')[1].split('"')[0].split()
    assert coordinates[0] == "8.0,80.0" and coordinates[2] == "632.0,152.0"


def test_a_chart_with_fewer_than_two_points_says_so():
    svg = line_chart_svg([(1, 1)], label="latency")

    assert "not enough data yet" in svg and "<polyline" not in svg


def test_a_flat_series_is_drawn_across_the_middle():
    svg = line_chart_svg([(5, 2.0), (5, 2.0)], label="flat")

    assert 'points="320.0,80.0 320.0,80.0"' in svg
