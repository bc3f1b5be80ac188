"""Alert rules and Prometheus config checked by the real promtool (Debian's prometheus).

.ci/run installs the package; on a laptop without it these tests skip and say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "docker" / "prometheus"
PROMTOOL = shutil.which("promtool")

if PROMTOOL is None and os.environ.get("CI"):
    pytest.fail("promtool is missing in CI: .ci/run must install Debian's prometheus package")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt-get install prometheus); CI installs it"
)


def _promtool(*args: str, cwd: Path = PROMETHEUS_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PROMTOOL), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_alert_rule_is_valid():
    result = _promtool("check", "rules", "rules/tradingops.yml")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 20 rules found" in result.stdout


def test_every_alert_rule_passes_its_unit_tests():
    result = _promtool("test", "rules", "tradingops_test.yml", cwd=PROMETHEUS_DIR / "tests")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_rule_has_a_unit_test_and_a_runbook_that_exists():
    import yaml

    rules = yaml.safe_load((PROMETHEUS_DIR / "rules" / "tradingops.yml").read_text())
    tests = (PROMETHEUS_DIR / "tests" / "tradingops_test.yml").read_text()
    repo = PROMETHEUS_DIR.parents[1]
    for group in rules["groups"]:
        for rule in group["rules"]:
            assert f"alertname: {rule['alert']}" in tests, rule["alert"]
            assert rule["labels"]["severity"] in ("warning", "critical")
            assert "for" in rule, rule["alert"]
            runbook = repo / rule["annotations"]["runbook_url"]
            assert runbook.is_file(), f"{rule['alert']}: {runbook} is missing"


def test_the_scrape_config_is_valid(tmp_path):
    # The config names the monitoring token's Docker secret path; promtool wants it to exist.
    token = tmp_path / "monitoring_token"
    token.write_text("scrape-token")
    config = (PROMETHEUS_DIR / "prometheus.yml").read_text()
    assert "credentials_file: /run/secrets/monitoring_token" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/run/secrets/monitoring_token", str(token))
    )

    result = _promtool("check", "config", "prometheus.yml", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
