"""The production-readiness checklist: item definitions, automatic checks of the live system,
and the gate that keeps the broker on paper until every required item passes.

Each automatic check (defined here, or registered by another app with
``readiness_check_register``) returns a ``CheckResult`` and never raises: an error is a
``fail`` with the error as evidence, and an item that cannot be judged here (no enabled
strategy to check champions of) is ``unknown``. Required items must be ``pass``; ``unknown``
blocks like ``fail``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from django.conf import settings
from django.db import transaction

from audit.selectors import audit_chain_verification_latest
from common import clock
from common.exceptions import ArtifactIntegrityError
from execution.selectors import reconciliation_breaks_open_by_kind, strategy_list
from marketdata.selectors import data_health
from models_registry import artifacts
from models_registry.selectors import model_version_champion
from operations.backups import database_backup_last_success, restore_drill_last_success, wall_clock
from operations.choices import ReadinessCategory as Cat
from operations.choices import ReadinessStatus as Status
from operations.models import ReadinessItem, Runbook
from operations.runbooks import alert_rule_files, alert_rule_problems, alert_rules, runbook_files
from risk.choices import KillSwitchAction
from risk.models import KillSwitchEvent
from risk.selectors import kill_switch_get

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CheckResult:
    status: str
    evidence: str


@dataclass(frozen=True)
class ItemDefinition:
    key: str
    category: str
    title: str
    owner: str
    check_key: str = ""
    required: bool = True
    description: str = ""


def _pass(evidence: str) -> CheckResult:
    return CheckResult(Status.PASS, evidence)


def _fail(evidence: str) -> CheckResult:
    return CheckResult(Status.FAIL, evidence)


def _unknown(evidence: str) -> CheckResult:
    return CheckResult(Status.UNKNOWN, evidence)


def _recent(at: datetime | None, max_age_days: int) -> bool:
    return at is not None and clock.now() - at <= timedelta(days=max_age_days)


# --- automatic checks ------------------------------------------------------------------------


def check_alert_rules_loaded() -> CheckResult:
    """Rule files present, parseable, with alerts, each linking an existing runbook."""
    files = alert_rule_files()
    if not files:
        return _fail(f"no rule files in {settings.OPERATIONS_ALERT_RULES_DIR}")
    rules, problems = alert_rules(), alert_rule_problems()
    if problems:
        return _fail("; ".join(problems))
    if not rules:
        return _fail("the rule files hold no alerting rule")
    return _pass(f"{len(rules)} alert rules in {len(files)} files, each with a runbook")


def check_runbooks_loaded() -> CheckResult:
    """Every runbook file is loaded in admin at its current content."""
    current = dict(
        Runbook.objects.filter(current_version__isnull=False).values_list(
            "slug", "current_version__content_sha256"
        )
    )
    stale = [
        path.stem
        for path in runbook_files()
        if current.get(path.stem) != hashlib.sha256(path.read_bytes()).hexdigest()
    ]
    if stale:
        return _fail(f"not loaded or outdated: {', '.join(stale)} (run load_runbooks)")
    return _pass(f"{len(current)} runbooks loaded at their current content")


def check_kill_switch_tested() -> CheckResult:
    """An engage followed by a release within the last N days: the drill was done end to end."""
    days = settings.OPERATIONS_KILL_SWITCH_TEST_MAX_AGE_DAYS
    since = clock.now() - timedelta(days=days)
    engage = (
        KillSwitchEvent.objects.filter(action=KillSwitchAction.ENGAGE, created_at__gte=since)
        .order_by("created_at")
        .first()
    )
    if engage is None:
        return _fail(f"no kill switch engage in the last {days} days")
    release = KillSwitchEvent.objects.filter(
        action=KillSwitchAction.RELEASE, created_at__gte=engage.created_at
    ).first()
    if release is None:
        return _fail(
            f"engaged {engage.created_at:%Y-%m-%d %H:%M} by {engage.actor_name}, "
            "never released since"
        )
    return _pass(
        f"engaged {engage.created_at:%Y-%m-%d %H:%M} by {engage.actor_name}, released "
        f"{release.created_at:%Y-%m-%d %H:%M} by {release.actor_name}"
    )


def check_kill_switch_released() -> CheckResult:
    switch = kill_switch_get()
    if switch.engaged:
        return _fail(f"the kill switch is engaged: {switch.reason}")
    return _pass("the kill switch is released")


def check_audit_chain_verified() -> CheckResult:
    """The latest verification of the audit chain found it intact within the age limit."""
    max_age = settings.OPERATIONS_AUDIT_MAX_AGE_DAYS
    verification = audit_chain_verification_latest()
    if verification is None:
        return _fail("the audit chain was never verified (manage.py verify_audit_chain)")
    detail = f"verification #{verification.pk} at {verification.verified_at:%Y-%m-%d %H:%M} UTC"
    if not verification.valid:
        return _fail(f"{detail} found a broken chain")
    if not _recent(verification.verified_at, max_age):
        return _fail(f"{detail} is older than {max_age} days")
    return _pass(f"{detail}: chain intact")


def check_backups_recent() -> CheckResult:
    """The last successful backup is recent and the last passed restore drill too: a backup
    nobody restored is not known to restore.

    Backups are real processes, so their age is wall-clock time, not market time.
    """
    backup, drill = database_backup_last_success(), restore_drill_last_success()
    if backup is None:
        return _fail("no successful backup recorded (manage.py backup_database)")
    now = wall_clock.now()
    hours = (now - backup.finished_at).total_seconds() / 3600
    limit = settings.OPERATIONS_BACKUP_MAX_AGE_HOURS
    evidence = f"last successful backup {hours:.1f} h ago ({backup.filename})"
    if hours > limit:
        return _fail(f"{evidence}, limit {limit} h")
    if drill is None:
        return _fail(f"{evidence}; no passed restore drill (manage.py restore_drill)")
    days = (now - drill.finished_at).total_seconds() / 86400
    drill_limit = settings.OPERATIONS_RESTORE_DRILL_MAX_AGE_DAYS
    drill_evidence = f"restore drill #{drill.pk} passed {days:.1f} days ago ({drill.filename})"
    if days > drill_limit:
        return _fail(f"{evidence}; {drill_evidence}, limit {drill_limit} days")
    return _pass(f"{evidence}; {drill_evidence}")


def check_champions_verified() -> CheckResult:
    """Every champion a strategy trades with has an artifact matching its sha256."""
    verified, problems = [], []
    for strategy in strategy_list().select_related("registered_model"):
        champion = model_version_champion(registered_model_id=strategy.registered_model_id)
        if champion is None:
            problems.append(f"{strategy.name}: no champion")
            continue
        try:
            artifacts.get(champion.artifact_path, champion.artifact_sha256)
        except ArtifactIntegrityError as exc:
            problems.append(f"{strategy.name}: {exc}")
        else:
            verified.append(f"{strategy.name}: {champion}")
    if problems:
        return _fail("; ".join(problems))
    if not verified:
        return _unknown("no enabled strategy: nothing trades")
    return _pass("sha256 verified: " + "; ".join(verified))


def check_data_fresh() -> CheckResult:
    stale = data_health()["stale_instruments"]
    return _fail(f"stale bars: {', '.join(stale)}") if stale else _pass("no instrument is stale")


def check_reconciliation_clean() -> CheckResult:
    """No open reconciliation break between our orders/positions and the broker's."""
    open_by_kind = reconciliation_breaks_open_by_kind()
    if not open_by_kind:
        return _pass("no open break")
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(open_by_kind.items()))
    return _fail(f"{sum(open_by_kind.values())} open reconciliation breaks ({kinds})")


