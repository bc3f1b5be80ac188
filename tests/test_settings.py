"""Production settings refuse to start on missing or insecure values (run in a subprocess,
since settings are read once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_ENV = {
    "SECRET_KEY": "k" * 30 + "-production-grade-secret-value-0123456789",
    "ALLOWED_HOSTS": "tradingops.example.com",
    "DATABASE_URL": "postgres://tradingops@127.0.0.1:5432/tradingops",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def manage_in_production(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in GOOD_ENV and k not in ("REDIS_URL", "SECRET_KEY_FILE")
    }
    clean.update(DJANGO_SETTINGS_MODULE="tradingops.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY (or SECRET_KEY_FILE) must be set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must list the real host names"),
        ("DATABASE_URL", "DATABASE_URL must be set in production"),
        ("CELERY_BROKER_URL", "CELERY_BROKER_URL must name a real broker"),
    ],
)
def test_production_refuses_to_start_without_each_required_value(missing, message):
    env = {k: v for k, v in GOOD_ENV.items() if k != missing}

    result = manage_in_production("check", **env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_refuses_a_development_secret_key():
    result = manage_in_production("check", **{**GOOD_ENV, "SECRET_KEY": "dev-insecure-key"})

    assert result.returncode != 0
    assert "too short or a known development key" in result.stderr


def test_the_secret_key_can_come_from_a_file(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(GOOD_ENV["SECRET_KEY"] + "\n")
    env = {k: v for k, v in GOOD_ENV.items() if k != "SECRET_KEY"}

    result = manage_in_production("check", SECRET_KEY_FILE=str(secret), **env)

    assert result.returncode == 0, result.stderr


def test_with_every_value_set_the_deploy_check_reports_no_issues():
    result = manage_in_production("check", "--deploy", "--fail-level", "WARNING", **GOOD_ENV)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout
