"""The default soak profile: 14 trading days, 3 instruments, one 15-minute bar every 2 s.

Runs ``manage.py soak --json`` as the operator would (its own scratch database and broker of
the configured kind, its own processes) and prints the report as the last line, with the wall
time it took (``wall_seconds``). Not run in CI at full size: about 15 minutes on 2 cores.
Override with BENCH_TRADING_DAYS, BENCH_INSTRUMENTS, BENCH_TIMEFRAME, BENCH_HISTORY_SESSIONS,
BENCH_FAULTS (none, providers, chaos); BENCH_SMOKE=1 makes the unset ones tiny (one day of
hourly bars for one instrument).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.sizes import size, smoke

BASE_DIR = Path(__file__).resolve().parent.parent


def main() -> int:
    tiny = smoke()
    command = [
        sys.executable,
        str(BASE_DIR / "manage.py"),
        "soak",
        f"--trading-days={size('BENCH_TRADING_DAYS', 14, 1)}",
        f"--instruments={size('BENCH_INSTRUMENTS', 3, 1)}",
        f"--timeframe={os.environ.get('BENCH_TIMEFRAME') or ('1h' if tiny else '15m')}",
        # 30 sessions even when tiny: 210 hourly bars are about what training needs.
        f"--history-sessions={size('BENCH_HISTORY_SESSIONS', 30, 30)}",
        f"--faults={os.environ.get('BENCH_FAULTS', 'none')}",
        "--json",
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=BASE_DIR, capture_output=True, text=True, check=False)  # noqa: S603
    lines = done.stdout.strip().splitlines()
    if not lines:
        sys.stderr.write(done.stderr[-4000:])
        return 2
    report = json.loads(lines[-1])
    report["wall_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(report, sort_keys=True))
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