def check_monitoring_token_set() -> CheckResult:
    if settings.MONITORING_TOKEN:
        return _pass("Prometheus and probes read /health with MONITORING_TOKEN")
    return _fail("MONITORING_TOKEN is not set: monitoring cannot read /health")


def check_production_settings() -> CheckResult:
    problems = []
    if settings.DEBUG:
        problems.append("DEBUG is on")
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        problems.append("the database is SQLite")
    if settings.CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
        problems.append("the Celery broker is the embedded filesystem transport")
    return _fail("; ".join(problems)) if problems else _pass("PostgreSQL, a real broker, no DEBUG")


ReadinessCheck = Callable[[], CheckResult]

CHECKS: dict[str, ReadinessCheck] = {
    "alert_rules_loaded": check_alert_rules_loaded,
    "runbooks_loaded": check_runbooks_loaded,
    "kill_switch_tested": check_kill_switch_tested,
    "kill_switch_released": check_kill_switch_released,
    "audit_chain_verified": check_audit_chain_verified,
    "backups_recent": check_backups_recent,
    "champions_verified": check_champions_verified,
    "data_fresh": check_data_fresh,
    "reconciliation_clean": check_reconciliation_clean,
    "monitoring_token_set": check_monitoring_token_set,
    "production_settings": check_production_settings,
}

