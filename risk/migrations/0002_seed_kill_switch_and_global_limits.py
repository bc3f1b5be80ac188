from decimal import Decimal

from django.db import migrations

# Conservative defaults for a paper account: operators raise them in admin once they
# know what the strategies need.
DEFAULT_MAX_ORDER_NOTIONAL = Decimal("25000")
DEFAULT_MAX_DAILY_LOSS = Decimal("5000")


def seed_kill_switch_and_global_limits(apps, schema_editor):
    KillSwitch = apps.get_model("risk", "KillSwitch")
    RiskLimit = apps.get_model("risk", "RiskLimit")
    KillSwitch.objects.get_or_create(pk=1, defaults={"engaged": False})
    RiskLimit.objects.get_or_create(
        symbol="",
        defaults={
            "max_order_notional": DEFAULT_MAX_ORDER_NOTIONAL,
            "max_daily_loss": DEFAULT_MAX_DAILY_LOSS,
        },
    )


def remove_kill_switch_and_global_limits(apps, schema_editor):
    apps.get_model("risk", "RiskLimit").objects.filter(symbol="").delete()
    apps.get_model("risk", "KillSwitch").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("risk", "0001_initial")]

    operations = [
        migrations.RunPython(
            seed_kill_switch_and_global_limits, remove_kill_switch_and_global_limits
        ),
    ]
