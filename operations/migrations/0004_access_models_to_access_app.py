"""The API token model now belongs to the access app (``access.0001_initial``): remove it from
this app's state only. Its table stays, with its name and rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('operations', '0003_audit_models_to_audit_app'),
        # The access app holds the model first, so the table always has an owner.
        ('access', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='ApiToken'),
            ],
        ),
    ]
