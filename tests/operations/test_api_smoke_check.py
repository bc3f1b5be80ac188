"""scripts/api_smoke_check.py against the app this test starts (pytest-django's live_server):
every health endpoint, every GET of the OpenAPI schema validated against its response schema,
and freshness; a failure anywhere makes it exit non-zero."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from access.models import ApiTokenScope
from access.services import api_token_issue
from execution.services import trading_cycle_run

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "api_smoke_check.py"
TOKEN = "smoke-monitoring-token"
spec = importlib.util.spec_from_file_location("api_smoke_check", SCRIPT)
smoke = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = smoke  # dataclasses look their module up there
spec.loader.exec_module(smoke)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def stack(settings, strategy, django_user_model):
    """A trading loop that ran once, a monitoring token and an API user."""
    settings.MONITORING_TOKEN = TOKEN
    trading_cycle_run()
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="smoke", password="smoke-pw")
    user.groups.add(Group.objects.get(name="compliance"))  # reads everything, changes nothing
    _, secret = api_token_issue(user=user, name="smoke check", scope=ApiTokenScope.READ)
    return secret


def _run(live_server, capsys, api_token: str, *extra: str) -> tuple[int, list[dict]]:
    capsys.readouterr()
    code = smoke.main(
        [
            "--base-url",
            live_server.url,
            "--token",
            TOKEN,
            "--api-token",
            api_token,
            "--json",
            *extra,
        ]
    )
    return code, json.loads(capsys.readouterr().out)


def test_a_healthy_stack_passes_every_check(stack, live_server, capsys):
    code, rows = _run(live_server, capsys, stack)

    failed = [r for r in rows if not r["ok"]]
    assert failed == [], [(r["path"], r["detail"]) for r in failed]
    assert code == 0
    paths = {r["path"] for r in rows}
    assert set(smoke.HEALTH_PATHS) <= paths
    assert {
        "/api/v1/execution/orders/",
        "/api/v1/risk/kill-switch/",
        "/api/v1/models/status",
    } <= paths
    order = next(p for p in paths if p.startswith("/api/v1/execution/orders/") and p[-2].isdigit())
    assert order  # the detail of the first order was fetched and validated too
    assert [r["check"] for r in rows].count("freshness") == 2


def test_stale_data_fails_the_check_and_says_which_instrument(
    stack, live_server, capsys, frozen_clock
):
    from datetime import timedelta

    frozen_clock.advance(timedelta(minutes=30))  # no bar ingested for half an hour of market

    code, rows = _run(live_server, capsys, stack)

    assert code == 1
    data = next(r for r in rows if r["path"] == "/health/data" and r["check"] == "health")
    assert data["status"] == 503 and "AAPL" in data["detail"]


def test_a_missing_monitoring_token_fails_the_detailed_health_checks(stack, live_server, capsys):
    capsys.readouterr()
    code = smoke.main(["--base-url", live_server.url, "--api-token", stack, "--json"])
    rows = json.loads(capsys.readouterr().out)

    assert code == 1
    statuses = {r["path"]: r["status"] for r in rows if r["check"] == "health"}
    assert statuses["/health/live"] == 200 and statuses["/health/scheduler"] == 401


def test_wrong_api_credentials_fail_every_api_call(stack, live_server, capsys):
    capsys.readouterr()
    code = smoke.main(
        ["--base-url", live_server.url, "--token", TOKEN, "--api-token", "not-a-token", "--json"]
    )
    rows = json.loads(capsys.readouterr().out)

    calls = [r for r in rows if r["check"] in ("schema", "api")]
    assert code == 1 and calls and all(r["status"] in (401, 403) and not r["ok"] for r in calls)


def test_a_body_that_breaks_its_schema_is_reported():
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer"}, "note": {"type": "string", "nullable": True}},
    }
    check = smoke.SmokeCheck(client=None, token="", max_bar_age_s=60)
    check.spec = {"components": {}}
    converted = check._response_schema(
        {"responses": {"200": {"content": {"application/json": {"schema": schema}}}}}
    )
    import jsonschema

    jsonschema.validate({"id": 1, "note": None}, converted)  # nullable becomes null-able
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "one"}, converted)


def test_an_unreachable_stack_exits_2(capsys):
    code = smoke.main(["--base-url", "http://127.0.0.1:9", "--timeout", "2"])

    assert code == 2
    assert "FAIL" in capsys.readouterr().out
