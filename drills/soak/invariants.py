"""What a soak must show (pure): the figures that must be zero and PnL that must match."""

from __future__ import annotations

MUST_BE_ZERO = ("duplicate_orders", "lost_orders", "reconciliation_breaks_open", "ledger_breaks")


def soak_failures(report: dict) -> list[str]:
    """Every invariant the report breaks, as readable lines; empty means the soak passed."""
    failures = [
        f"{name} is {report.get(name)}, must be 0"
        for name in MUST_BE_ZERO
        if report.get(name, 0) != 0
    ]
    if not report.get("pnl_matches", False):
        failures.append(
            f"PnL recomputed from fills differs from stored PnL by {report.get('pnl_difference')}"
        )
    if report.get("cycles_run", 0) == 0:
        failures.append("no trading cycle ran")
    failures += [f"process {name} died" for name in report.get("processes_died", [])]
    return failures
