"""The production-readiness checklist: item definitions, automatic checks of the live system,
and the gate that keeps the broker on paper until every required item passes.

Each automatic check returns a ``CheckResult`` and never raises: an error is a ``fail`` with
the error as evidence, and a part of the system that is not installed (a model another app
adds later) is ``unknown``. Required items must be ``pass``; ``unknown`` blocks like ``fail``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import structlog
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Model

from common import clock
from operations.choices import ReadinessCategory as Cat
from operations.choices import ReadinessStatus as Status
from operations.models import ReadinessItem

logger = structlog.get_logger(__name__)

# Models other parts of the system add; looked up by name so readiness works without them.
GAME_DAY_MODEL = "operations.GameDay"
SOAK_MODEL = "operations.SoakRun"
AUDIT_CHAIN_MODEL = "operations.AuditChainVerification"
RECONCILIATION_BREAK_MODEL = "execution.ReconciliationBreak"


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


def optional_model(label: str) -> type[Model] | None:
    """A model another part of the system provides, or None while it is not installed."""
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _row_passed(row: Model) -> bool | None:
    """Whether a game day, soak report or verification row says it passed.

    Accepts the field names those models use: a boolean ``passed``/``ok``/``verified``/``valid``,
    or a ``status``/``outcome``/``result`` text of pass/passed/ok/verified.
    """
    for name in ("passed", "ok", "verified", "valid"):
        value = getattr(row, name, None)
        if isinstance(value, bool):
            return value
    for name in ("status", "outcome", "result"):
        value = getattr(row, name, None)
        if isinstance(value, str):
            return value.lower() in ("pass", "passed", "ok", "verified", "success")
    return None


def _row_time(row: Model) -> Any:
    for name in ("finished_at", "verified_at", "checked_at", "created_at"):
        value = getattr(row, name, None)
        if value is not None:
            return value
    return None


def _latest_row_passed(label: str, what: str, max_age_days: int) -> CheckResult:
    """The newest row of an optional model passed, within ``max_age_days`` of market time."""
    model = optional_model(label)
    if model is None:
        return _unknown(f"{label} is not installed: no {what} can be recorded yet")
    row = model._default_manager.order_by("-pk").first()
    if row is None:
        return _fail(f"no {what} recorded yet")
    passed, at = _row_passed(row), _row_time(row)
    detail = f"latest {what} #{row.pk} at {at:%Y-%m-%d %H:%M} UTC" if at else f"{what} #{row.pk}"
    if passed is None:
        return _unknown(f"{detail}: its result cannot be read")
    if at is not None and clock.now() - at > timedelta(days=max_age_days):
        return _fail(f"{detail} is older than {max_age_days} days")
    return _pass(f"{detail} passed") if passed else _fail(f"{detail} failed")


# --- automatic checks ------------------------------------------------------------------------


def check_alert_rules_loaded() -> CheckResult:
    """Rule files present, parseable, with alerts, each linking an existing runbook."""
    from operations.runbooks import alert_rule_files, alert_rule_problems, alert_rules

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
    from operations.models import Runbook
    from operations.runbooks import runbook_files

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
    from risk.choices import KillSwitchAction
    from risk.models import KillSwitchEvent

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
    from risk.selectors import kill_switch_get

    switch = kill_switch_get()
    if switch.engaged:
        return _fail(f"the kill switch is engaged: {switch.reason}")
    return _pass("the kill switch is released")


def check_game_day_passed() -> CheckResult:
    return _latest_row_passed(GAME_DAY_MODEL, "game day", settings.OPERATIONS_GAME_DAY_MAX_AGE_DAYS)


def check_soak_passed() -> CheckResult:
    return _latest_row_passed(SOAK_MODEL, "soak run", settings.OPERATIONS_SOAK_MAX_AGE_DAYS)


def check_audit_chain_verified() -> CheckResult:
    return _latest_row_passed(
        AUDIT_CHAIN_MODEL, "audit chain verification", settings.OPERATIONS_AUDIT_MAX_AGE_DAYS
    )


def check_backups_recent() -> CheckResult:
    """The backup job touches OPERATIONS_BACKUP_MARKER after each successful backup.

    Backups are real processes, so their age is wall-clock time, not market time.
    """
    marker = settings.OPERATIONS_BACKUP_MARKER
    if not marker:
        return _unknown("OPERATIONS_BACKUP_MARKER is not set: backups cannot be checked")
    path = Path(marker)
    if not path.exists():
        return _fail(f"{marker} does not exist: no successful backup recorded")
    age_hours = (time.time() - path.stat().st_mtime) / 3600
    limit = settings.OPERATIONS_BACKUP_MAX_AGE_HOURS
    evidence = f"last successful backup {age_hours:.1f} h ago ({marker})"
    return _pass(evidence) if age_hours <= limit else _fail(f"{evidence}, limit {limit} h")


def check_champions_verified() -> CheckResult:
    """Every champion a strategy trades with has an artifact matching its sha256."""
    from common.exceptions import ArtifactIntegrityError
    from execution.selectors import strategy_list
    from models_registry import artifacts
    from models_registry.selectors import model_version_champion

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


def check_periodic_tasks_healthy() -> CheckResult:
    from operations.selectors import periodic_task_status

    tasks = periodic_task_status()
    if not tasks:
        return _fail("no periodic task is scheduled (run setup_periodic_tasks)")
    unhealthy = [f"{t['name']}: {t['state']}" for t in tasks if t["state"] != "up"]
    if unhealthy:
        return _fail("; ".join(unhealthy))
    return _pass(f"{len(tasks)} periodic tasks up")


def check_data_fresh() -> CheckResult:
    from marketdata.selectors import data_health

    stale = data_health()["stale_instruments"]
    return _fail(f"stale bars: {', '.join(stale)}") if stale else _pass("no instrument is stale")


def check_reconciliation_clean() -> CheckResult:
    """No open reconciliation break between our orders/positions and the broker's."""
    model = optional_model(RECONCILIATION_BREAK_MODEL)
    if model is None:
        return _unknown(f"{RECONCILIATION_BREAK_MODEL} is not installed: nothing reconciles yet")
    field_names = {f.name for f in model._meta.get_fields()}
    rows = model._default_manager.all()
    if "resolved_at" in field_names:
        rows = rows.filter(resolved_at__isnull=True)
    elif "status" in field_names:
        rows = rows.filter(status="open")
    count = rows.count()
    return _fail(f"{count} open reconciliation breaks") if count else _pass("no open break")


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


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "alert_rules_loaded": check_alert_rules_loaded,
    "runbooks_loaded": check_runbooks_loaded,
    "kill_switch_tested": check_kill_switch_tested,
    "kill_switch_released": check_kill_switch_released,
    "game_day_passed": check_game_day_passed,
    "soak_passed": check_soak_passed,
    "audit_chain_verified": check_audit_chain_verified,
    "backups_recent": check_backups_recent,
    "champions_verified": check_champions_verified,
    "periodic_tasks_healthy": check_periodic_tasks_healthy,
    "data_fresh": check_data_fresh,
    "reconciliation_clean": check_reconciliation_clean,
    "monitoring_token_set": check_monitoring_token_set,
    "production_settings": check_production_settings,
}

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
        "game-day-passed", Cat.OPERATIONS, "Latest game day passed", "operations", "game_day_passed"
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
    check = CHECKS.get(check_key)
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
