"""The on-call page in a real browser: Debian's chromium driven by Playwright.

An operator logs in through the admin form, opens the dashboard, sees the kill switch state
and both plots drawn; a screenshot is kept under var/test/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from django_celery_results.models import TaskResult

from execution.services import order_submit, order_updates_poll
from marketdata.models import Bar
from risk.services import kill_switch_engage

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "test" / "screenshots"

if not Path(CHROMIUM).exists() and os.environ.get("CI"):
    pytest.fail("chromium is missing in CI: .ci/run must install Debian's chromium package")
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium not installed"),
]
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def trading_day(strategy, instruments, next_bar, operator):
    """Two fills and three timed trading cycles, then the kill switch engaged."""
    for instrument in instruments[:2]:
        bar = Bar.objects.filter(instrument=instrument).latest("timestamp")
        order_submit(
            strategy=strategy,
            instrument=instrument,
            side="buy",
            quantity=Decimal("5"),
            reference_price=bar.close,
            bar_timestamp=bar.timestamp,
        )
    next_bar()
    order_updates_poll()
    now = timezone.now()
    for n, seconds in enumerate((0.8, 1.4, 0.9)):
        TaskResult.objects.create(
            task_id=f"cycle-{n}", task_name="execution.predict_and_trade", status="SUCCESS"
        )
        TaskResult.objects.filter(task_id=f"cycle-{n}").update(
            date_created=now - timedelta(minutes=10 - n),
            date_done=now - timedelta(minutes=10 - n) + timedelta(seconds=seconds),
        )
    kill_switch_engage(actor=operator, reason="browser drill")


def test_an_operator_sees_the_dashboard_with_plots_and_kill_switch_state(
    live_server, operator, trading_day, monkeypatch
):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{live_server.url}/admin/login/?next=/admin/oncall/")
            page.fill("#id_username", "alice")
            page.fill("#id_password", "pw-alice")
            page.click("input[type=submit]")
            page.wait_for_url("**/admin/oncall/")

            state = page.text_content("#kill-switch-state")
            plots = page.locator("#charts svg.chart polyline")
            plot_points = [plots.nth(i).get_attribute("points") for i in range(plots.count())]
            banner = page.text_content("#kill-switch-banner")
            page.screenshot(path=str(SCREENSHOTS / "oncall.png"), full_page=True)
        finally:
            browser.close()

    assert "ENGAGED" in state and "browser drill" in state
    assert len(plot_points) == 2
    assert all(len(points.split()) >= 2 for points in plot_points)
    assert "browser drill" in banner
    assert (SCREENSHOTS / "oncall.png").stat().st_size > 10_000
