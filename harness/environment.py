"""Scratch state for a stack besides its database (``common.databases``): a Celery broker
of its own, mirroring the configured kind, and the broker the orders go to.

On Redis the stack gets a private ``redis-server`` on a free port (so a game day may restart
it without touching anyone else's); otherwise the filesystem broker under its scratch
directory.
"""

from __future__ import annotations

import shutil

from django.conf import settings
from django.core.management import get_commands


def broker_kind() -> str:
    return "redis" if settings.CELERY_BROKER_URL.startswith("redis") else "filesystem"


def default_broker() -> str:
    """The Alpaca-protocol simulator when its command is installed (the harness app), else the
    in-process paper broker."""
    return "simulator" if "run_broker_simulator" in get_commands() else "paper"


def private_redis_wanted() -> bool:
    return broker_kind() == "redis" and shutil.which("redis-server") is not None
