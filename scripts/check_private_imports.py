"""Refuse imports of another module's ``_private`` names (``make lint``).

A leading underscore says "this module's own business": a function, class or constant named so
is imported by no other module, tests included. What another module needs gets a public
name. import-linter cannot see names inside a module, only modules, so this check reads the
imports itself. ``_private`` *modules* (``management/commands/_common.py``, which Django
must not take for a command) are import-linter's ``private_modules`` contract: here they pass.

Usage: python scripts/check_private_imports.py [PATH ...]   (default: the whole repository)
Exits 1 and prints ``path:line: name from module`` for each offending import.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKIP_PARTS = {".venv", "migrations", "var", "node_modules", "__pycache__", ".git"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _package_dir(path: Path, node: ast.ImportFrom) -> Path | None:
    """The directory the import's module names, if it is one of ours."""
    if node.level:
        base = path.parent
        for _ in range(node.level - 1):
            base = base.parent
        return base.joinpath(*(node.module or "").split(".")) if node.module else base
    if node.module is None:
        return None
    return ROOT.joinpath(*node.module.split("."))


def _is_module(package: Path | None, name: str) -> bool:
    return package is not None and (
        (package / f"{name}.py").is_file() or (package / name / "__init__.py").is_file()
    )


def offences(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom):
            continue
        package = _package_dir(path, node)
        for alias in node.names:
            if _is_private(alias.name) and not _is_module(package, alias.name):
                module = "." * node.level + (node.module or "")
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {alias.name} from {module}"


def python_files(paths: list[Path]) -> Iterator[Path]:
    for path in paths:
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for candidate in candidates:
            if not SKIP_PARTS.intersection(candidate.relative_to(ROOT).parts):
                yield candidate


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Refuse imports of other modules' _private names.")
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: all)")
    paths = [path.resolve() for path in parser.parse_args(argv).paths] or [ROOT]
    found = [line for path in python_files(paths) for line in offences(path)]
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} imports of another module's _private names: give them public names")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
