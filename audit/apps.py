from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from auditlog.models import LogEntry

        from audit import receivers  # noqa: F401 - connect the lockout receiver
        from audit.sources import audit_source_register, log_entry_entry

        # Configuration changes (django-auditlog) are chained; the apps register their own
        # action records in their ``ready()``.
        audit_source_register(LogEntry, log_entry_entry)
