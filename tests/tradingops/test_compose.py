"""The compose files hold together: every role the stack needs is a service, every app role's
start script exists and parses, and every secret a service mounts is defined as a file that git
never tracks. (No Docker engine runs here; a host with one runs the stack itself.)"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def _compose(*names: str) -> dict:
    merged: dict = {"services": {}, "secrets": {}}
    for name in names:
        document = yaml.safe_load((DOCKER / name).read_text())
        for service, body in document.get("services", {}).items():
            merged["services"].setdefault(service, {}).update(
                {k: v for k, v in body.items() if k != "secrets"}
            )
            merged["services"][service].setdefault("secrets", [])
            merged["services"][service]["secrets"] += body.get("secrets", [])
        merged["secrets"].update(document.get("secrets") or {})
    return merged


def test_the_staging_stack_has_every_role():
    services = _compose("compose.yaml", "compose.staging.yaml")["services"]

    assert set(services) == {
        "web",
        "worker",
        "beat",
        "trade-stream",
        "postgres",
        "redis",
        "prometheus",
        "alertmanager",
        "grafana",
    }
    # The trade stream runs only where orders go to Alpaca (one connection per key).
    assert yaml.safe_load((DOCKER / "compose.yaml").read_text())["services"]["trade-stream"][
        "profiles"
    ] == ["alpaca"]


@pytest.mark.parametrize("role", ["web", "worker", "beat", "trade-stream"])
def test_each_app_role_starts_from_a_script_that_parses(role):
    services = _compose("compose.yaml")["services"]
    script = DOCKER / "start" / role

    assert services[role]["command"] == f"/start/{role}"
    assert script.stat().st_mode & 0o111, f"{script} is not executable"
    bash = shutil.which("bash")
    assert subprocess.run([bash, "-n", str(script)], check=False).returncode == 0


def test_every_mounted_secret_is_a_file_git_ignores():
    compose = _compose("compose.yaml", "compose.staging.yaml")
    mounted = {name for body in compose["services"].values() for name in body["secrets"]}

    assert mounted == set(compose["secrets"])
    for name, definition in compose["secrets"].items():
        path = (DOCKER / definition["file"]).resolve()
        assert path.parent == DOCKER / "secrets", name
        ignored = subprocess.run(
            [shutil.which("git"), "check-ignore", "-q", str(path)], cwd=ROOT, check=False
        )
        assert ignored.returncode == 0, f"{path} would be committed"
