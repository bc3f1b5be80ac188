from django.apps import AppConfig


class DrillsConfig(AppConfig):
    name = "drills"
    verbose_name = "7. Drills"

    def ready(self) -> None:
        from drills.readiness_checks import readiness_checks_register

        readiness_checks_register()
