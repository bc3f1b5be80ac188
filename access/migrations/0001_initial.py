"""The API token model, moved here from the operations app: state only.

Its table was created by ``operations.0001_initial`` and keeps its name (``db_table``), so this
migration creates nothing in the database; ``operations.0004`` drops the model from the
operations app's state in the same way. A database migrated before the move keeps every token.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        # The migration that created the table this app's model lives in.
        ('operations', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(help_text="What the token is for, e.g. 'ci-bot'.", max_length=100)),
                        ('prefix', models.CharField(editable=False, max_length=12)),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True)),
                        ('scope', models.CharField(choices=[('read', 'read-only (safe methods)'), ('read_write', 'read-write')], default='read', max_length=16)),
                        ('created_at', models.DateTimeField()),
                        ('expires_at', models.DateTimeField()),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('revoke_reason', models.CharField(blank=True, max_length=200)),
                        ('last_used_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('revoked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'API token',
                        'db_table': 'operations_apitoken',
                        'ordering': ['-created_at'],
                    },
                ),
            ],
        ),
    ]
