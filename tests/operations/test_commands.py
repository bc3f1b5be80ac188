from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from execution.models import Strategy
from execution.services import trading_cycle_run
from operations.schedule import periodic_tasks_setup
from risk.models import RiskDecision

pytestmark = pytest.mark.django_db


def test_periodic_task_setup_is_idempotent_and_keeps_schedules_edited_in_admin(settings):
    periodic_tasks_setup()
    edited = PeriodicTask.objects.get(name="ingest-bars")
    # 420 s: an interval no scheduled task uses (reconcile runs every 300 s), so the
    # configured intervals' get_or_create still finds exactly one row each.
    edited.interval = IntervalSchedule.objects.create(every=420, period="seconds")
    edited.enabled = False
    edited.save()

    periodic_tasks_setup()

    assert PeriodicTask.objects.filter(name__in=["ingest-bars", "predict-and-trade"]).count() == 2
    edited.refresh_from_db()
    assert (edited.interval.every, edited.enabled) == (420, False)

    periodic_tasks_setup(reset_schedule=True)
    edited.refresh_from_db()
    assert edited.interval.every == settings.SCHEDULE_INGEST_SECONDS


def test_seed_builds_the_demo_and_prints_the_generated_password_once(capsys, monkeypatch):
    monkeypatch.delenv("TRADINGOPS_ADMIN_PASSWORD", raising=False)

    call_command("seed")
    first = capsys.readouterr().out
    call_command("seed")
    second = capsys.readouterr().out

    password = first.split("operator / ")[1].split()[0]
    operator = get_user_model().objects.get(username="operator")
    assert operator.check_password(password)
    assert operator.is_staff
    assert "already exists" in second and password not in second
    strategy = Strategy.objects.get()
    assert strategy.instruments.count() == 3
    assert strategy.registered_model.versions.filter(aliases__alias="champion").count() == 1


def test_seed_leaves_no_price_stale_however_long_the_model_took_to_train(monkeypatch, frozen_clock):
    from marketdata.selectors import instruments_staleness
    from operations import seed as operations_seed

    train = operations_seed.model_version_train

    def slow_train(**kwargs):
        version = train(**kwargs)
        # The demo's 12x clock runs on while the model fits: past the 3-bar staleness limit.
        frozen_clock.advance(timedelta(minutes=5))
        return version

    monkeypatch.setattr(operations_seed, "model_version_train", slow_train)
    monkeypatch.setenv("TRADINGOPS_ADMIN_PASSWORD", "correct-horse-battery")

    call_command("seed")

    assert not [symbol for symbol, found in instruments_staleness().items() if found.stale]
    trading_cycle_run()
    refused = [
        reason["code"] for decision in RiskDecision.objects.all() for reason in decision.reasons
    ]
    assert "price_stale" not in refused


def test_seed_takes_the_operator_password_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("TRADINGOPS_ADMIN_PASSWORD", "correct-horse-battery")

    call_command("seed")

    assert get_user_model().objects.get(username="operator").check_password("correct-horse-battery")
