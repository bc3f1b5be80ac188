"""The audit trail's models now belong to the audit app (``audit.0001_initial``): remove them
from this app's state only. Their tables stay, with their names and rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('operations', '0002_database_backup_restore_drill'),
        # The audit app holds the models first, so the tables always have an owner.
        ('audit', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='AuditChainHead'),
                migrations.DeleteModel(name='AuditChainVerification'),
                migrations.DeleteModel(name='AuditCheckpoint'),
                migrations.DeleteModel(name='AuditEvent'),
            ],
        ),
    ]
