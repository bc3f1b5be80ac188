from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from auditlog.models import LogEntry

        from audit import receivers  # noqa: F401 - connect the lockout receiver
        from audit.sources import audit_source_register, audit_sources_discover, log_entry_entry

        # Configuration changes (django-auditlog) are chained, and so is every action record
        # an app lists in its ``audit_feed`` module.
        audit_source_register(LogEntry, log_entry_entry)
        audit_sources_discover()
