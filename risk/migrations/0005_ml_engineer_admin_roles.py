"""Roles for issue 9: ml_engineer and admin, and what every role may read or do outside risk.

risk_officer approves promotions (four eyes); ml_engineer trains and proposes (promotes and
rolls back after an approval). admin manages users, groups and TOTP devices; the API token
permissions (the access app's model) come from the access app's roles table after migrate.
"""

from django.db import migrations

MARKETDATA = ("instrument", "bar", "barreview", "providerevent")
MODELS = (
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
EXECUTION = ("strategy", "order", "fill", "position")
BEAT = ("periodictask", "intervalschedule", "crontabschedule", "clockedschedule", "solarschedule")


def _views(app_label, models):
    return [f"{app_label}.view_{m}" for m in models]


READ_TRADING = [
    *_views("marketdata", MARKETDATA),
    *_views("models_registry", MODELS),
    *_views("execution", EXECUTION),
]
# Permissions added to existing roles and given to the new ones (app_label.codename).
GRANTS = {
    "operator": [
        *READ_TRADING,
        "marketdata.review_bar",
        *_views("django_celery_beat", BEAT),
        "django_celery_beat.change_periodictask",
        "django_celery_results.view_taskresult",
    ],
    "risk_officer": [*READ_TRADING, "models_registry.approve_promotion"],
    "compliance": [
        *READ_TRADING,
        *_views("django_celery_beat", BEAT),
        "django_celery_results.view_taskresult",
        "axes.view_accessattempt",
        "axes.view_accessfailurelog",
        "axes.view_accesslog",
        "auth.view_user",
        "auth.view_group",
    ],
    "viewer": [
        "marketdata.view_instrument",
        "marketdata.view_bar",
        "execution.view_order",
        "execution.view_position",
        "models_registry.view_registeredmodel",
        "models_registry.view_modelversion",
        "models_registry.view_signal",
    ],
    "ml_engineer": [
        *_views("marketdata", MARKETDATA),
        *_views("models_registry", MODELS),
        "models_registry.promote_model",
        "execution.view_strategy",
        "risk.view_riskdecision",
    ],
    "admin": [
        *[
            f"auth.{verb}_{m}"
            for verb in ("add", "change", "delete", "view")
            for m in ("user", "group")
        ],
        *[f"otp_totp.{verb}_totpdevice" for verb in ("add", "change", "delete", "view")],
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
        "axes.view_accesslog",
    ],
}
NEW_ROLES = ("ml_engineer", "admin")


def _ensure_permissions(apps):
    # Permissions are normally created after all migrations ran (post_migrate); make them
    # now so the groups can hold them on a fresh database.
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None


def _permission(apps, dotted):
    app_label, codename = dotted.split(".")
    return apps.get_model("auth", "Permission").objects.get(
        content_type__app_label=app_label, codename=codename
    )


def grant_role_permissions(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*[_permission(apps, dotted) for dotted in codenames])


def revoke_role_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name__in=NEW_ROLES).delete()
    for group in Group.objects.filter(name__in=list(GRANTS)):
        group.permissions.remove(*[_permission(apps, dotted) for dotted in GRANTS[group.name]])


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0004_default_limits_and_roles"),
        ("marketdata", "__latest__"),
        ("models_registry", "__latest__"),
        ("execution", "__latest__"),
        ("django_celery_beat", "__latest__"),
        ("django_celery_results", "__latest__"),
        ("axes", "__latest__"),
        ("otp_totp", "__latest__"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, revoke_role_permissions)]
