"""Local development: embedded defaults, debug on, a throwaway secret key."""

from tradingops.settings.base import *  # noqa: F403
from tradingops.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-key-never-use-outside-a-laptop")
LOG_FORMAT = env.str("LOG_FORMAT", default="console")
# A laptop's Prometheus scrapes /metrics without a token.
METRICS_PUBLIC = env.bool("METRICS_PUBLIC", default=True)
