from decimal import Decimal

from django.db import migrations

# Defaults of the new limits on the global row, for a 100,000 paper account. Operators tune
# them (lowering at once, raising with a risk officer's approval). docs/risk_guard.md lists
# each one and why.
GLOBAL_DEFAULTS = {
    "max_position_notional": Decimal("50000"),
    "max_gross_exposure": Decimal("250000"),
    "max_net_exposure": Decimal("150000"),
    "daily_loss_warning_pct": Decimal("80"),
    "max_drawdown": Decimal("7500"),
    "price_collar_bps": Decimal("500"),
    "expected_slippage_bps": Decimal("5"),
    "max_price_age_s": Decimal("600"),
    "max_orders_per_second": Decimal("20"),
    "max_orders_per_minute": Decimal("600"),
    "global_max_orders_per_second": Decimal("100"),
    "global_max_orders_per_minute": Decimal("3000"),
    "duplicate_window_s": Decimal("5"),
    "manual_confirm_notional": Decimal("10000"),
    "min_buying_power_reserve": Decimal("0"),
    "max_consecutive_losses": Decimal("5"),
    "loss_cooldown_minutes": Decimal("30"),
}

RISK_MODELS = (
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
# Role -> permissions (app_label.codename). Actions are checked in the services, so admin and
# the API enforce exactly the same rules.
ROLES = {
    "operator": [
        "risk.operate_killswitch",
        "risk.request_change",
        "risk.change_killswitch",
        "risk.change_risklimit",
        "risk.change_tradingstatesetting",
        "risk.add_temporarylimitoverride",
        *[f"risk.view_{m}" for m in RISK_MODELS],
    ],
    "risk_officer": [
        "risk.approve_change",
        "risk.change_changerequest",
        "risk.add_restrictedinstrument",
        "risk.change_restrictedinstrument",
        "risk.delete_restrictedinstrument",
        *[f"risk.view_{m}" for m in RISK_MODELS],
    ],
    "compliance": [
        *[f"risk.view_{m}" for m in RISK_MODELS],
        "auditlog.view_logentry",
    ],
    "viewer": [
        "risk.view_killswitch",
        "risk.view_risklimit",
        "risk.view_tradingstatesetting",
        "risk.view_riskdecision",
    ],
}


def _ensure_permissions(apps):
    # Permissions are normally created after all migrations ran (post_migrate); make them
    # now so the groups can hold them on a fresh database.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None


def seed_defaults_and_roles(apps, schema_editor):
    RiskLimit = apps.get_model("risk", "RiskLimit")
    RiskLimit.objects.filter(strategy="", symbol="").update(**GLOBAL_DEFAULTS)
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            group.permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )


def remove_defaults_and_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLES)).delete()
    apps.get_model("risk", "RiskLimit").objects.filter(strategy="", symbol="").update(
        **dict.fromkeys(GLOBAL_DEFAULTS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0003_trading_states_limits_four_eyes"),
        ("auditlog", "__latest__"),
        ("auth", "__latest__"),
        ("contenttypes", "__latest__"),
    ]

    operations = [migrations.RunPython(seed_defaults_and_roles, remove_defaults_and_roles)]
