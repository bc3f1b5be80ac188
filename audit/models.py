"""The tamper-evident audit trail: a hash chain of every privileged action and config change.

Each ``AuditEvent`` stores the sha256 of its canonical content (``audit.chain``) and the
chain hash of the event before it, so editing, deleting or inserting a row breaks the chain
from that point on; ``manage.py verify_audit_chain`` finds the first broken link.

The tables keep the names they were created with when this trail lived in the operations app
(``Meta.db_table``): moving the models renamed nothing in the database, so no row moved.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from audit.chain import GENESIS_SHA256
from common.models import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    """One privileged action or configuration change: who (and in which roles), what, on
    which object, why, from which request, and its place in the hash chain.

    Written in the same transaction as the action it records (``audit_event_append``).
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, db_index=True)
    actor_roles = models.JSONField(default=list)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, blank=True, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True, db_index=True)
    payload = models.JSONField(default=dict)
    content_sha256 = models.CharField(max_length=64)
    previous_sha256 = models.CharField(max_length=64)
    chain_sha256 = models.CharField(max_length=64)

    class Meta:
        db_table = "operations_auditevent"
        ordering = ["-sequence"]
        permissions = [("export_auditevent", "Can export the audit trail with its chain hashes")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_name}"


class AuditChainHead(models.Model):
    """The newest link of the chain (one row, id 1), locked by every append.

    The lock serialises appends so the chain never forks; the copy of the newest sequence and
    hash lets verification notice rows cut off the end of the log.
    """

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID)
    sequence = models.PositiveBigIntegerField(default=0)
    chain_sha256 = models.CharField(max_length=64, default=GENESIS_SHA256)

    class Meta:
        db_table = "operations_auditchainhead"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_chain_head_singleton")]

    def __str__(self) -> str:
        return f"Audit chain head #{self.sequence}"


class AuditCheckpoint(AppendOnlyModel):
    """Where a retention prune cut the chain: the last pruned event's sequence and chain hash.

    Verification starts from the newest checkpoint, so pruning events past their retention
    keeps the rest of the chain verifiable.
    """

    sequence = models.PositiveBigIntegerField(unique=True)
    chain_sha256 = models.CharField(max_length=64)
    pruned_count = models.PositiveIntegerField()
    retention_days = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "operations_auditcheckpoint"
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"Checkpoint at #{self.sequence}"


class AuditChainVerification(AppendOnlyModel):
    """The outcome of one verification of the chain (daily task or the command)."""

    verified_at = models.DateTimeField(db_index=True)
    valid = models.BooleanField()
    events_checked = models.PositiveBigIntegerField()
    head_sequence = models.PositiveBigIntegerField()
    broken_sequence = models.PositiveBigIntegerField(null=True, blank=True)
    problem = models.TextField(blank=True)

    class Meta:
        db_table = "operations_auditchainverification"
        ordering = ["-verified_at", "-id"]

    def __str__(self) -> str:
        verdict = "valid" if self.valid else f"broken at #{self.broken_sequence}"
        return f"{self.verified_at:%Y-%m-%d %H:%M:%S}: {verdict}"
