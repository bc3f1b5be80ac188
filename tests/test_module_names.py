"""scripts/check_module_names.py: inside an app no two modules share a name, except the ones
Django finds by file name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_module_names.py"
spec = importlib.util.spec_from_file_location("check_module_names", SCRIPT)
check = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = check
spec.loader.exec_module(check)


def _app(root: Path, *modules: str) -> Path:
    for module in modules:
        path = root / "app" / module
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return root / "app"


def test_a_module_name_held_twice_in_an_app_is_reported_with_both_paths(tmp_path):
    app = _app(tmp_path, "training.py", "services/training.py", "services/promotion.py")

    found = check.clashes(app)

    assert list(found) == ["training.py"]
    assert sorted(p.relative_to(app).as_posix() for p in found["training.py"]) == [
        "services/training.py",
        "training.py",
    ]


def test_migrations_commands_and_package_inits_may_repeat_a_name(tmp_path):
    app = _app(
        tmp_path,
        "__init__.py",
        "services/__init__.py",
        "seed.py",
        "management/commands/seed.py",
        "migrations/0001_initial.py",
        "other/migrations/0001_initial.py",
    )

    assert check.clashes(app) == {}


def test_every_app_of_the_repository_passes():
    assert check.main([]) == 0
    assert {"operations", "drills", "harness"} <= {app.name for app in check.apps()}
