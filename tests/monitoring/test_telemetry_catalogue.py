"""Every metric the code defines is documented in docs/telemetry.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = (
    "common",
    "audit",
    "marketdata",
    "models_registry",
    "risk",
    "execution",
    "operations",
    "monitoring",
    "tradingops",
)
METRIC_NAME = re.compile(r'"(tradingops_[a-z0-9_]+)"')


def _metric_names_in_code() -> set[str]:
    names = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            names.update(METRIC_NAME.findall(path.read_text()))
    return names


def test_every_metric_in_the_code_is_in_the_catalogue():
    catalogue = (ROOT / "docs" / "telemetry.md").read_text()
    names = _metric_names_in_code()

    assert len(names) >= 20
    missing = sorted(name for name in names if f"`{name}`" not in catalogue)
    assert missing == []


def test_every_metric_in_the_alert_rules_is_in_the_catalogue_or_from_django():
    rules = (ROOT / "docker" / "prometheus" / "rules" / "tradingops.yml").read_text()
    catalogue = (ROOT / "docs" / "telemetry.md").read_text()

    for name in set(re.findall(r"\b(tradingops_[a-z0-9_]+|django_[a-z0-9_]+)", rules)):
        assert name in catalogue, name
