"""The audit trail's models, moved here from the operations app: state only.

The tables were created by ``operations.0001_initial`` and keep their names (``db_table``), so
this migration creates nothing in the database; ``operations.0003`` drops the models from the
operations app's state in the same way. A database migrated before the move keeps every row.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The migration that created the tables this app's models live in.
        ('operations', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='AuditChainVerification',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('verified_at', models.DateTimeField(db_index=True)),
                        ('valid', models.BooleanField()),
                        ('events_checked', models.PositiveBigIntegerField()),
                        ('head_sequence', models.PositiveBigIntegerField()),
                        ('broken_sequence', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('problem', models.TextField(blank=True)),
                    ],
                    options={
                        'db_table': 'operations_auditchainverification',
                        'ordering': ['-verified_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='AuditCheckpoint',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sequence', models.PositiveBigIntegerField(unique=True)),
                        ('chain_sha256', models.CharField(max_length=64)),
                        ('pruned_count', models.PositiveIntegerField()),
                        ('retention_days', models.PositiveIntegerField()),
                        ('created_at', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'operations_auditcheckpoint',
                        'ordering': ['-sequence'],
                    },
                ),
                migrations.CreateModel(
                    name='AuditChainHead',
                    fields=[
                        ('id', models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                        ('sequence', models.PositiveBigIntegerField(default=0)),
                        ('chain_sha256', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
                    ],
                    options={
                        'db_table': 'operations_auditchainhead',
                        'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='audit_chain_head_singleton')],
                    },
                ),
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('sequence', models.PositiveBigIntegerField(unique=True)),
                        ('created_at', models.DateTimeField(db_index=True)),
                        ('actor_name', models.CharField(db_index=True, max_length=150)),
                        ('actor_roles', models.JSONField(default=list)),
                        ('action', models.CharField(db_index=True, max_length=64)),
                        ('object_type', models.CharField(blank=True, db_index=True, max_length=100)),
                        ('object_id', models.CharField(blank=True, max_length=64)),
                        ('object_repr', models.CharField(blank=True, max_length=200)),
                        ('reason', models.TextField(blank=True)),
                        ('request_id', models.CharField(blank=True, db_index=True, max_length=64)),
                        ('payload', models.JSONField(default=dict)),
                        ('content_sha256', models.CharField(max_length=64)),
                        ('previous_sha256', models.CharField(max_length=64)),
                        ('chain_sha256', models.CharField(max_length=64)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'operations_auditevent',
                        'ordering': ['-sequence'],
                        'permissions': [('export_auditevent', 'Can export the audit trail with its chain hashes')],
                    },
                ),
            ],
        ),
    ]
