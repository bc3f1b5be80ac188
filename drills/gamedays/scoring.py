"""Scoring a game day against its scenario's expectations (pure)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Expectations:
    max_detect_s: float = 30.0
    max_recover_s: float = 60.0
    data_lost: int = 0  # bars missing after recovery: must be none
    duplicate_orders: int = 0
    lost_orders: int = 0
    ledger_breaks: int = 0  # the books' invariants after the scenario: must all hold

    def as_dict(self) -> dict:
        return {
            "max_detect_s": self.max_detect_s,
            "max_recover_s": self.max_recover_s,
            "data_lost": self.data_lost,
            "duplicate_orders": self.duplicate_orders,
            "lost_orders": self.lost_orders,
            "ledger_breaks": self.ledger_breaks,
        }


@dataclass(frozen=True)
class Outcome:
    time_to_detect_s: float | None
    time_to_recover_s: float | None
    data_lost: int
    duplicate_orders: int
    lost_orders: int
    ledger_breaks: int = 0


def game_day_failures(outcome: Outcome, expected: Expectations) -> list[str]:
    """Every expectation the outcome misses, as readable lines; empty means passed."""
    failures = []
    if outcome.time_to_detect_s is None:
        failures.append("the failure was never detected")
    elif outcome.time_to_detect_s > expected.max_detect_s:
        failures.append(
            f"detected after {outcome.time_to_detect_s:.1f} s, "
            f"expected within {expected.max_detect_s:.0f} s"
        )
    if outcome.time_to_recover_s is None:
        failures.append("the stack did not recover")
    elif outcome.time_to_recover_s > expected.max_recover_s:
        failures.append(
            f"recovered after {outcome.time_to_recover_s:.1f} s, "
            f"expected within {expected.max_recover_s:.0f} s"
        )
    for name in ("data_lost", "duplicate_orders", "lost_orders", "ledger_breaks"):
        found, allowed = getattr(outcome, name), getattr(expected, name)
        if found > allowed:
            failures.append(f"{name} is {found}, expected at most {allowed}")
    return failures


def score_table(rows: list[dict]) -> str:
    """The ``--all`` table: one line per scenario, then the score."""
    header = (
        f"{'scenario':<34} {'result':<8} {'detect s':>9} {'recover s':>10} "
        f"{'orders':>7} {'lost':>5}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        result = {True: "PASS", False: "FAIL", None: "SKIP"}[row["passed"]]
        lines.append(
            f"{row['scenario']:<34} {result:<8} {_num(row['time_to_detect_s']):>9} "
            f"{_num(row['time_to_recover_s']):>10} {row['orders_affected']:>7} "
            f"{row['data_lost']:>5}"
        )
    ran = [row for row in rows if row["passed"] is not None]
    passed = sum(1 for row in ran if row["passed"])
    lines.append(f"score: {passed}/{len(ran)} passed, {len(rows) - len(ran)} skipped")
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
