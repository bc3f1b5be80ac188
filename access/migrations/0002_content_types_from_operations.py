"""The API token's content type moves from app label ``operations`` to ``access``.

``common.content_types`` says how permissions and log entries stay attached.
"""

from django.db import migrations

from common.content_types import content_types_relabel

MODELS = ("apitoken",)


def operations_to_access(apps, schema_editor):
    content_types_relabel(apps, MODELS, "operations", "access")


def access_to_operations(apps, schema_editor):
    content_types_relabel(apps, MODELS, "access", "operations")


class Migration(migrations.Migration):

    dependencies = [
        ("access", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        # Their log entries point at content types too.
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunPython(operations_to_access, access_to_operations)]
