from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_live_answers_without_authentication(client):
    response = client.get("/health/live")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_each_component_ok(client):
    response = client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["components"]["database"] == "ok"
    assert body["components"]["broker"] == "ok"
    assert body["failing"] == []


def test_ready_is_503_and_names_the_broker_when_it_is_unreachable(
    client, monkeypatch, settings, tmp_path
):
    from tradingops.celery import app as celery_app

    if settings.EMBEDDED_BROKER:
        # The embedded broker is its folders: var/ deleted under a running stack.
        options = dict(celery_app.conf.broker_transport_options)
        options["data_folder_in"] = options["data_folder_out"] = str(tmp_path / "gone")
        monkeypatch.setitem(celery_app.conf, "broker_transport_options", options)
    else:
        # A real connection attempt to a port where nothing listens. Celery reads this
        # variable before its own configuration, so it wins over the configured URL.
        monkeypatch.setenv("CELERY_BROKER_WRITE_URL", "redis://127.0.0.1:9/0")

    response = client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "fail"
    assert body["failing"] == ["broker"]
    assert body["components"]["broker"].startswith("error: ")
    assert body["components"]["database"] == "ok"


def test_health_endpoints_refuse_other_methods(client):
    assert client.post("/health/live").status_code == 405


def test_metrics_show_the_loop_state_read_from_the_database(client, strategy, operator, settings):
    from execution.services import trading_cycle_run
    from operations.schedule import periodic_tasks_setup
    from risk.services import kill_switch_engage

    trading_cycle_run()
    periodic_tasks_setup()
    kill_switch_engage(actor=operator, reason="scrape test")

    settings.MONITORING_TOKEN = "monitor-token-123456"
    body = client.get("/metrics", HTTP_AUTHORIZATION="Bearer monitor-token-123456").content.decode()

    assert "tradingops_risk_kill_switch_engaged 1.0" in body
    assert 'tradingops_marketdata_newest_bar_age_seconds{symbol="AAPL"} 30.0' in body
    assert 'tradingops_marketdata_bars_missing{symbol="AAPL"} 0.0' in body
    assert 'tradingops_scheduler_task_state{periodic_task="ingest-bars",state="up"} 1.0' in body
    assert 'tradingops_models_champion_version{model="baseline-direction"} 1.0' in body
    assert 'tradingops_execution_orders{status="canceled"}' in body  # the kill switch cancels
    assert "tradingops_risk_decisions_total" in body
    assert 'tradingops_risk_limit_utilisation_ratio{limit="max_daily_loss"}' in body


def test_detailed_health_needs_staff_or_the_monitoring_token(client, settings):
    settings.MONITORING_TOKEN = "monitor-token-123456"

    assert client.get("/health/scheduler").status_code == 401
    assert client.get("/health", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/health/scheduler", HTTP_AUTHORIZATION="Bearer monitor-token-123456")
    assert response.status_code == 200


def test_health_scheduler_lists_each_task_with_its_state(client, operator):
    from operations.schedule import periodic_tasks_setup

    periodic_tasks_setup()
    client.force_login(operator)

    body = client.get("/health/scheduler").json()

    assert body["status"] == "ok"
    tasks = {task["name"]: task for task in body["tasks"]}
    assert set(tasks) == {
        "ingest-bars",
        "predict-and-trade",
        "expire-risk-overrides",
        "build-dataset",
        "drift-reports",
        "verify-audit-chain",
        "poll-order-updates",
        "reconcile-broker",
        "ledger-check",
        "staging-run-report",
        "database-backup",
        "restore-drill",
    }
    for task in tasks.values():
        assert task["state"] == "up"
        assert task["last_run_at"] is None and task["next_run_at"]


def test_a_down_task_makes_health_503_naming_it(client, operator):
    from django_celery_results.models import TaskResult

    from operations.schedule import periodic_tasks_setup

    periodic_tasks_setup()
    for n in range(2):
        TaskResult.objects.create(
            task_id=f"t{n}",
            task_name="marketdata.ingest_bars",
            periodic_task_name="ingest-bars",
            status="FAILURE",
        )
    client.force_login(operator)

    aggregate = client.get("/health")
    scheduler = client.get("/health/scheduler")

    assert aggregate.status_code == 503
    assert aggregate.json()["failing"] == ["scheduler:ingest-bars"]
    assert scheduler.status_code == 503
    assert scheduler.json()["failing"] == ["ingest-bars"]


def test_health_data_shows_each_instrument_and_provider(client, operator, history):
    client.force_login(operator)

    response = client.get("/health/data")

    assert response.status_code == 200
    body = response.json()
    assert set(body["instruments"]) == {"AAPL", "MSFT", "SPY"}
    assert body["instruments"]["AAPL"] == {"newest_bar_age_s": 30.0, "stale": False}
    assert body["providers"]


def test_health_data_is_503_naming_stale_instruments(client, operator, history, frozen_clock):
    from datetime import timedelta

    frozen_clock.advance(timedelta(hours=1))  # market open, no new bars
    client.force_login(operator)

    response = client.get("/health/data")

    assert response.status_code == 503
    assert response.json()["failing"] == ["AAPL", "MSFT", "SPY"]
    assert "data:AAPL" in client.get("/health").json()["failing"]


def test_health_risk_reports_the_halt_as_a_state(client, operator):
    from risk.services import kill_switch_engage

    kill_switch_engage(actor=operator, reason="health check")
    client.force_login(operator)

    body = client.get("/health/risk").json()

    assert body["kill_switch"]["engaged"] is True
    assert body["trading_state"]["global"].lower() == "halted"
    assert "daily_loss" in body


def test_health_models_names_champions_and_flags_a_strategy_without_one(client, operator, strategy):
    from models_registry.models import ModelAlias

    client.force_login(operator)
    healthy = client.get("/health/models")
    ModelAlias.objects.filter(alias="champion").delete()
    broken = client.get("/health/models")

    assert healthy.status_code == 200
    assert healthy.json()["models"][0]["champion"]["version"] == 1
    assert broken.status_code == 503
    assert broken.json()["failing"] == ["baseline-direction"]


def test_metrics_need_the_monitoring_token_unless_public(client, settings):
    settings.MONITORING_TOKEN = "monitor-token-123456"
    settings.METRICS_PUBLIC = False

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer monitor-token-123456").status_code == 200
    )
    settings.METRICS_PUBLIC = True
    assert client.get("/metrics").status_code == 200


def test_ready_is_503_naming_market_data_when_prices_are_stale(client, history, frozen_clock):
    from datetime import timedelta

    fresh = client.get("/health/ready")
    frozen_clock.advance(timedelta(hours=1))  # market open, no new bars

    stale = client.get("/health/ready")

    assert fresh.status_code == 200
    assert fresh.json()["components"]["marketdata"] == "ok"
    assert stale.status_code == 503
    body = stale.json()
    assert body["failing"] == ["marketdata"]
    assert body["components"]["marketdata"] == "stale: AAPL, MSFT, SPY"
    assert body["detail"]["marketdata"]["stale_instruments"] == ["AAPL", "MSFT", "SPY"]
