"""Relabel models' content types when the models move to another app without their tables
(``SeparateDatabaseAndState`` with a pinned ``db_table``); the data migrations that do so call
this with the historical ``apps`` they are given.

A content type row keeps its id, so every group and user permission on the moved models and
every django-auditlog or admin log entry pointing at them stays attached. On a fresh database
there is nothing to move (``post_migrate`` creates the new rows afterwards). When both labels
exist (``post_migrate`` ran between the two steps), the older row is kept: whatever points at
the newer one is moved onto it first, then the newer one goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def _merge_into(apps: Any, duplicate: Any, kept: Any) -> None:
    """Re-point everything at ``duplicate`` to ``kept`` (same model), then delete it."""
    Permission = apps.get_model("auth", "Permission")
    for permission in Permission.objects.filter(content_type=duplicate):
        twin = Permission.objects.filter(content_type=kept, codename=permission.codename).first()
        if twin is None:
            permission.content_type = kept
            permission.save(update_fields=["content_type"])
            continue
        for group in permission.group_set.all():
            group.permissions.add(twin)
        for user in permission.user_set.all():
            user.user_permissions.add(twin)
        permission.delete()
    for model in apps.get_models():
        for field in model._meta.fields:
            related = field.related_model
            if (
                model is not Permission
                and related is not None
                and (related._meta.label_lower == "contenttypes.contenttype")
            ):
                model._base_manager.filter(**{field.name: duplicate}).update(**{field.name: kept})
    duplicate.delete()


def content_types_relabel(apps: Any, models: Iterable[str], source: str, target: str) -> None:
    """Move the content types of ``models`` (lower-case model names) from app label
    ``source`` to ``target``, merging a ``target`` row that already exists."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in models:
        moving = ContentType.objects.filter(app_label=source, model=model).first()
        if moving is None:
            continue
        existing = ContentType.objects.filter(app_label=target, model=model).first()
        if existing is not None:
            _merge_into(apps, existing, moving)
        moving.app_label = target
        moving.save(update_fields=["app_label"])
