"""The party's append-only, hash-chained, signed audit log, and its on-chain anchors.

Appends are serialised (``Database.session(lock="audit")``) and ``prev_hash`` is
unique, so two writers can never fork the chain. :meth:`AuditLog.verify` walks the
chain from seq 1 and reports the first broken link; anchors recorded after an
on-chain write must still match the chain at their entry count.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from eth_account.signers.local import LocalAccount
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zkredit.store.auditchain import (
    GENESIS,
    AnchorRecord,
    AuditBreak,
    AuditEntry,
    AuditReport,
    Hash32,
    canonical_json,
    entry_hash,
    hash_from_hex,
    parse_hex,
    sign_hash,
    to_hex,
)
from zkredit.store.auditverify import check_anchors, check_entry
from zkredit.store.columns import utc, utcnow
from zkredit.store.db import Database
from zkredit.store.errors import AnchorMismatch, AuditSignerMissing
from zkredit.store.models import AnchorRow, AuditRow

AUDIT_LOCK = "audit"


class Anchorer(Protocol):
    """Writes an audit head on chain (implemented by the chain layer)."""

    def anchor(self, head_hash: bytes, entry_count: int) -> str:
        """Submit ``head_hash`` covering ``entry_count`` entries; return the tx hash."""
        ...

    def anchored(self, head_hash: bytes, entry_count: int) -> str | None:
        """The tx hash of this anchorer's existing anchor of exactly this head, if any."""
        ...


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        seq=row.seq,
        created_at=row.created_at,
        actor=row.actor,
        kind=row.kind,
        payload=row.payload,
        prev_hash=hash_from_hex(row.prev_hash),
        entry_hash=hash_from_hex(row.entry_hash),
        signature=parse_hex(row.signature) or b"",
        signer=row.signer,
    )


def _anchor(row: AnchorRow) -> AnchorRecord:
    return AnchorRecord(
        row.seq,
        hash_from_hex(row.head_hash),
        row.entry_count,
        row.tx_hash,
        row.chain_id,
        row.anchored_at,
    )


