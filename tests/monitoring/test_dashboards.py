"""Grafana dashboards only plot series that exist: our catalogue's or Django's."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DASHBOARDS = sorted((ROOT / "docker" / "grafana" / "dashboards").glob("*.json"))
SERIES = re.compile(r"\b((?:tradingops|django)_[a-z0-9_]+|up)\b")
HISTOGRAM_SUFFIXES = ("_bucket", "_count", "_sum")


def _base_name(series: str) -> str:
    for suffix in HISTOGRAM_SUFFIXES:
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


def test_the_four_dashboards_exist_with_unique_ids():
    dashboards = [json.loads(path.read_text()) for path in DASHBOARDS]

    assert {path.stem for path in DASHBOARDS} == {"oncall", "trading", "scheduler", "data"}
    assert len({d["uid"] for d in dashboards}) == 4
    assert all(d["panels"] for d in dashboards)


def test_every_dashboard_expression_uses_catalogued_metrics():
    catalogue = (ROOT / "docs" / "telemetry.md").read_text()
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                names = SERIES.findall(target["expr"])
                assert names, f"{path.name}: {panel['title']} plots no known series"
                for name in names:
                    base = _base_name(name)
                    assert base == "up" or f"`{base}`" in catalogue or base.startswith("django_"), (
                        f"{path.name}: {panel['title']} uses {name}, not in docs/telemetry.md"
                    )
