"""Verification rules of the audit log: one entry against its predecessor, anchors against
the chain.

The checks run in a fixed order so a tampered entry is reported under its most specific
reason: a missing seq first, then the link to the previous hash, the entry's own hash,
its signature, and last whether its signer is the trusted key of its party.
"""

from __future__ import annotations

from collections.abc import Sequence

from zkredit.store.auditchain import (
    AnchorRecord,
    AuditBreak,
    BreakReason,
    entry_hash,
    parse_hex,
    recover_signer,
    to_hex,
)
from zkredit.store.models import AuditRow


def check_entry(
    row: AuditRow, expected_seq: int, prev: bytes, trusted: dict[str, str] | None
) -> AuditBreak | None:
    """Why ``row`` does not continue a verified chain ending in ``prev``; ``None`` if it does.

    ``trusted`` maps party -> lowercase address; ``None`` skips the trust check.
    """
    if row.seq != expected_seq:
        return AuditBreak(
            expected_seq,
            BreakReason.SEQ_GAP,
            f"expected seq {expected_seq} next, found seq {row.seq}: entries are missing",
        )
    if parse_hex(row.prev_hash) != prev:
        return AuditBreak(
            row.seq,
            BreakReason.PREV_MISMATCH,
            f"prev_hash is {row.prev_hash} but the previous entry hashes to {to_hex(prev)}",
        )
    digest = entry_hash(row.seq, prev, row.actor, row.kind, row.payload, row.created_at)
    if parse_hex(row.entry_hash) != digest:
        return AuditBreak(
            row.seq,
            BreakReason.HASH_MISMATCH,
            f"stored entry_hash {row.entry_hash}, recomputed {to_hex(digest)}",
        )
    signature = parse_hex(row.signature)
    recovered = recover_signer(digest, signature) if signature else None
    if recovered is None or recovered.lower() != row.signer.lower():
        return AuditBreak(
            row.seq,
            BreakReason.BAD_SIGNATURE,
            f"signature does not recover to the stored signer {row.signer}"
            + (f" (it recovers to {recovered})" if recovered else " (malformed)"),
        )
    if trusted is not None:
        expected = trusted.get(row.actor)
        if expected is None:
            return AuditBreak(
                row.seq,
                BreakReason.UNKNOWN_SIGNER,
                f"no trusted key for party {row.actor!r} (signed by {row.signer})",
            )
        if expected != row.signer.lower():
            return AuditBreak(
                row.seq,
                BreakReason.UNKNOWN_SIGNER,
                f"signed by {row.signer}, but the trusted key of {row.actor!r} is {expected}",
            )
    return None


def check_anchors(
    anchors: Sequence[AnchorRecord],
    hashes_at: dict[int, bytes],
    count: int,
    chain_break: AuditBreak | None,
) -> tuple[AuditBreak | None, int]:
    """The first anchor that disagrees with the chain, and how many anchors were checked."""
    checked = 0
    for anchor in sorted(anchors, key=lambda a: a.entry_count):
        at = anchor.entry_count
        if at > count:
            if chain_break is None:
                return AuditBreak(
                    at,
                    BreakReason.ANCHOR_MISMATCH,
                    f"anchor #{anchor.seq} (tx {anchor.tx_hash}) covers {at} entries but "
                    f"the log holds {count}: entries were removed",
                ), checked
            continue  # beyond the chain break: nothing verified to compare with
        if hashes_at.get(at) != anchor.head_hash:
            found = hashes_at.get(at)
            return AuditBreak(
                at,
                BreakReason.ANCHOR_MISMATCH,
                f"anchor #{anchor.seq} (tx {anchor.tx_hash}) recorded {to_hex(anchor.head_hash)}"
                f" but entry {at} hashes to {to_hex(found) if found else 'nothing'}",
            ), checked
        checked += 1
    return None, checked
