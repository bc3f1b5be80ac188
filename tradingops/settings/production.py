"""Production: only tightens base. Refuses to start on a missing or insecure value."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from tradingops.settings.base import *  # noqa: F403
from tradingops.settings.base import (
    ALPACA_LIVE_TRADING,
    ALPACA_TRADING_BASE_URL,
    AUDIT_RETENTION_DAYS,
    CELERY_BROKER_URL,
    DATABASE_URL,
    DATABASES,
    MIDDLEWARE,
    SECRET_SETTINGS,
    STORAGES,
    env,
    env_secret,
)

# Values that ship in the repository (dev/test settings, compose, docs): never in production.
KNOWN_DEFAULT_SECRETS = ("dev-", "test-", "django-insecure", "changeme", "change-me")


def _alpaca_is_paper(url: str) -> bool:
    """Alpaca's live host is api.alpaca.markets; paper and local simulators are anything else
    except another *.alpaca.markets trading host."""
    host = urlsplit(url).hostname or ""
    return host == "paper-api.alpaca.markets" or not host.endswith("alpaca.markets")


def _secret(name: str) -> str:
    """A required secret from NAME or NAME_FILE (Docker/K8s secrets)."""
    value = env_secret(name)
    if not value:
        raise ImproperlyConfigured(f"{name} (or {name}_FILE) must be set in production")
    return value


SECRET_KEY = _secret("SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith(("dev-", "test-", "django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is too short or a known development key")

for _name in SECRET_SETTINGS:
    if env_secret(_name).lower().startswith(KNOWN_DEFAULT_SECRETS):
        raise ImproperlyConfigured(f"{_name} is a known development default")

DEBUG = False
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS or "*" in ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must list the real host names (no '*')")

if not DATABASE_URL:
    raise ImproperlyConfigured("DATABASE_URL must be set in production (PostgreSQL)")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    raise ImproperlyConfigured("SQLite is for embedded defaults only; use PostgreSQL")
if CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
    raise ImproperlyConfigured("CELERY_BROKER_URL must name a real broker (redis:// or amqp://)")

# Real money only on purpose: a live Alpaca URL needs ALPACA_LIVE_TRADING=true spelled out.
if not ALPACA_LIVE_TRADING and not _alpaca_is_paper(ALPACA_TRADING_BASE_URL):
    raise ImproperlyConfigured(
        f"ALPACA_TRADING_BASE_URL {ALPACA_TRADING_BASE_URL!r} is not Alpaca paper trading; "
        "set ALPACA_LIVE_TRADING=true to trade real money"
    )

# gunicorn serves the collected static files itself (admin CSS/JS), right after security.
MIDDLEWARE = [
    *MIDDLEWARE[:2],
    "whitenoise.middleware.WhiteNoiseMiddleware",
    *MIDDLEWARE[2:],
]
STORAGES = {
    **STORAGES,  # keeps "dbbackup" from base.py
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Staff verify a TOTP device before privileged actions; turning it off needs the variable set.
SECURITY_REQUIRE_2FA = env.bool("SECURITY_REQUIRE_2FA", default=True)
# Health probes come over plain HTTP from inside the cluster.
SECURE_REDIRECT_EXEMPT = [r"^health/"]

# SEC 17a-4 keeps most broker-dealer records six years: never prune the audit chain sooner.
if AUDIT_RETENTION_DAYS < 6 * 365:
    raise ImproperlyConfigured("AUDIT_RETENTION_DAYS must be at least six years in production")
