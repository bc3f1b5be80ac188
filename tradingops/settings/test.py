"""Test settings: whatever DATABASE_URL / CELERY_BROKER_URL say, else embedded defaults."""

from tradingops.settings.base import *  # noqa: F403
from tradingops.settings.base import VAR_DIR, env

SECRET_KEY = env.str("SECRET_KEY", default="test-insecure-key")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MODEL_ARTIFACT_DIR = VAR_DIR / "test-artifacts"
LOG_FORMAT = "console"
