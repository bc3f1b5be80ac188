"""The drills' records, moved here from the operations app: state only.

The tables were created by ``operations.0001_initial`` and keep their names (``db_table``), so
this migration creates nothing in the database; ``operations.0004`` drops the models from the
operations app's state in the same way. A database migrated before the move keeps every row.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        # The migration that created the tables (and the unique constraint) these models use.
        ('operations', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='GameDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('scenario', models.SlugField(max_length=64)),
                        ('started_at', models.DateTimeField()),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('passed', models.BooleanField(help_text='empty while the scenario runs', null=True)),
                        ('time_to_detect_s', models.FloatField(blank=True, null=True)),
                        ('time_to_recover_s', models.FloatField(blank=True, null=True)),
                        ('orders_affected', models.PositiveIntegerField(default=0)),
                        ('data_lost', models.PositiveIntegerField(default=0, help_text='bars missing after recovery')),
                        ('expectations', models.JSONField(default=dict)),
                        ('observed', models.JSONField(default=dict)),
                        ('failures', models.JSONField(default=list, help_text='expectations that were not met')),
                        ('timeline', models.JSONField(default=list)),
                        ('environment', models.JSONField(default=dict, help_text='database, broker, cache of the run')),
                        ('incident_id', models.PositiveIntegerField(blank=True, help_text='incident opened because the game day failed', null=True)),
                    ],
                    options={
                        'db_table': 'operations_gameday',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='SoakRun',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('started_at', models.DateTimeField()),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('status', models.CharField(choices=[('running', 'Running'), ('passed', 'Passed'), ('failed', 'Failed'), ('aborted', 'Aborted')], default='running', max_length=16)),
                        ('trading_days', models.PositiveIntegerField()),
                        ('instruments', models.PositiveIntegerField()),
                        ('speed', models.FloatField()),
                        ('faults', models.CharField(blank=True, max_length=64)),
                        ('first_session', models.DateField()),
                        ('profile', models.JSONField(default=dict, help_text='timeframe, broker, database, schedule')),
                        ('report', models.JSONField(default=dict)),
                        ('failures', models.JSONField(default=list, help_text='invariants that did not hold')),
                    ],
                    options={
                        'db_table': 'operations_soakrun',
                        'ordering': ['-started_at'],
                    },
                ),
                migrations.CreateModel(
                    name='SoakDailyReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('session', models.DateField()),
                        ('cycles_expected', models.PositiveIntegerField()),
                        ('cycles_run', models.PositiveIntegerField()),
                        ('bars_expected', models.PositiveIntegerField()),
                        ('bars_stored', models.PositiveIntegerField()),
                        ('signals', models.PositiveIntegerField()),
                        ('orders', models.PositiveIntegerField()),
                        ('fills', models.PositiveIntegerField()),
                        ('realized_pnl', models.DecimalField(decimal_places=6, default=0, max_digits=20)),
                        ('figures', models.JSONField(default=dict)),
                        ('soak_run', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='daily_reports', to='drills.soakrun')),
                    ],
                    options={
                        'db_table': 'operations_soakdailyreport',
                        'ordering': ['soak_run', 'session'],
                        'constraints': [models.UniqueConstraint(fields=('soak_run', 'session'), name='operations_soak_daily_report_unique')],
                    },
                ),
            ],
        ),
    ]
