"""Staging: production rules (real database, real broker, secrets from the environment)."""

from tradingops.settings.production import *  # noqa: F403
