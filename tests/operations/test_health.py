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


def test_ready_is_503_and_names_the_broker_when_it_is_unreachable(client, monkeypatch):
    # A real connection attempt to a port where nothing listens. Celery reads this variable
    # before its own configuration, so it wins on every broker the suite runs on.
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


def test_metrics_show_the_loop_state_read_from_the_database(client, strategy, operator):
    from execution.services import trading_cycle_run
    from operations.services import periodic_tasks_setup
    from risk.services import kill_switch_engage

    trading_cycle_run()
    periodic_tasks_setup()
    kill_switch_engage(actor=operator, reason="scrape test")

    body = client.get("/metrics").content.decode()

    assert "tradingops_risk_kill_switch_engaged 1.0" in body
    assert 'tradingops_marketdata_newest_bar_age_seconds{symbol="AAPL"} 30.0' in body
    assert 'tradingops_scheduler_task_state{periodic_task="ingest-bars",state="up"} 1.0' in body
    assert 'tradingops_models_champion_version{model="baseline-direction"} 1.0' in body
    assert 'tradingops_execution_orders{status="submitted"}' in body
    assert "tradingops_risk_decisions_total" in body
    assert 'tradingops_risk_limit_utilisation_ratio{limit="max_daily_loss"}' in body
