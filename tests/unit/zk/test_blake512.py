"""zkredit.zk.blake512 against npm blake-hash (the hash circomlibjs uses)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from zkredit.errors import InputError
from zkredit.zk.blake512 import blake512

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "circomlibjs_vectors.json"
CASES: list[dict[str, Any]] = json.loads(FIXTURE.read_text())["blake512"]


def test_fixture_covers_padding_edges() -> None:
    lengths = {len(c["message_hex"]) // 2 for c in CASES}
    assert {0, 1, 3, 111, 112, 113, 128, 200} <= lengths


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{len(c['message_hex']) // 2}B")
def test_matches_blake_hash(case: dict[str, Any]) -> None:
    digest = blake512(bytes.fromhex(case["message_hex"]))
    assert len(digest) == 64
    assert digest.hex() == case["digest_hex"]


def test_accepts_bytes_like_and_is_not_blake2b() -> None:
    assert blake512(bytearray(b"abc")) == blake512(b"abc") == blake512(memoryview(b"abc"))
    assert blake512(b"abc") != hashlib.blake2b(b"abc").digest()
    assert blake512(b"abc") != blake512(b"abd")


def test_rejects_text() -> None:
    with pytest.raises(InputError, match=r"blake512 takes bytes\. Got str"):
        blake512("abc")  # type: ignore[arg-type]
