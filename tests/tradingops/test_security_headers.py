"""Security headers on the dashboard, admin and API; HSTS and secure cookies in production."""

from __future__ import annotations

import pytest

from tests.test_settings import GOOD_ENV, manage_in_production

pytestmark = pytest.mark.django_db


def test_the_oncall_dashboard_sends_csp_frame_referrer_and_nosniff_headers(client, operator):
    client.force_login(operator)

    response = client.get("/admin/oncall/")

    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_admin_pages_and_the_api_carry_the_same_headers(client, operator):
    client.force_login(operator)

    for url in ("/admin/", "/admin/login/", "/api/v1/execution/orders/", "/health/live"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert "default-src 'self'" in response["Content-Security-Policy"], url


def test_admin_still_works_under_the_csp(client, operator):
    client.force_login(operator)

    page = client.get("/admin/risk/killswitch/")

    assert page.status_code == 200
    # Admin scripts are same-origin files, allowed by script-src 'self'; no inline <script>.
    body = page.content.decode()
    assert '<script src="/static/admin/js/' in body
    assert "<script>" not in body


def test_the_swagger_page_is_left_out_of_the_csp(client, operator):
    client.force_login(operator)

    assert "Content-Security-Policy" not in client.get("/api/docs/")


def test_session_cookies_are_httponly_and_renewed_on_each_request(client, operator, settings):
    client.force_login(operator)

    response = client.get("/admin/")

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE  # idle timeout, renewed


def test_production_settings_set_hsts_secure_cookies_and_require_2fa():
    script = (
        "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURITY_REQUIRE_2FA, s.METRICS_PUBLIC)"
    )

    result = manage_in_production("shell", "-c", script, **GOOD_ENV)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == ["31536000", "True", "True", "True", "False"]
