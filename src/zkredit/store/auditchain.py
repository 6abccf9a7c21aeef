"""The audit log's chain rules: canonical payloads, entry hashes, signatures, reports.

Pure functions, no database. An entry's hash is ``keccak256`` over the canonical
JSON array ``["zkredit-audit-v1", seq, prev_hash, actor, kind, payload, created_at]``
where ``payload`` is the entry's canonical JSON text (hashed byte for byte) and
``created_at`` is ISO 8601 UTC with microseconds. The party signs the 32-byte hash
with EIP-191 (``personal_sign``), so any Ethereum tool can check a signature.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, NewType

from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from zkredit.errors import EncodingError, InputError
from zkredit.store.columns import utc

Hash32 = NewType("Hash32", bytes)
"""A 32-byte keccak256 digest."""

GENESIS = Hash32(bytes(32))
"""The ``prev_hash`` of the first entry."""

HASH_DOMAIN = "zkredit-audit-v1"


def canonical_json(value: Any) -> str:
    """The one JSON text of ``value``: sorted keys, no spaces, UTF-8, no NaN."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:
        raise InputError(f"audit payloads must be plain JSON values: {exc}") from exc


def timestamp_text(moment: datetime) -> str:
    """``moment`` as hashed: ISO 8601 in UTC with microseconds."""
    return utc(moment).isoformat(timespec="microseconds")


def to_hex(digest: bytes) -> str:
    """``0x``-prefixed lowercase hex, as stored."""
    return "0x" + digest.hex()


def parse_hex(value: str) -> bytes | None:
    """Bytes of a stored hex field (``0x`` optional), or ``None`` if it is not hex."""
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError:
        return None


def hash_from_hex(value: str) -> Hash32:
    """Decode a stored ``0x`` hash; raise :class:`EncodingError` if it is not 32 bytes."""
    try:
        raw = bytes.fromhex(value.removeprefix("0x"))
    except ValueError as exc:
        raise EncodingError(f"hash should be 0x + 64 hex digits. Got {value!r}") from exc
    if len(raw) != 32:
        raise EncodingError(f"hash should be 32 bytes. Got {len(raw)} in {value!r}")
    return Hash32(raw)


def entry_hash(
    seq: int, prev_hash: bytes, actor: str, kind: str, payload: str, created_at: datetime
) -> Hash32:
    """The hash that chains entry ``seq`` to ``prev_hash`` and that its party signs."""
    preimage = canonical_json(
        [HASH_DOMAIN, seq, to_hex(prev_hash), actor, kind, payload, timestamp_text(created_at)]
    )
    return Hash32(keccak(preimage.encode()))


def sign_hash(account: LocalAccount, digest: bytes) -> bytes:
    """EIP-191 signature (65 bytes, r || s || v) of ``digest`` by ``account``."""
    return bytes(account.sign_message(encode_defunct(primitive=digest)).signature)


def recover_signer(digest: bytes, signature: bytes) -> str | None:
    """The checksum address that signed ``digest``, or ``None`` if the signature is malformed."""
    try:
        return str(Account.recover_message(encode_defunct(primitive=digest), signature=signature))
    except Exception:  # eth-keys raises several unrelated types for malformed signatures
        return None


@dataclass(frozen=True)
class AuditEntry:
    """One entry of a party's audit log, as stored."""

    seq: int
    created_at: datetime
    actor: str
    kind: str
    payload: str
    prev_hash: Hash32
    entry_hash: Hash32
    signature: bytes
    signer: str

    def data(self) -> Any:
        """The payload as Python values."""
        return json.loads(self.payload)


@dataclass(frozen=True)
class AnchorRecord:
    """An audit head that was written on chain."""

    seq: int
    head_hash: Hash32
    entry_count: int
    tx_hash: str
    chain_id: int
    anchored_at: datetime


class BreakReason(StrEnum):
    """Why verification stopped at an entry."""

    SEQ_GAP = "seq gap"
    PREV_MISMATCH = "prev link mismatch"
    HASH_MISMATCH = "hash mismatch"
    BAD_SIGNATURE = "bad signature"
    UNKNOWN_SIGNER = "unknown signer"
    ANCHOR_MISMATCH = "anchor mismatch"


@dataclass(frozen=True)
class AuditBreak:
    """The first broken link: the seq where the chain stops being trustworthy, and why."""

    seq: int
    reason: BreakReason
    detail: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.reason.value} ({self.detail})"


@dataclass(frozen=True)
class AuditReport:
    """The outcome of walking a party's audit log from the first entry."""

    party: str
    entry_count: int
    """Entries verified before the first break (all of them when ``ok``)."""
    head_hash: Hash32
    """Hash of the last verified entry (:data:`GENESIS` for an empty log)."""
    anchors_checked: int
    first_break: AuditBreak | None

    @property
    def ok(self) -> bool:
        """Whether every entry and every anchor checked out."""
        return self.first_break is None
