"""What feeds the audit chain: each app's own audit record, as it is written.

Risk writes a ``RiskAction`` for every kill switch change, limit change, override, state
change and four-eyes step; the registry a ``PromotionEvent`` for every promotion, approval
and rollback; execution a ``ReconciliationBreak`` when found and again when resolved;
django-auditlog a ``LogEntry`` for every configuration change. A ``post_save`` receiver turns
each new row into an ``AuditEvent`` in the same transaction, so no action commits without its
chain entry.

The audit app imports no domain app, and no domain app imports it: each app lists its record
in an ``audit_feed`` module, ``AUDIT_SOURCES = {Model: mapper}``, with a function mapping a
saved row to ``audit_event_append`` keywords (or ``None`` when the save is not an action).
``AuditConfig.ready`` finds those modules the way the admin finds ``admin.py`` modules
(``audit_sources_discover``). Only django-auditlog's ``LogEntry``, a library model, is
registered by the audit app itself.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from auditlog.models import LogEntry
from django.apps import apps
from django.db import models
from django.db.models.signals import post_save
from django.utils.module_loading import module_has_submodule

from audit.services import audit_event_append

FEED_MODULE = "audit_feed"
# (saved row, created) -> keywords for audit_event_append, or None: not an action to chain.
AuditMapper = Callable[[Any, bool], dict[str, Any] | None]

CONFIG_ACTIONS = {
    LogEntry.Action.CREATE: "create",
    LogEntry.Action.UPDATE: "update",
    LogEntry.Action.DELETE: "delete",
    LogEntry.Action.ACCESS: "access",
}


def audit_source_register(model: type[models.Model], mapper: AuditMapper) -> None:
    """Chain every save of ``model`` that ``mapper`` maps to an event.

    Registering the same model again replaces its receiver (``ready()`` may run twice).
    """

    def chained(
        sender: type, instance: models.Model, created: bool, raw: bool = False, **_: Any
    ) -> None:
        if raw:  # fixtures and test-database restores, not actions
            return
        entry = mapper(instance, created)
        if entry is not None:
            audit_event_append(**entry)

    post_save.connect(
        chained, sender=model, weak=False, dispatch_uid=f"audit_{model._meta.label_lower}"
    )


def audit_sources_discover() -> None:
    """Register every installed app's ``audit_feed.AUDIT_SOURCES``."""
    for app_config in apps.get_app_configs():
        if not module_has_submodule(app_config.module, FEED_MODULE):
            continue
        feed = import_module(f"{app_config.name}.{FEED_MODULE}")
        for model, mapper in feed.AUDIT_SOURCES.items():
            audit_source_register(model, mapper)


def log_entry_entry(entry: LogEntry, created: bool) -> dict[str, Any] | None:
    """A configuration change recorded by django-auditlog (secret fields already masked)."""
    if not created:
        return None
    content_type = entry.content_type
    return {
        "action": f"config.{CONFIG_ACTIONS.get(entry.action, entry.action)}",
        "actor": entry.actor,
        "request_id": entry.cid or None,
        "object_type": f"{content_type.app_label}.{content_type.model}",
        "object_id": entry.object_pk,
        "object_repr": entry.object_repr,
        "payload": {"log_entry": entry.pk, "changes": entry.changes or {}},
    }
