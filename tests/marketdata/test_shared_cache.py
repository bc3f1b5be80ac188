"""The embedded stack's cache is one store for every process of a run.

`make run` ingests in one worker child and trades in another, while the web process answers
/health/ready. With a per-process memory cache the trading child kept the newest bar it had
cached itself (for the cache's whole TTL), so the guard saw every price as stale although
ingest stored a bar every few seconds. Settings are read once per process: each side runs in
a process of its own on the development settings `make run` uses.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

WRITE = """
import django; django.setup()
from datetime import UTC, datetime
from decimal import Decimal
from marketdata.selectors import NewestBar, newest_bar_cache_set
newest_bar_cache_set(instrument_id=1, timeframe="1m",
    bar=NewestBar(datetime(2026, 3, 2, 19, 0, tzinfo=UTC), Decimal("101.25"), "synthetic"))
"""
READ = """
import django; django.setup()
from marketdata.selectors import newest_bar_get
bar = newest_bar_get(instrument_id=1, timeframe="1m")
print(bar.timestamp.isoformat(), bar.close)
"""


def _run(code: str, var_dir: Path) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    }
    env |= {"DJANGO_SETTINGS_MODULE": "tradingops.settings.dev", "TRADINGOPS_VAR_DIR": str(var_dir)}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_newest_bar_cached_by_one_process_is_read_by_another(tmp_path):
    written = _run(WRITE, tmp_path)
    read = _run(READ, tmp_path)

    assert written.returncode == 0, written.stderr
    # A miss would fall through to the (unmigrated) database and fail instead.
    assert read.returncode == 0, read.stderr
    assert read.stdout.split() == ["2026-03-02T19:00:00+00:00", "101.25"]