# Checks other apps register (in their ``AppConfig.ready``), so readiness judges their records
# without importing them: drills registers ``soak_passed`` and ``game_day_passed``,
# monitoring ``periodic_tasks_healthy``. Their items
# stay in ITEMS below: without the app, the item reads "unknown" and blocks going live.
_registered_checks: dict[str, ReadinessCheck] = {}


def readiness_check_register(check_key: str, check: ReadinessCheck) -> None:
    """Register (or replace, by key: ``ready()`` may run twice) another app's automatic check."""
    _registered_checks[check_key] = check


ITEMS = [
    ItemDefinition(
        "production-settings",
        Cat.ENVIRONMENTS,
        "Production settings: PostgreSQL, real broker, no DEBUG",
        "platform",
        "production_settings",
    ),
    ItemDefinition(
        "staging-mirrors-production",
        Cat.ENVIRONMENTS,
        "Staging runs the production image and compose stack",
        "platform",
    ),
    ItemDefinition(
        "backups-recent",
        Cat.ENVIRONMENTS,
        "Database backup succeeded recently (and a restore was rehearsed)",
        "platform",
        "backups_recent",
    ),
    ItemDefinition(
        "alert-rules-loaded",
        Cat.MONITORING,
        "Alert rules valid, each linking an existing runbook",
        "on-call",
        "alert_rules_loaded",
    ),
    ItemDefinition(
        "runbooks-loaded",
        Cat.MONITORING,
        "Runbooks loaded in admin at their current content",
        "on-call",
        "runbooks_loaded",
    ),
    ItemDefinition(
        "monitoring-token",
        Cat.MONITORING,
        "Monitoring can read /health (MONITORING_TOKEN)",
        "on-call",
        "monitoring_token_set",
    ),
    ItemDefinition(
        "periodic-tasks-healthy",
        Cat.MONITORING,
        "Every periodic task is up",
        "on-call",
        "periodic_tasks_healthy",
    ),
    ItemDefinition(
        "kill-switch-tested",
        Cat.RISK_CONTROLS,
        "Kill switch engaged and released (drill) recently",
        "risk officer",
        "kill_switch_tested",
    ),
    ItemDefinition(
        "kill-switch-released",
        Cat.RISK_CONTROLS,
        "Kill switch released before going live",
        "risk officer",
        "kill_switch_released",
    ),
    ItemDefinition(
        "limits-reviewed",
        Cat.RISK_CONTROLS,
        "Risk limits reviewed and signed off for live capital",
        "risk officer",
    ),
    ItemDefinition(
        "champions-verified",
        Cat.MODEL_LIFECYCLE,
        "Every traded champion's artifact passes its sha256 check",
        "ml engineer",
        "champions_verified",
    ),
    ItemDefinition(
        "data-fresh",
        Cat.MODEL_LIFECYCLE,
        "Market data fresh for every active instrument",
        "ml engineer",
        "data_fresh",
        required=False,
    ),
    ItemDefinition(
        "soak-passed",
        Cat.OPERATIONS,
        "Soak run passed: no lost or duplicate orders, PnL matches",
        "operations",
        "soak_passed",
    ),
    ItemDefinition(
        "game-day-passed",
        Cat.OPERATIONS,
        "Every game-day scenario passed recently",
        "operations",
        "game_day_passed",
    ),
    ItemDefinition(
        "reconciliation-clean",
        Cat.OPERATIONS,
        "No open reconciliation break with the broker",
        "operations",
        "reconciliation_clean",
    ),
    ItemDefinition(
        "on-call-rota", Cat.OPERATIONS, "On-call rota and escalation contacts agreed", "operations"
    ),
    ItemDefinition(
        "audit-chain-verified",
        Cat.COMPLIANCE,
        "Audit chain verified end to end",
        "compliance",
        "audit_chain_verified",
    ),
    ItemDefinition(
        "go-live-sign-off",
        Cat.COMPLIANCE,
        "Go/no-go review signed off (staging two-week run)",
        "compliance",
    ),
]


