"""The audit trail: append-only, one HMAC chain per stream (house style §9, DESIGN.md
invariant 4, 21 CFR 11.10(e)).

``audit_record`` is called by services inside their own transaction, so an event exists
exactly when the change it describes does. ``audit_verify`` walks every chain and names the
first row that was changed, inserted or deleted, and a tail cut off after a checkpoint.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from hemaops.core.models import AuditCheckpoint, AuditEvent, AuditStreamHead, User
from hemaops.core.request_context import current_request_id

GENESIS_MAC = "0" * 64


def _key() -> bytes:
    key = settings.HEMAOPS_AUDIT_KEY
    if not key:
        raise ImproperlyConfigured(
            "HEMAOPS_AUDIT_KEY is not set: set it, or run `hemaops init` to create "
            "the key file under HEMAOPS_HOME"
        )
    return str(key).encode()


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(value: Any) -> str:
    """HMAC-SHA256 of a JSON-able value under the audit key, as hex."""
    return hmac.new(_key(), _canonical(value), hashlib.sha256).hexdigest()


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def plain_data(data: Any) -> Any:
    """Make ``data`` exactly what the JSON column will give back (Decimals and dates as
    strings), so the MAC computed now is the MAC recomputed on reading."""
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _event_content(event: AuditEvent) -> dict[str, Any]:
    return {
        "stream": event.stream,
        "sequence": event.sequence,
        "occurred_at": _timestamp(event.occurred_at),
        "recorded_at": _timestamp(event.recorded_at),
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
        "reason": event.reason,
        "request_id": event.request_id,
        "previous_mac": event.previous_mac,
    }


def event_mac(event: AuditEvent) -> str:
    return sign(_event_content(event))


def target_label(target: Model | tuple[str, Any] | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, tuple):
        return target[0], str(target[1])
    return target._meta.label_lower, str(target.pk)


@dataclass(frozen=True)
class PendingEvent:
    action: str
    target: Model | tuple[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    occurred_at: datetime | None = None


def audit_record(
    *,
    stream: str,
    action: str,
    actor: User | None,
    target: Model | tuple[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    reason: str = "",
    occurred_at: datetime | None = None,
) -> AuditEvent:
    """Append one event to ``stream``'s chain, inside the caller's transaction."""
    (event,) = audit_record_many(
        stream=stream,
        actor=actor,
        events=[PendingEvent(action, target, data or {}, reason, occurred_at)],
    )
    return event


def audit_record_many(*, stream: str, actor: User | None, events: Sequence[PendingEvent]) -> list[AuditEvent]:
    """Append a batch of events with one lock of the stream head and one INSERT."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit events are written inside the service's transaction")
    if not events:
        return []
    AuditStreamHead.objects.bulk_create([AuditStreamHead(stream=stream)], ignore_conflicts=True)
    head = AuditStreamHead.objects.select_for_update().get(stream=stream)
    recorded_at = timezone.now()
    request_id = current_request_id()
    rows = []
    sequence, previous_mac = head.sequence, head.mac or GENESIS_MAC
    for pending in events:
        target_type, target_id = target_label(pending.target)
        sequence += 1
        row = AuditEvent(
            stream=stream,
            sequence=sequence,
            occurred_at=pending.occurred_at or recorded_at,
            recorded_at=recorded_at,
            actor_id=actor.pk if actor is not None else None,
            actor_username=actor.get_username() if actor is not None else "",
            action=pending.action,
            target_type=target_type,
            target_id=target_id,
            data=plain_data(pending.data),
            reason=pending.reason,
            request_id=request_id,
            previous_mac=previous_mac,
        )
        row.mac = event_mac(row)
        previous_mac = row.mac
        rows.append(row)
    AuditEvent.objects.bulk_create(rows, batch_size=2000)  # one huge statement is slower
    head.sequence, head.mac = sequence, previous_mac
    head.save(update_fields=["sequence", "mac"])
    return rows


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The ``{"old": …, "new": …}`` data of an audit event, keeping only what changed."""
    keys = sorted(key for key in set(before) | set(after) if before.get(key) != after.get(key))
    return {
        "old": {key: before.get(key) for key in keys},
        "new": {key: after.get(key) for key in keys},
    }


# --- checkpoints -------------------------------------------------------------------------


def _checkpoint_content(checkpoint: AuditCheckpoint) -> dict[str, Any]:
    return {
        "stream": checkpoint.stream,
        "sequence": checkpoint.sequence,
        "event_mac": checkpoint.event_mac,
        "recorded_at": _timestamp(checkpoint.recorded_at),
    }


@transaction.atomic
def audit_checkpoint_record() -> list[AuditCheckpoint]:
    """Record each stream's head as a signed checkpoint (a periodic job: `hemaops audit
    checkpoint`). Safe to re-run: a stream whose head has not moved gets no new row."""
    now = timezone.now()
    created = []
    for head in AuditStreamHead.objects.select_for_update().order_by("stream"):
        latest = AuditCheckpoint.objects.filter(stream=head.stream).order_by("-sequence").first()
        if head.sequence == 0 or (latest is not None and latest.sequence == head.sequence):
            continue
        checkpoint = AuditCheckpoint(
            stream=head.stream, sequence=head.sequence, event_mac=head.mac, recorded_at=now
        )
        checkpoint.mac = sign(_checkpoint_content(checkpoint))
        created.append(checkpoint)
    AuditCheckpoint.objects.bulk_create(created)
    return created


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditProblem:
    stream: str
    sequence: int
    kind: str  # changed | inserted | deleted | missing_tail | forged_checkpoint
    message: str


@dataclass
class AuditVerification:
    events_checked: int = 0
    checkpoints_checked: int = 0
    streams: list[str] = field(default_factory=list)
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _verify_stream(
    stream: str, rows: Iterable[AuditEvent | None], result: AuditVerification, head_sequence: int
) -> dict[int, str]:
    """Walk one chain; return sequence → MAC of its rows for the checkpoint check.

    Classification: a gap in the sequence is a deletion; a row whose MAC fails is an
    insertion when its primary key breaks the order of the rows around it, when it lies
    beyond the stream head, or when its predecessor's MAC is not its ``previous_mac`` (a
    genuine row always links to the row written before it); otherwise it is a change to a
    genuine row. Only the first problem of a chain is reported: after it, the chain cannot
    be trusted.
    """
    expected_sequence, expected_previous, previous_pk = 1, GENESIS_MAC, 0
    macs: dict[int, str] = {}
    # One row of look-ahead (for the primary-key order test) without loading the chain.
    for row, following in itertools.pairwise(itertools.chain(rows, [None])):
        if row is None:
            break
        result.events_checked += 1
        if row.sequence != expected_sequence:
            result.problems.append(
                AuditProblem(
                    stream,
                    expected_sequence,
                    "deleted",
                    f"{stream}: rows {expected_sequence}..{row.sequence - 1} are missing (deleted)",
                )
            )
            return macs
        next_pk = following.pk if following is not None else None
        if not hmac.compare_digest(row.mac, event_mac(row)):
            out_of_order = row.pk < previous_pk or (next_pk is not None and row.pk > next_pk)
            beyond_head = row.sequence > head_sequence
            if out_of_order or beyond_head or row.previous_mac != expected_previous:
                kind, what = "inserted", "was inserted: it is not part of the chain"
            else:
                kind, what = "changed", "was changed after it was written: its MAC does not match"
            result.problems.append(
                AuditProblem(stream, row.sequence, kind, f"{stream}#{row.sequence} ({row.action}) {what}")
            )
            return macs
        if row.previous_mac != expected_previous:
            result.problems.append(
                AuditProblem(
                    stream,
                    row.sequence,
                    "inserted",
                    f"{stream}#{row.sequence} does not link to the row before it",
                )
            )
            return macs
        macs[row.sequence] = row.mac
        expected_sequence, expected_previous, previous_pk = row.sequence + 1, row.mac, row.pk
    return macs


def audit_verify() -> AuditVerification:
    result = AuditVerification()
    streams = sorted(
        set(AuditEvent.objects.values_list("stream", flat=True).distinct())
        | set(AuditCheckpoint.objects.values_list("stream", flat=True).distinct())
        | set(AuditStreamHead.objects.values_list("stream", flat=True))
    )
    heads = dict(AuditStreamHead.objects.values_list("stream", "sequence"))
    for stream in streams:
        result.streams.append(stream)
        head_sequence = heads.get(stream, 0)
        before = len(result.problems)
        macs = _verify_stream(
            stream,
            AuditEvent.objects.filter(stream=stream).order_by("sequence").iterator(2000),
            result,
            head_sequence,
        )
        if len(result.problems) == before:
            _verify_tail(stream, macs, head_sequence, result)
    return result


def _verify_tail(stream: str, macs: dict[int, str], head_sequence: int, result: AuditVerification) -> None:
    """The chain must reach its newest genuine checkpoint and its head row."""
    last_sequence = max(macs, default=0)
    checkpoint = AuditCheckpoint.objects.filter(stream=stream).order_by("-sequence").first()
    if checkpoint is not None:
        result.checkpoints_checked += 1
        if not hmac.compare_digest(checkpoint.mac, sign(_checkpoint_content(checkpoint))):
            result.problems.append(
                AuditProblem(
                    stream,
                    checkpoint.sequence,
                    "forged_checkpoint",
                    f"{stream}: the checkpoint at #{checkpoint.sequence} is not genuine",
                )
            )
            return
        if checkpoint.sequence > last_sequence:
            result.problems.append(
                AuditProblem(
                    stream,
                    last_sequence + 1,
                    "missing_tail",
                    f"{stream}: rows {last_sequence + 1}..{checkpoint.sequence} are missing "
                    f"(the tail after #{last_sequence} was cut off; a checkpoint recorded "
                    f"#{checkpoint.sequence})",
                )
            )
            return
        if macs.get(checkpoint.sequence) != checkpoint.event_mac:
            result.problems.append(
                AuditProblem(
                    stream,
                    checkpoint.sequence,
                    "changed",
                    f"{stream}#{checkpoint.sequence} differs from the checkpoint that recorded it",
                )
            )
            return
    if head_sequence > last_sequence:
        result.problems.append(
            AuditProblem(
                stream,
                last_sequence + 1,
                "missing_tail",
                f"{stream}: rows {last_sequence + 1}..{head_sequence} are missing "
                f"(the chain ends at #{last_sequence}, its head says #{head_sequence})",
            )
        )
