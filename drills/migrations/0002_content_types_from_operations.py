"""The content types of the drills' models move from app label ``operations`` to ``drills``.

A content type row keeps its id, so every group and user permission on these models and every
django-auditlog or admin log entry pointing at them stays attached. On a fresh database there
is nothing to move (``post_migrate`` creates the ``drills`` rows afterwards). When both labels
exist (``post_migrate`` ran between the two steps), the older ``operations`` row is kept:
whatever points at the ``drills`` row is moved onto it first, then the ``drills`` row goes.
"""

from django.db import migrations

MODELS = ("gameday", "soakrun", "soakdailyreport")


def _merge_into(apps, duplicate, kept):
    """Re-point everything at ``duplicate`` to ``kept`` (same model), then delete it."""
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type=duplicate):
        twin = Permission.objects.filter(content_type=kept, codename=permission.codename).first()
        if twin is None:
            permission.content_type = kept
            permission.save(update_fields=["content_type"])
            continue
        for group in permission.group_set.all():
            group.permissions.add(twin)
        for user in permission.user_set.all():
            user.user_permissions.add(twin)
        permission.delete()
    for model in apps.get_models():
        for field in model._meta.fields:
            related = field.related_model
            if model is not Permission and related is not None and (
                related._meta.label_lower == "contenttypes.contenttype"
            ):
                model._base_manager.filter(**{field.name: duplicate}).update(**{field.name: kept})
    duplicate.delete()


def _move(apps, source, target):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        moving = ContentType.objects.filter(app_label=source, model=model).first()
        if moving is None:
            continue
        existing = ContentType.objects.filter(app_label=target, model=model).first()
        if existing is not None:
            _merge_into(apps, existing, moving)
        moving.app_label = target
        moving.save(update_fields=["app_label"])


def operations_to_drills(apps, schema_editor):
    _move(apps, "operations", "drills")


def drills_to_operations(apps, schema_editor):
    _move(apps, "drills", "operations")


class Migration(migrations.Migration):

    dependencies = [
        ("drills", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        # Their log entries point at content types too.
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(operations_to_drills, drills_to_operations)]
