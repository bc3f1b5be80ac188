"""Personas, the frozen clock and a seeded trading loop shared by the tests."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from common import clock
from common.clock import FrozenClock
from marketdata.models import Instrument
from marketdata.providers.synthetic import SyntheticProvider
from marketdata.services import bars_ingest
from marketdata.timeframes import last_complete_bar_end
from models_registry import inference
from models_registry.services import model_version_train
from tests.execution.factories import StrategyFactory
from tests.migration_moves import migrate_to_head

# A Monday afternoon in New York, inside the synthetic provider's range.
FROZEN_AT = datetime(2026, 3, 2, 19, 0, 30, tzinfo=UTC)
SYMBOLS = ("AAPL", "MSFT", "SPY")
HISTORY_BARS = 400


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test runs on a clock that moves only when the test says so."""
    frozen = FrozenClock(FROZEN_AT)
    clock.set_clock(frozen)
    yield frozen
    clock.set_clock(None)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: a rolled-back database hands out the same ids
    again, and an earlier test's cached newest bar would answer for this test's instrument."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def fresh_risk_state(fresh_cache):
    """Each test starts without this process's cached risk state; the shared version copy in
    the cache went with ``fresh_cache``: a rolled-back test leaves neither behind."""
    from risk import state_store

    state_store.state_forget()
    yield
    state_store.state_forget()


@pytest.fixture(autouse=True)
def artifact_dir(settings, tmp_path):
    settings.MODEL_ARTIFACT_DIR = tmp_path / "artifacts"
    return settings.MODEL_ARTIFACT_DIR


@pytest.fixture(autouse=True)
def fresh_model_cache():
    """Each test starts with no verified models in memory, as a fresh worker would."""
    inference._loaded.clear()
    yield
    inference._loaded.clear()


@pytest.fixture
def provider() -> SyntheticProvider:
    return SyntheticProvider(seed=7)


def user_with_permissions(django_user_model, username: str, *permissions: str):
    user = django_user_model.objects.create_user(username=username, password="pw-" + username)
    for codename in permissions:
        app_label, name = codename.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=name)
        )
    return django_user_model.objects.get(pk=user.pk)  # fresh: no stale permission cache


@pytest.fixture
def operator(django_user_model):
    """Alice runs the desk: staff, may engage and release the kill switch."""
    user = user_with_permissions(
        django_user_model,
        "alice",
        "risk.operate_killswitch",
        "risk.change_killswitch",
        "risk.view_killswitch",
    )
    user.is_staff = True
    user.save()
    return user


def _member(django_user_model, username: str, group: str):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        username=username, password="pw-" + username, is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    return django_user_model.objects.get(pk=user.pk)


@pytest.fixture
def desk_operator(django_user_model):
    """Oscar is in the operator group: engages, requests releases and limit changes."""
    return _member(django_user_model, "oscar", "operator")


@pytest.fixture
def risk_officer(django_user_model):
    """Rita is a risk officer: approves releases and limit raises made by others."""
    return _member(django_user_model, "rita", "risk_officer")


@pytest.fixture
def second_risk_officer(django_user_model):
    return _member(django_user_model, "ralph", "risk_officer")


@pytest.fixture
def compliance_officer(django_user_model):
    """Carla reads everything and changes nothing."""
    return _member(django_user_model, "carla", "compliance")


@pytest.fixture
def role_user(django_user_model):
    """A staff member of one role group (access.roles), e.g. ``role_user("ml_engineer")``."""

    def make(group: str, username: str | None = None):
        return _member(django_user_model, username or f"{group}-member", group)

    return make


@pytest.fixture
def outsider(django_user_model):
    """Charlie has an account and nothing else."""
    return user_with_permissions(django_user_model, "charlie")


@pytest.fixture
def shell_token(monkeypatch):
    """Present a person's API token to management commands, as they would at a shell
    (``TRADINGOPS_API_TOKEN``); returns the token row."""
    from access.services import api_token_issue

    def present(user, scope: str = "read_write"):
        token, secret = api_token_issue(user=user, name="shell", scope=scope)
        monkeypatch.setenv("TRADINGOPS_API_TOKEN", secret)
        return token

    monkeypatch.delenv("TRADINGOPS_API_TOKEN", raising=False)
    monkeypatch.delenv("TRADINGOPS_OTP_CODE", raising=False)
    return present


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def instruments(db) -> list[Instrument]:
    return [Instrument.objects.create(symbol=symbol, name=symbol) for symbol in SYMBOLS]


@pytest.fixture
def history(instruments, provider, frozen_clock):
    """HISTORY_BARS one-minute bars per instrument up to the frozen time."""
    end = last_complete_bar_end(frozen_clock.now(), "1m")
    bars_ingest(provider=provider, start=end - timedelta(minutes=HISTORY_BARS), end=end)
    return instruments


@pytest.fixture
def champion(history):
    return model_version_train(model_name="baseline-direction", promote=True)


@pytest.fixture
def strategy(champion, instruments):
    return StrategyFactory(
        name="baseline-long-flat",
        registered_model=champion.registered_model,
        notional_per_trade=Decimal("10000"),
        instruments=instruments,
    )


@pytest.fixture
def next_bar(provider, frozen_clock):
    """Move the clock one bar on and ingest it, as the ingest task would."""

    def advance(minutes: int = 1) -> None:
        frozen_clock.advance(timedelta(minutes=minutes))
        bars_ingest(provider=provider)

    return advance


@pytest.fixture
def log_output():
    """What the configured console handler writes, read back from a buffer."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.StreamHandler) and getattr(h.formatter, "processors", None)
    ]
    assert handlers, "the structured console handler is not configured"
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous, strict=True):
        handler.setStream(stream)
    root.setLevel(level)


@pytest.fixture
def migrations_back_to_head():
    """Leave the database fully migrated, whatever targets a migration test moved it to."""
    yield
    migrate_to_head()
