"""The content types of the drills' models move from app label ``operations`` to ``drills``.

``common.content_types`` says how permissions and log entries stay attached.
"""

from django.db import migrations

from common.content_types import content_types_relabel

MODELS = ("gameday", "soakrun", "soakdailyreport")


def operations_to_drills(apps, schema_editor):
    content_types_relabel(apps, MODELS, "operations", "drills")


def drills_to_operations(apps, schema_editor):
    content_types_relabel(apps, MODELS, "drills", "operations")


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