def check_run(check_key: str) -> CheckResult:
    """Run one automatic check; any error is a failure with the error as evidence."""
    check = CHECKS.get(check_key) or _registered_checks.get(check_key)
    if check is None:
        return _unknown(f"no automatic check named {check_key!r}")
    try:
        return check()
    except Exception as exc:  # a broken check must read as "not ready", never crash the list
        logger.exception("readiness_check_failed", check=check_key)
        return _fail(f"the check raised {type(exc).__name__}: {exc}")


@transaction.atomic
def readiness_items_load() -> list[ReadinessItem]:
    """Create the checklist's items by key; keep what operators set (owner, required, status,
    evidence) and refresh only what code defines (title, category, check). Idempotent."""
    items = []
    for definition in ITEMS:
        item, created = ReadinessItem.objects.get_or_create(
            key=definition.key,
            defaults={
                "category": definition.category,
                "title": definition.title,
                "description": definition.description,
                "owner": definition.owner,
                "required": definition.required,
                "check_key": definition.check_key,
            },
        )
        if not created:
            item.category, item.title = definition.category, definition.title
            item.check_key = definition.check_key
            item.save(update_fields=["category", "title", "check_key", "updated_at"])
        items.append(item)
    return items


def readiness_evaluate(*, save: bool = True) -> list[ReadinessItem]:
    """Every item with its status: automatic items are checked now (and saved), manual ones
    keep the status and evidence set in admin."""
    items = list(ReadinessItem.objects.all())
    now = clock.now()
    for item in items:
        if not item.check_key:
            continue
        result = check_run(item.check_key)
        item.status, item.evidence, item.last_checked_at = result.status, result.evidence, now
        if save:
            item.save(update_fields=["status", "evidence", "last_checked_at", "updated_at"])
    return items


def blocking_items(items: list[ReadinessItem]) -> list[ReadinessItem]:
    """Required items that do not pass (fail or unknown): each one blocks going live."""
    return [item for item in items if item.required and item.status != Status.PASS]


def live_trading_requested() -> bool:
    """Whether the settings ask for a live (real money) broker rather than paper.

    ``EXECUTION_BROKER`` and ``ALPACA_LIVE_TRADING`` belong to execution's broker settings;
    read defensively so this works before and after they exist.
    """
    broker = str(getattr(settings, "EXECUTION_BROKER", "paper")).lower()
    return bool(getattr(settings, "ALPACA_LIVE_TRADING", False)) or broker in (
        "live",
        "alpaca_live",
    )


@dataclass(frozen=True)
class LiveGate:
    allowed: bool
    live_requested: bool
    blocking: list[str]


def live_trading_allowed(*, save: bool = True) -> LiveGate:
    """Paper trading is always allowed; live only when every required item passes."""
    if not live_trading_requested():
        return LiveGate(True, False, [])
    readiness_items_load()
    blocking = blocking_items(readiness_evaluate(save=save))
    return LiveGate(not blocking, True, [f"{i.key}: {i.status} ({i.evidence})" for i in blocking])
