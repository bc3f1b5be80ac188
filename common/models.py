"""Abstract bases for concrete models: timestamps, append-only records, and the record of an
action (who, why, from which request)."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import models

from common.exceptions import ImmutableRecordError


class BaseModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Bulk writes that would rewrite or erase append-only rows are refused.

    ``update`` may touch only the model's ``resolution_fields`` (the one step some records
    have, e.g. a change request's decision); ``delete`` is always refused. Retention pruning
    of the audit log is the one deliberate exception and says so where it happens.
    """

    def update(self, **kwargs: Any) -> int:
        forbidden = set(kwargs) - set(getattr(self.model, "resolution_fields", ()))
        if forbidden:
            raise ImmutableRecordError(
                f"{self.model.__name__} is append-only: {', '.join(sorted(forbidden))} "
                "cannot be changed"
            )
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        # Bulk updates skip save(), so the "only while open" rule could not be checked.
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be bulk-updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{self.model.__name__} rows cannot be deleted")


class AppendOnlyManager(models.Manager[_M]):
    """Hands out ``AppendOnlyQuerySet``s, so ``objects.update()`` is checked too."""

    def get_queryset(self) -> AppendOnlyQuerySet[_M]:
        return AppendOnlyQuerySet(self.model, using=self._db)


class AppendOnlyModel(models.Model):
    """A record written once: ``save()`` on a stored row and ``delete()`` are refused.

    A model with a resolution step lists the fields that step sets in ``resolution_fields``
    and says in ``resolution_open`` whether the stored row may still be resolved; every other
    field stays as first written. The check compares with the stored row, so a service that
    calls ``save()`` after setting only resolution fields keeps working.
    """

    resolution_fields: ClassVar[tuple[str, ...]] = ()

    objects = AppendOnlyManager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            kwargs["update_fields"] = self._resolution_changes()
            if not kwargs["update_fields"]:
                return
        super().save(*args, **kwargs)

    def _resolution_changes(self) -> list[str]:
        stored = type(self)._base_manager.get(pk=self.pk)
        changed = [
            field.attname
            for field in self._meta.concrete_fields
            if getattr(stored, field.attname) != getattr(self, field.attname)
        ]
        forbidden = [name for name in changed if name not in self.resolution_fields]
        if forbidden:
            raise ImmutableRecordError(
                f"{type(self).__name__} {self.pk} is append-only: "
                f"{', '.join(forbidden)} cannot be changed"
            )
        if changed and not self.resolution_open(stored):
            raise ImmutableRecordError(f"{type(self).__name__} {self.pk} is already resolved")
        # auto_now fields (updated_at) refresh themselves on every save they take part in.
        auto = [f.attname for f in self._meta.concrete_fields if getattr(f, "auto_now", False)]
        if not changed:
            return []
        return [*changed, *(name for name in auto if name in self.resolution_fields)]

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{type(self).__name__} {self.pk} cannot be deleted")

    def resolution_open(self, stored: AppendOnlyModel) -> bool:
        """Whether the stored row may still take its resolution (default: always)."""
        return True


class ActionRecord(models.Model):
    """Who acted, why, and from which request: what every record of a privileged action
    carries, whether a person acted (through admin, the API or a command) or the system did.

    ``actor`` is empty when the system acted (an automatic trip, a confirmation) and is never
    deleted from under a record; ``actor_name`` keeps the name as it was (``common.actors.
    actor_name``). The time stays with each record, since what it marks differs (an instant,
    or the start of a span that also has an end).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150)
    reason = models.TextField()
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        abstract = True
