"""The soak and game-day records now belong to the drills app (``drills.0001_initial``):
remove them from this app's state only. Their tables stay, with their names and rows."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('operations', '0004_access_models_to_access_app'),
        # The drills app holds the models first, so the tables always have an owner.
        ('drills', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name='GameDay'),
                migrations.DeleteModel(name='SoakDailyReport'),
                migrations.DeleteModel(name='SoakRun'),
            ],
        ),
    ]
