"""Runbooks: Markdown files in ``docs/runbooks/`` loaded into admin with version history, and
the alert rules whose ``runbook_url`` must point at one of them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import yaml
from django.conf import settings
from django.db import transaction

from common import clock
from operations.models import Runbook, RunbookVersion

# Every runbook has these second-level sections, in any order (tests/operations/test_runbooks).
REQUIRED_SECTIONS = ("Symptoms", "Checks", "Actions", "Verify recovery")
# Alerts link the repository path, readable on the code host and in a checkout; the app
# serves the same runbook at /runbooks/<slug>/.
RUNBOOK_URL = re.compile(r"^docs/runbooks/(?P<slug>[a-z0-9][a-z0-9-]*)\.md$")
INDEX_FILE = "README.md"


@dataclass(frozen=True)
class AlertRule:
    name: str
    file: str
    severity: str
    runbook_url: str

    @property
    def runbook_slug(self) -> str | None:
        match = RUNBOOK_URL.match(self.runbook_url)
        return match["slug"] if match else None


@dataclass
class RunbookLoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def runbook_files() -> list[Path]:
    """Every runbook in the runbooks directory, except its index."""
    directory = Path(settings.OPERATIONS_RUNBOOKS_DIR)
    return sorted(p for p in directory.glob("*.md") if p.name != INDEX_FILE)


def alert_rule_files() -> list[Path]:
    directory = Path(settings.OPERATIONS_ALERT_RULES_DIR)
    return sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])


def alert_rules() -> list[AlertRule]:
    """Every alerting rule of every rule file (recording rules have no ``alert``).

    Raises ``yaml.YAMLError`` or ``KeyError`` on a malformed file: callers report it.
    """
    rules = []
    for path in alert_rule_files():
        document = yaml.safe_load(path.read_text()) or {}
        for group in document.get("groups", []):
            for rule in group.get("rules", []):
                if "alert" not in rule:
                    continue
                rules.append(
                    AlertRule(
                        name=rule["alert"],
                        file=path.name,
                        severity=rule.get("labels", {}).get("severity", ""),
                        runbook_url=rule.get("annotations", {}).get("runbook_url", ""),
                    )
                )
    return rules


def runbook_problems(content: str) -> list[str]:
    """What a runbook lacks: a title or one of the required sections."""
    problems = [] if content.startswith("# ") else ["no '# Title' on the first line"]
    headings = set(re.findall(r"^## +(.+?)\s*$", content, flags=re.MULTILINE))
    problems += [f"no '## {s}' section" for s in REQUIRED_SECTIONS if s not in headings]
    return problems


def alert_rule_problems() -> list[str]:
    """Alert rules whose runbook_url is missing, malformed or names no runbook file."""
    slugs = {path.stem for path in runbook_files()}
    problems = []
    for rule in alert_rules():
        if rule.runbook_slug is None:
            problems.append(
                f"{rule.file}: {rule.name} runbook_url {rule.runbook_url!r} is not "
                "docs/runbooks/<slug>.md"
            )
        elif rule.runbook_slug not in slugs:
            problems.append(f"{rule.file}: {rule.name} links a missing {rule.runbook_url}")
    return problems


def render_markdown(content: str) -> str:
    """Runbook Markdown as HTML. The source is the reviewed repository, never admin input."""
    return markdown.markdown(content, extensions=["fenced_code", "tables", "toc"])


def _title(content: str, fallback: str) -> str:
    first = content.splitlines()[0] if content else ""
    return first[2:].strip() if first.startswith("# ") else fallback


def _alerts_by_slug() -> dict[str, list[str]]:
    linked: dict[str, list[str]] = {}
    for rule in alert_rules():
        if rule.runbook_slug:
            linked.setdefault(rule.runbook_slug, []).append(rule.name)
    return linked


def _runbook_load(path: Path, alerts: list[str], actor_name: str) -> str:
    """Create or update one runbook; a version is added only when the content changed."""
    content = path.read_text()
    digest = hashlib.sha256(content.encode()).hexdigest()
    runbook, created = Runbook.objects.select_for_update().get_or_create(
        slug=path.stem, defaults={"title": _title(content, path.stem)}
    )
    runbook.title = _title(content, path.stem)
    runbook.source_path = f"docs/runbooks/{path.name}"
    runbook.alerts = sorted(alerts)
    current = runbook.current_version
    changed = current is None or current.content_sha256 != digest
    if changed:
        runbook.current_version = RunbookVersion.objects.create(
            runbook=runbook,
            number=(current.number + 1) if current else 1,
            content=content,
            content_sha256=digest,
            loaded_at=clock.now(),
            loaded_by=actor_name,
        )
    runbook.save()
    return "created" if created else ("updated" if changed else "unchanged")


@transaction.atomic
def runbooks_load(*, actor_name: str = "load_runbooks") -> RunbookLoadReport:
    """Load every runbook file; idempotent: running it again with no edits adds nothing.

    Runbooks whose file was removed are kept (their history is evidence), not deleted.
    """
    report = RunbookLoadReport()
    alerts = _alerts_by_slug()
    for path in runbook_files():
        outcome = _runbook_load(path, alerts.get(path.stem, []), actor_name)
        getattr(report, outcome).append(path.stem)
    return report
