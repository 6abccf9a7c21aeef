"""The audit chain's pure rules: canonical JSON, entry hashes and signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.unit.store.backends import ATTACKER_KEY, PARTY_KEY
from zkredit.errors import EncodingError, InputError
from zkredit.store.auditchain import (
    GENESIS,
    canonical_json,
    entry_hash,
    hash_from_hex,
    recover_signer,
    sign_hash,
    timestamp_text,
    to_hex,
)

T0 = datetime(2026, 11, 25, 9, 0, 0, 123456, tzinfo=UTC)
BASE = (7, GENESIS, "credit", "loan.approved", '{"tier":2}', T0)


def test_canonical_json_is_sorted_compact_and_unicode() -> None:
    assert canonical_json({"b": 1, "a": [1, "é"]}) == '{"a":[1,"é"],"b":1}'


@pytest.mark.parametrize("bad", [{"x": float("nan")}, {"x": object()}, {"x": b"raw"}])
def test_canonical_json_rejects_what_json_cannot_say_once(bad: object) -> None:
    with pytest.raises(InputError, match="plain JSON"):
        canonical_json(bad)


def test_timestamps_are_hashed_in_utc_with_microseconds() -> None:
    plus8 = T0.astimezone(timezone(timedelta(hours=8)))
    assert timestamp_text(plus8) == timestamp_text(T0) == "2026-11-25T09:00:00.123456+00:00"
    assert entry_hash(*BASE[:5], plus8) == entry_hash(*BASE)
    assert timestamp_text(T0.replace(tzinfo=None)) == timestamp_text(T0)


@pytest.mark.parametrize(
    "index, changed",
    [
        (0, 8),
        (1, bytes([1]) * 32),
        (2, "worker"),
        (3, "loan.declined"),
        (4, '{"tier":1}'),
        (5, T0 + timedelta(microseconds=1)),
    ],
    ids=["seq", "prev", "actor", "kind", "payload", "created_at"],
)
def test_every_field_is_bound_by_the_hash(index: int, changed: object) -> None:
    fields = list(BASE)
    fields[index] = changed
    assert entry_hash(*fields) != entry_hash(*BASE)  # type: ignore[arg-type]
    assert len(entry_hash(*BASE)) == 32


def test_signatures_recover_to_their_signer() -> None:
    digest = entry_hash(*BASE)
    signature = sign_hash(PARTY_KEY, digest)
    assert len(signature) == 65
    assert recover_signer(digest, signature) == PARTY_KEY.address
    assert recover_signer(entry_hash(*BASE[:4], "{}", T0), signature) != PARTY_KEY.address
    assert recover_signer(digest, sign_hash(ATTACKER_KEY, digest)) == ATTACKER_KEY.address
    assert recover_signer(digest, b"\x00" * 3) is None


def test_hashes_round_trip_through_hex() -> None:
    digest = entry_hash(*BASE)
    assert hash_from_hex(to_hex(digest)) == digest
    with pytest.raises(EncodingError, match="32 bytes"):
        hash_from_hex("0xabcd")
    with pytest.raises(EncodingError, match="64 hex digits"):
        hash_from_hex("0xzz")
