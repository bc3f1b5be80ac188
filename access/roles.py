"""The roles: one table of what each role may do, for every app (docs/security.md, "Roles").

A role is a Django group of the same name. Its permissions are named ``app_label.codename``,
as ``User.has_perm`` spells them. After every ``migrate`` the access app creates the groups and
adds what this table names (``access.services.role_groups_sync``); it never takes a permission
away, so a grant an admin made by hand survives a deploy. ``manage.py roles --check`` shows how
the groups differ from the table, and ``manage.py roles --sync --prune`` makes them equal.

The service accounts commands act as (``svc-<purpose>``) are kept to their own table exactly:
no person stands behind them, so nothing granted by hand may stay.

Plain data, no ORM and no imports of the apps it names: a permission of an app not installed
is reported by ``manage.py roles --check``, and ``tests/access/test_roles.py`` fails on it.
"""

from __future__ import annotations


def _views(app_label: str, *models: str) -> tuple[str, ...]:
    return tuple(f"{app_label}.view_{model}" for model in models)


RISK_RECORDS = _views(
    "risk",
    "killswitch",
    "killswitchevent",
    "risklimit",
    "riskdecision",
    "tradingstatesetting",
    "temporarylimitoverride",
    "restrictedinstrument",
    "changerequest",
    "riskaction",
    "risktrip",
    "equitypeak",
)
MARKET_DATA = _views("marketdata", "instrument", "bar", "barreview", "providerevent")
MODEL_RECORDS = _views(
    "models_registry",
    "registeredmodel",
    "featureset",
    "datasetsnapshot",
    "trainingrun",
    "modelversion",
    "modelalias",
    "promotionapproval",
    "promotionevent",
    "driftreport",
    "signal",
)
TRADING_RECORDS = _views(
    "execution",
    "strategy",
    "order",
    "fill",
    "position",
    "orderevent",
    "reconciliationbreak",
    "reconciliationrun",
)
# Every role reads runbooks, the readiness checklist, game days, soak runs, backups and
# restore drills.
OPERATING_RECORDS = (
    *_views(
        "operations",
        "runbook",
        "runbookversion",
        "readinessitem",
        "databasebackup",
        "restoredrill",
    ),
    *_views("drills", "gameday", "soakrun", "soakdailyreport"),
)
INCIDENT_WORK = (
    "operations.view_incident",
    "operations.add_incident",
    "operations.change_incident",
)
SCHEDULE_RECORDS = (
    *_views(
        "django_celery_beat",
        "periodictask",
        "intervalschedule",
        "crontabschedule",
        "clockedschedule",
        "solarschedule",
    ),
    "django_celery_results.view_taskresult",
)
CRUD = ("add", "change", "delete", "view")
LOGIN_RECORDS = _views("axes", "accessattempt", "accessfailurelog", "accesslog")

ROLES: dict[str, frozenset[str]] = {
    # Runs the desk: engages the kill switch, requests releases and limit changes (a risk
    # officer approves them), reviews bars, resolves reconciliation breaks, works incidents,
    # pauses and resumes the beat schedule.
    "operator": frozenset(
        {
            *RISK_RECORDS,
            "risk.operate_killswitch",
            "risk.request_change",
            "risk.change_killswitch",
            "risk.change_risklimit",
            "risk.change_tradingstatesetting",
            "risk.add_temporarylimitoverride",
            *MARKET_DATA,
            "marketdata.review_bar",
            *MODEL_RECORDS,
            *TRADING_RECORDS,
            "execution.resolve_reconciliationbreak",
            *OPERATING_RECORDS,
            *INCIDENT_WORK,
            "operations.view_tradinglifecycleevent",
            *SCHEDULE_RECORDS,
            "django_celery_beat.change_periodictask",
        }
    ),
    # The second pair of eyes: approves changes and model promotions, restricts instruments.
    "risk_officer": frozenset(
        {
            *RISK_RECORDS,
            "risk.approve_change",
            "risk.change_changerequest",
            "risk.add_restrictedinstrument",
            "risk.change_restrictedinstrument",
            "risk.delete_restrictedinstrument",
            *MARKET_DATA,
            *MODEL_RECORDS,
            "models_registry.approve_promotion",
            *TRADING_RECORDS,
            *OPERATING_RECORDS,
            *INCIDENT_WORK,
            "operations.view_tradinglifecycleevent",
            "audit.view_auditevent",
            "audit.view_auditchainverification",
        }
    ),
    # Reads everything and changes nothing; exporting the audit trail is reading it.
    "compliance": frozenset(
        {
            *RISK_RECORDS,
            *MARKET_DATA,
            *MODEL_RECORDS,
            *TRADING_RECORDS,
            *OPERATING_RECORDS,
            "operations.view_incident",
            "operations.view_tradinglifecycleevent",
            *SCHEDULE_RECORDS,
            *LOGIN_RECORDS,
            "access.view_apitoken",
            "auth.view_user",
            "auth.view_group",
            "auditlog.view_logentry",
            "audit.view_auditevent",
            "audit.export_auditevent",
            "audit.view_auditchainverification",
            "audit.view_auditcheckpoint",
        }
    ),
    # Sees the state of the desk, not its records.
    "viewer": frozenset(
        {
            "risk.view_killswitch",
            "risk.view_risklimit",
            "risk.view_tradingstatesetting",
            "risk.view_riskdecision",
            "marketdata.view_instrument",
            "marketdata.view_bar",
            "models_registry.view_registeredmodel",
            "models_registry.view_modelversion",
            "models_registry.view_signal",
            "execution.view_order",
            "execution.view_position",
            *OPERATING_RECORDS,
            "operations.view_incident",
        }
    ),
    # Trains and proposes models; promotes and rolls back after a risk officer's approval.
    "ml_engineer": frozenset(
        {
            *MARKET_DATA,
            *MODEL_RECORDS,
            "models_registry.promote_model",
            "execution.view_strategy",
            "risk.view_riskdecision",
            *OPERATING_RECORDS,
            "operations.view_incident",
        }
    ),
    # Manages users, groups, TOTP devices and API tokens (behind a verified second factor),
    # and clears login lockouts.
    "admin": frozenset(
        {
            *(f"auth.{verb}_{model}" for verb in CRUD for model in ("user", "group")),
            *(f"otp_totp.{verb}_totpdevice" for verb in CRUD),
            "access.add_apitoken",
            "access.change_apitoken",
            "access.view_apitoken",
            *LOGIN_RECORDS,
            "axes.delete_accessattempt",
            *OPERATING_RECORDS,
            "operations.view_incident",
            "operations.view_tradinglifecycleevent",
            "audit.view_auditevent",
            "audit.view_auditchainverification",
            "audit.view_auditcheckpoint",
        }
    ),
}

# Each service account and everything it may do; its group of the same name holds exactly these.
SERVICE_ACCOUNTS: dict[str, frozenset[str]] = {
    # trading_shutdown / trading_startup: halt or request ACTIVE (request_change), the
    # emergency kill switch, and stopping / restarting the beat schedule.
    "svc-lifecycle": frozenset(
        {
            "risk.request_change",
            "risk.operate_killswitch",
            "django_celery_beat.change_periodictask",
        }
    ),
    # train_model, promote_model (the gates still want a person's approval), rollback_model,
    # set_model_alias: what the ml_engineer role does through the API.
    "svc-models": frozenset({"models_registry.promote_model"}),
    # load_runbooks: recorded as the loader; it changes nothing a permission guards.
    "svc-runbooks": frozenset(),
}
