"""Hash-chain maths of the audit trail (pure: no ORM, no Django).

1. The content of an event (every field but the hashes) is serialised canonically: JSON with
   sorted keys, no spaces, UTF-8, times as UTC ISO-8601 with microseconds.
2. ``content_sha256 = sha256(canonical content)``.
3. ``chain_sha256 = sha256(previous chain_sha256 + content_sha256)``; the first event's
   previous hash is ``GENESIS_SHA256`` (or the checkpoint a retention prune left).

Editing a row changes its content hash; deleting one leaves a gap in the sequence and a
previous hash that no longer matches; inserting one breaks the link of the row after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS_SHA256 = "0" * 64
CONTENT_FIELDS = (
    "sequence",
    "created_at",
    "actor_name",
    "actor_roles",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "reason",
    "request_id",
    "payload",
)
# An event's whole stored record: what its hash covers, then the hashes themselves.
RECORD_FIELDS = (*CONTENT_FIELDS, "content_sha256", "previous_sha256", "chain_sha256")


def _default(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return str(value)  # Decimal, UUID: their exact text


def json_safe(value: Any) -> Any:
    """The value as the JSON the database stores, so hashing before and after storing agrees."""
    return json.loads(json.dumps(value, default=_default))


def canonical(content: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an event's content fields."""
    data = {name: content[name] for name in CONTENT_FIELDS}
    return json.dumps(
        data, default=_default, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def content_hash(content: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def chain_hash(previous_sha256: str, content_sha256: str) -> str:
    return hashlib.sha256(f"{previous_sha256}{content_sha256}".encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored event as verification sees it."""

    content: Mapping[str, Any]
    content_sha256: str
    previous_sha256: str
    chain_sha256: str

    @property
    def sequence(self) -> int:
        return int(self.content["sequence"])


@dataclass(frozen=True)
class BrokenLink:
    sequence: int
    problem: str


@dataclass(frozen=True)
class ChainReport:
    checked: int
    last_sequence: int
    last_sha256: str
    broken: BrokenLink | None


def _check(link: Link, expected_sequence: int, previous: str) -> str | None:
    if link.sequence != expected_sequence:
        return f"sequence {link.sequence} follows {expected_sequence - 1}: events are missing"
    if link.previous_sha256 != previous:
        return "previous hash does not match the event before it: an event was removed or inserted"
    if content_hash(link.content) != link.content_sha256:
        return "content does not match its sha256: the event was edited"
    if chain_hash(previous, link.content_sha256) != link.chain_sha256:
        return "chain hash does not match: the hashes were rewritten"
    return None


def chain_verify(links: Iterable[Link], *, start_sequence: int, start_sha256: str) -> ChainReport:
    """Walk the links in sequence order from a starting point; stop at the first broken one."""
    expected, previous, checked = start_sequence + 1, start_sha256, 0
    for link in links:
        problem = _check(link, expected, previous)
        if problem:
            return ChainReport(checked, expected - 1, previous, BrokenLink(expected, problem))
        checked += 1
        expected, previous = link.sequence + 1, link.chain_sha256
    return ChainReport(checked, expected - 1, previous, None)
