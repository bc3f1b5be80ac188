"""Secrets come only from the environment or NAME_FILE, production refuses shipped defaults,
and no secret shows on an error page or in admin history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.test import Client

from audit.models import AuditEvent
from tradingops.settings.base import SECRET_SETTINGS, env_secret

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_KEY = "pk-live-7f3c9a1e5b2d4f60a8c1"
DATABASE_PASSWORD = "db-pass-93jd8s7h2k"
GOOD_ENV = {
    "SECRET_KEY": "k" * 30 + "-production-grade-secret-value-0123456789",
    "ALLOWED_HOSTS": "tradingops.example.com",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
}


def test_a_secret_file_wins_over_the_variable(monkeypatch, tmp_path):
    secret = tmp_path / "polygon"
    secret.write_text(PROVIDER_KEY + "\n")
    monkeypatch.setenv("POLYGON_API_KEY", "from-the-environment")
    monkeypatch.setenv("POLYGON_API_KEY_FILE", str(secret))

    assert env_secret("POLYGON_API_KEY") == PROVIDER_KEY


def _production_check(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in (*SECRET_SETTINGS, "SECRET_KEY_FILE")}
    clean.update(DJANGO_SETTINGS_MODULE="tradingops.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True,
        text=True, timeout=120, check=False,
    )  # fmt: skip


def test_production_reads_the_database_url_from_a_file_and_refuses_shipped_defaults(tmp_path):
    url_file = tmp_path / "database_url"
    url_file.write_text(f"postgres://tradingops:{DATABASE_PASSWORD}@127.0.0.1:5432/tradingops")

    good = _production_check(**GOOD_ENV, DATABASE_URL_FILE=str(url_file))
    default_token = _production_check(
        **GOOD_ENV, DATABASE_URL_FILE=str(url_file), MONITORING_TOKEN="changeme-token"
    )
    short_retention = _production_check(
        **GOOD_ENV, DATABASE_URL_FILE=str(url_file), AUDIT_RETENTION_DAYS="30"
    )

    assert good.returncode == 0, good.stderr
    assert default_token.returncode != 0
    assert "MONITORING_TOKEN is a known development default" in default_token.stderr
    assert short_retention.returncode != 0
    assert "AUDIT_RETENTION_DAYS must be at least six years" in short_retention.stderr
    assert DATABASE_PASSWORD not in good.stdout + good.stderr + default_token.stderr


@pytest.fixture
def secrets_set(settings):
    settings.POLYGON_API_KEY = PROVIDER_KEY
    settings.DATABASE_URL = f"postgres://tradingops:{DATABASE_PASSWORD}@db/tradingops"
    settings.ALLOWED_HOSTS = ["testserver"]


@pytest.mark.urls("tests.tradingops.error_urls")
@pytest.mark.parametrize("debug", [False, True])
def test_a_500_page_never_shows_a_secret(secrets_set, settings, debug):
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)

    response = client.get("/fail/")

    assert response.status_code == 500
    page = response.content.decode()
    assert PROVIDER_KEY not in page
    assert DATABASE_PASSWORD not in page
    if debug:  # the technical page lists settings and locals, masked
        assert "POLYGON_API_KEY" in page and "DATABASE_URL" in page
        assert "********" in page


@pytest.mark.parametrize("debug", [False, True])
def test_a_404_page_never_shows_a_secret(secrets_set, settings, client, debug):
    settings.DEBUG = debug

    response = client.get(f"/no-such-page/{PROVIDER_KEY[:4]}")

    assert response.status_code == 404
    assert PROVIDER_KEY not in response.content.decode()
    assert DATABASE_PASSWORD not in response.content.decode()


@pytest.mark.django_db
def test_a_password_change_leaves_no_password_in_admin_history_or_the_audit_trail(
    admin_client, django_user_model
):
    user = django_user_model.objects.create_user("dora", password="first-Passw0rd-value")
    new_password = "S3cret-Passw0rd-9f8e7d"

    response = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )
    user.refresh_from_db()
    history = admin_client.get(f"/admin/auth/user/{user.pk}/history/").content.decode()
    logs = admin_client.get("/admin/auditlog/logentry/").content.decode()

    assert response.status_code == 302
    assert user.check_password(new_password)
    entries = LogEntry.objects.get_for_object(user)
    assert entries.exists()
    chained = AuditEvent.objects.filter(object_type="auth.user", object_id=str(user.pk))
    recorded = str(list(entries.values())) + str(list(chained.values())) + history + logs
    for secret in (new_password, user.password, user.password.split("$")[-1]):
        assert secret not in recorded
    assert all("password" not in (entry.changes or {}) for entry in entries)
