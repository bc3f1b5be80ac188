"""Secrets never reach a log line, whichever path the line takes."""

from __future__ import annotations

import logging

import pytest
import structlog

from tradingops import logging as tradingops_logging

SENTINEL = "sentinel-secret-7f3a9c2e"


@pytest.fixture(autouse=True)
def secret_in_environment(monkeypatch):
    monkeypatch.setenv("ALPACA_API_SECRET_KEY", SENTINEL)
    tradingops_logging.secret_values.cache_clear()
    yield
    tradingops_logging.secret_values.cache_clear()


def test_secret_named_fields_are_redacted_in_structlog_events(log_output):
    structlog.get_logger("tests").warning("connecting", api_key="abc12345678", password="hunter22!")

    err = log_output.getvalue()
    assert "connecting" in err
    assert "abc12345678" not in err and "hunter22!" not in err
    assert err.count("[REDACTED]") == 2


def test_a_secret_value_inside_a_message_or_field_is_masked(log_output):
    structlog.get_logger("tests").error(f"auth failed for {SENTINEL}", detail={"sent": SENTINEL})
    logging.getLogger("tests.stdlib").error("stdlib line with %s", SENTINEL)

    err = log_output.getvalue()
    assert "auth failed for [REDACTED]" in err
    assert "stdlib line with [REDACTED]" in err
    assert SENTINEL not in err


def test_a_secret_in_a_traceback_is_masked(log_output):
    try:
        raise RuntimeError(f"provider refused key {SENTINEL}")
    except RuntimeError:
        structlog.get_logger("tests").exception("provider_call_failed")

    err = log_output.getvalue()
    assert "provider refused key [REDACTED]" in err
    assert SENTINEL not in err


@pytest.mark.django_db
def test_an_authorization_header_never_reaches_the_request_logs(client, log_output):
    response = client.get("/api/v1/execution/orders/", HTTP_AUTHORIZATION=f"Token {SENTINEL}")

    err = log_output.getvalue()
    assert "request_finished" in err
    assert response["X-Request-ID"] in err
    assert SENTINEL not in err