class AuditLog:
    """One party's audit log. ``account`` signs appends; verification needs no key."""

    def __init__(
        self,
        db: Database,
        account: LocalAccount | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.db = db
        self.actor = db.party
        self._account = account
        self._clock = clock

    def append(
        self, kind: str, payload: Mapping[str, Any], *, session: Session | None = None
    ) -> AuditEntry:
        """Add an entry after the current head, signed by this party's key.

        Pass ``session`` to write the entry in the caller's unit of work, so the
        business change and its entry commit together or not at all. That session
        must have been opened with a lock (``Database.session(lock=...)``); the audit
        lock is then taken inside it.
        """
        if self._account is None:
            raise AuditSignerMissing(
                f"the audit log of party {self.actor!r} was opened without a signing key",
                hint="Pass the party's Ethereum account to AuditLog(db, account).",
            )
        if session is not None:
            self.db.hold(session, AUDIT_LOCK)
            return self._append_in(session, kind, payload)
        with self.db.session(lock=AUDIT_LOCK) as s:
            return self._append_in(s, kind, payload)

    def _append_in(self, s: Session, kind: str, payload: Mapping[str, Any]) -> AuditEntry:
        assert self._account is not None
        text = canonical_json(dict(payload))
        created_at = utc(self._clock())
        head = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
        seq = head.seq + 1 if head else 1
        prev = hash_from_hex(head.entry_hash) if head else GENESIS
        digest = entry_hash(seq, prev, self.actor, kind, text, created_at)
        row = AuditRow(
            seq=seq,
            created_at=created_at,
            actor=self.actor,
            kind=kind,
            payload=text,
            prev_hash=to_hex(prev),
            entry_hash=to_hex(digest),
            signature=to_hex(sign_hash(self._account, digest)),
            signer=self._account.address,
        )
        s.add(row)
        s.flush()
        return _entry(row)

    def head(self) -> AuditEntry | None:
        """The last entry, or ``None`` for an empty log."""
        with self.db.session() as s:
            row = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
            return _entry(row) if row else None

    def entries(self, *, after: int = 0, limit: int = 100) -> list[AuditEntry]:
        """Up to ``limit`` entries with seq greater than ``after``, oldest first."""
        with self.db.session() as s:
            query = select(AuditRow).where(AuditRow.seq > after).order_by(AuditRow.seq)
            return [_entry(r) for r in s.scalars(query.limit(limit))]

    def anchors(self) -> list[AnchorRecord]:
        """Every recorded anchor, oldest first."""
        with self.db.session() as s:
            return [_anchor(r) for r in s.scalars(select(AnchorRow).order_by(AnchorRow.seq))]

    # --- anchoring -------------------------------------------------------------

    def pending_anchor(self, every_n: int, every_seconds: int, now: datetime) -> bool:
        """Whether the head should be anchored now.

        True when at least one entry is unanchored and either ``every_n`` entries
        are waiting or the oldest waiting entry is ``every_seconds`` old.
        """
        with self.db.session() as s:
            count = s.scalar(select(func.max(AuditRow.seq))) or 0
            anchored = s.scalar(select(func.max(AnchorRow.entry_count))) or 0
            waiting = count - anchored
            if waiting <= 0:
                return False
            if waiting >= every_n:
                return True
            oldest = s.scalar(select(AuditRow.created_at).where(AuditRow.seq == anchored + 1))
        if oldest is None:  # a gap where the next entry should be: anchor to pin the head
            return True
        return utc(now) - oldest >= timedelta(seconds=every_seconds)

    def record_anchor(
        self,
        head_hash: bytes,
        entry_count: int,
        tx_hash: str,
        chain_id: int,
        *,
        now: datetime | None = None,
    ) -> AnchorRecord:
        """Record that ``head_hash`` (the hash of entry ``entry_count``) is on chain."""
        with self.db.session() as s:
            stored = s.scalar(select(AuditRow.entry_hash).where(AuditRow.seq == entry_count))
            if stored is None or parse_hex(stored) != bytes(head_hash):
                raise AnchorMismatch(
                    f"cannot record anchor: the audit log of {self.actor!r} has "
                    f"{'no entry' if stored is None else 'hash ' + stored} at seq "
                    f"{entry_count}, not {to_hex(head_hash)}",
                    hint="Anchor the value returned by AuditLog.head().",
                )
            row = AnchorRow(
                head_hash=to_hex(head_hash),
                entry_count=entry_count,
                tx_hash=tx_hash,
                chain_id=chain_id,
                anchored_at=utc(now or self._clock()),
            )
            s.add(row)
            s.flush()
            return _anchor(row)

    def anchor_head(self, anchorer: Anchorer, chain_id: int) -> AnchorRecord | None:
        """Write the current head on chain through ``anchorer`` and record it.

        Returns ``None`` when the log is empty or its head is already anchored. No
        database transaction is held while the chain call runs.
        """
        head = self.head()
        if head is None:
            return None
        with self.db.session() as s:
            anchored = s.scalar(select(func.max(AnchorRow.entry_count))) or 0
        if anchored >= head.seq:
            return None
        # An earlier attempt may have anchored and died before recording it (a lost
        # lease, a database error): the chain then refuses the same count again, for
        # ever. Recover that anchor instead of resending it.
        tx_hash = anchorer.anchored(head.entry_hash, head.seq)
        if tx_hash is None:
            tx_hash = anchorer.anchor(head.entry_hash, head.seq)
        return self.record_anchor(head.entry_hash, head.seq, tx_hash, chain_id)

    # --- verification ----------------------------------------------------------

    def verify(self, trusted_signers: Mapping[str, str] | None = None) -> AuditReport:
        """Walk the chain from seq 1 and report the first broken link, if any.

        Each entry must follow its predecessor without a gap, link to its hash, hash
        to its stored ``entry_hash`` and carry a valid signature by its ``signer``;
        with ``trusted_signers`` (party -> address) the signer must also be the
        trusted key of the entry's actor. Every recorded anchor must equal the
        chain's hash at its entry count.
        """
        trusted = {p: a.lower() for p, a in (trusted_signers or {}).items()}
        checking_trust = trusted_signers is not None
        with self.db.session() as s:
            anchors = [_anchor(r) for r in s.scalars(select(AnchorRow).order_by(AnchorRow.seq))]
            want = {a.entry_count for a in anchors}
            hashes_at: dict[int, bytes] = {}
            prev: bytes = GENESIS
            count = 0
            chain_break: AuditBreak | None = None
            result = s.execute(
                select(AuditRow).order_by(AuditRow.seq).execution_options(yield_per=500)
            )
            try:  # a server-side cursor on PostgreSQL: close it even after an early break
                for row in result.scalars():
                    chain_break = check_entry(
                        row, count + 1, prev, trusted if checking_trust else None
                    )
                    if chain_break is not None:
                        break
                    prev = hash_from_hex(row.entry_hash)
                    count += 1
                    if row.seq in want:
                        hashes_at[row.seq] = prev
            finally:
                result.close()
        anchor_break, checked = check_anchors(anchors, hashes_at, count, chain_break)
        breaks = [b for b in (chain_break, anchor_break) if b is not None]
        first = min(breaks, key=lambda b: b.seq) if breaks else None
        return AuditReport(self.actor, count, Hash32(prev), checked, first)
