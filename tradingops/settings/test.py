"""Test settings: whatever DATABASE_URL / CELERY_BROKER_URL say, else embedded defaults.

Tests keep their files (SQLite, filesystem broker, artifacts) under var/test so they never
share a queue or a database with a running `make run`.
"""

import os
import uuid
from pathlib import Path

os.environ.setdefault(
    "TRADINGOPS_VAR_DIR", str(Path(__file__).resolve().parent.parent.parent / "var" / "test")
)

from tradingops.settings.base import *  # noqa: F403
from tradingops.settings.base import REDIS_URL, VAR_DIR, env

SECRET_KEY = env.str("SECRET_KEY", default="test-insecure-key")
if not REDIS_URL:
    # A cache of this process's own: var/test is shared by concurrent test sessions, whose
    # fixtures clear the cache.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MODEL_ARTIFACT_DIR = VAR_DIR / "artifacts"
LOG_FORMAT = "console"
# A queue of its own per test session: a message left on a shared broker by an earlier run
# can never reach this run's worker.
CELERY_TASK_DEFAULT_QUEUE = f"tradingops-test-{uuid.uuid4().hex[:12]}"
# Transactional tests restore the migrated database from a serialized copy; operations has no
# migrated data, and the audit chain is re-seeded by the restore itself (restored groups are
# audited), so restoring the old chain rows as well would collide with the new ones.
TEST_NON_SERIALIZED_APPS = ["audit", "operations"]
