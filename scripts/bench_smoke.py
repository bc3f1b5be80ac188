"""Run every benchmark at a tiny size and check that each prints its JSON figures.

``make bench-smoke`` (and CI) calls this so a benchmark cannot rot unseen again, as
``benchmarks.metrics_scrape`` did when /metrics started asking for a token. Each benchmark runs
as the operator would (``python -m benchmarks.NAME``) with ``BENCH_SMOKE=1`` and a scratch
``TRADINGOPS_VAR_DIR``; its last stdout line must be one JSON object holding the benchmark's
expected keys, each a number. The in-process benchmarks run on the embedded defaults (SQLite);
those that need PostgreSQL and Redis get a scratch database on ``--database-url``'s server
(created here, dropped afterwards) and the Redis databases of ``--broker-url``/``--redis-url``.

Runs two at a time, in two lanes of about equal length. Prints one
line per benchmark, then one JSON object with every benchmark's figures and wall
seconds. Exits 1 when any benchmark fails or misses a key.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
_print_lock = threading.Lock()


@dataclass(frozen=True)
class Benchmark:
    name: str
    keys: tuple[str, ...]
    needs_postgres: bool = False
    # The lane that runs it: the soak (about 2 minutes) against everything else.
    lane: int = 0
    # Runs against the configured database, as an operator's would: migrate the scratch one.
    migrate_first: bool = False


BENCHMARKS = (
    Benchmark("risk_guard", ("checks_per_s", "p50_us", "p99_us")),
    Benchmark("drift", ("drift_50k_x20_s", "psi_50k_x20_s", "ks_50k_x20_s")),
    Benchmark("audit_chain", ("append_p50_ms", "append_p99_ms", "verify_events_per_s")),
    Benchmark("metrics_scrape", ("scrape_p50_ms", "scrape_p99_ms", "middleware_overhead_p50_ms")),
    Benchmark(
        "model_status",
        ("status_p50_ms", "status_cached_p50_ms", "status_304_p50_ms", "champion_load_p50_ms"),
    ),
    Benchmark("trading_cycle", ("ingest_cycle_p50_ms", "trade_cycle_p50_ms", "trade_cycle_p99_ms")),
    Benchmark(
        "ingest",
        ("ingest_500_cycle_s_postgres", "ingest_500_cycle_s_sqlite", "validate_1m_bars_s"),
        needs_postgres=True,
        lane=1,
    ),
    Benchmark(
        "kill_switch",
        ("stop_all_workers_ms", "all_workers_rejecting_ms", "engage_api_ms"),
        needs_postgres=True,
    ),
    Benchmark(
        "execution",
        ("orders_per_s", "submit_to_fill_p50_ms", "submit_to_ack_p50_ms", "duplicates", "lost"),
        needs_postgres=True,
    ),
    Benchmark(
        "soak",
        ("wall_seconds", "bars_stored", "cycles_run", "duplicate_orders"),
        migrate_first=True,
        lane=1,
    ),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        choices=[b.name for b in BENCHMARKS],
        help="run only this benchmark (repeatable); default: all",
    )
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/tradingops_bench_smoke",
        help="PostgreSQL server and database name for the benchmarks that need one",
    )
    parser.add_argument("--broker-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per benchmark")
    return parser.parse_args(argv)


def missing_keys(line: str, keys: tuple[str, ...]) -> list[str]:
    """The expected keys the line lacks or holds as something other than a number; a line
    that is not a JSON object lacks them all."""
    try:
        figures = json.loads(line)
    except json.JSONDecodeError:
        return list(keys)
    if not isinstance(figures, dict):
        return list(keys)
    return [
        key
        for key in keys
        if isinstance(figures.get(key), bool) or not isinstance(figures.get(key), int | float)
    ]


class ScratchDatabase:
    """A database of our own on the PostgreSQL server of ``url``, dropped on exit."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.name = f"{parts.path.lstrip('/') or 'tradingops_bench_smoke'}_{os.getpid()}"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
        self.admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))

    def _execute(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(statement)

    def __enter__(self) -> ScratchDatabase:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._execute(f'CREATE DATABASE "{self.name}"')
        return self

    def __exit__(self, *exc: object) -> None:
        # The in-process benchmarks create test_<name>; a failed one may leave it behind.
        for name in (self.name, f"test_{self.name}"):
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_one(benchmark: Benchmark, env: dict[str, str], timeout: float) -> dict:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"bench-smoke-{benchmark.name}-") as var_dir:
        env = {**env, "BENCH_SMOKE": "1", "TRADINGOPS_VAR_DIR": var_dir}
        steps = [[sys.executable, "-m", f"benchmarks.{benchmark.name}"]]
        if benchmark.migrate_first:
            steps.insert(0, [sys.executable, "manage.py", "migrate", "--noinput", "-v0"])
        try:
            for argv in steps:
                done = subprocess.run(  # noqa: S603 - our own interpreter and module
                    argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                    check=False,
                )  # fmt: skip
                if done.returncode != 0:
                    break
        except subprocess.TimeoutExpired:
            return {"ok": False, "problem": f"no result within {timeout:.0f} s"}
    seconds = round(time.monotonic() - started, 1)
    lines = done.stdout.strip().splitlines()
    last = lines[-1] if lines else ""
    missing = missing_keys(last, benchmark.keys)
    if done.returncode != 0 or missing:
        problem = f"exit {done.returncode}, missing or not numeric: {missing}"
        return {"ok": False, "seconds": seconds, "problem": problem, "log": done.stderr[-3000:]}
    return {"ok": True, "seconds": seconds, "figures": json.loads(last)}


def environment(benchmark: Benchmark, args: argparse.Namespace, database_url: str) -> dict:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    if not benchmark.needs_postgres:
        return base
    return {
        **base,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": args.broker_url,
        "REDIS_URL": args.redis_url,
    }


def run_lane(
    lane: list[Benchmark], args: argparse.Namespace, database_url: str, results: dict
) -> None:
    for benchmark in lane:
        result = run_one(benchmark, environment(benchmark, args, database_url), args.timeout)
        results[benchmark.name] = result
        verdict = "ok" if result["ok"] else f"FAILED ({result['problem']})"
        with _print_lock:
            print(f"{benchmark.name:16} {result.get('seconds', '-'):>6} s  {verdict}", flush=True)
            if not result["ok"]:
                print(result.get("log", ""), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    chosen = [b for b in BENCHMARKS if not args.only or b.name in args.only]
    # Two lanes, one per core of a CI machine, of about equal length; kill_switch and execution
    # share a Celery broker, so they are in the same lane and take turns.
    # a Celery broker, so they take turns; those on the embedded defaults have a var dir each.
    lanes = [[b for b in chosen if b.lane == lane] for lane in (0, 1)]
    results: dict[str, dict] = {}
    with ScratchDatabase(args.database_url) as database:
        threads = [
            threading.Thread(target=run_lane, args=(lane, args, database.url, results))
            for lane in lanes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    ordered = {b.name: results[b.name] for b in chosen}
    print(json.dumps({name: r.get("figures", r.get("problem")) for name, r in ordered.items()}))
    return 0 if all(r["ok"] for r in ordered.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
