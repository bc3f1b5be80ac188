"""Refuse two modules with one name inside an app (``make lint``).

Inside an app a module's name says what it holds: ``training.py`` beside
``services/training.py`` leaves the reader of a traceback, a log line or an import guessing
which one is meant. Exempt are ``__init__.py``, migrations and management commands (Django
finds those by file name, and ``manage.py`` names them in one namespace of its own).

Usage: python scripts/check_module_names.py [APP ...]   (default: every app)
Exits 1 and prints ``app: name.py is path, path`` for each name held twice.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Top-level packages that are not apps: the tests mirror the apps, module for module.
NOT_APPS = {"tests", "benchmarks"}
SKIP_PARTS = {"migrations", "__pycache__"}


def apps() -> list[Path]:
    """Every top-level package of the repository that is an app (or the wiring)."""
    return sorted(
        path.parent for path in ROOT.glob("*/__init__.py") if path.parent.name not in NOT_APPS
    )


def _is_command(relative: Path) -> bool:
    return relative.parts[-3:-1] == ("management", "commands")


def modules(app: Path) -> Iterator[Path]:
    """The app's modules that must have a name of their own."""
    for path in sorted(app.rglob("*.py")):
        relative = path.relative_to(app)
        if path.name == "__init__.py" or _is_command(relative):
            continue
        if not SKIP_PARTS.intersection(relative.parts):
            yield path


def clashes(app: Path) -> dict[str, list[Path]]:
    """Each module name the app holds more than once, with the modules holding it."""
    by_name: dict[str, list[Path]] = defaultdict(list)
    for path in modules(app):
        by_name[path.name].append(path)
    return {name: paths for name, paths in sorted(by_name.items()) if len(paths) > 1}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Refuse two modules with one name in an app.")
    parser.add_argument("apps", nargs="*", type=Path, help="app folders (default: every app)")
    chosen = [path.resolve() for path in parser.parse_args(argv).apps] or apps()
    found = []
    for app in chosen:
        for name, paths in clashes(app).items():
            held = ", ".join(str(path.relative_to(ROOT)) for path in paths)
            found.append(f"{app.name}: {name} is {held}")
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} module names held twice in an app: rename the less clear one")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
