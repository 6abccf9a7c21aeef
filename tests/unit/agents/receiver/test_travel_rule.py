"""Travel-rule data sealed to the receiver: only its key opens it, and nothing else does."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from zkredit.agents.receiver.travel_rule import TravelRuleError, TravelRuleKey, seal

DATA = {"originator": {"name": "Maria Rodriguez"}, "beneficiary": {"name": "Juan Rodriguez"}}


def test_sealed_data_opens_with_the_receiver_key_only() -> None:
    key, other = TravelRuleKey.generate(), TravelRuleKey.generate()
    sealed = seal(DATA, key.public_hex)
    assert key.open(sealed) == DATA
    assert seal(DATA, key.public_hex) != sealed  # fresh ephemeral key and nonce
    with pytest.raises(TravelRuleError, match="wrong key or tampered"):
        other.open(sealed)


@pytest.mark.parametrize("position", [0, 40, -1])
def test_a_flipped_byte_is_detected(position: int) -> None:
    key = TravelRuleKey.generate()
    blob = bytearray(bytes.fromhex(seal(DATA, key.public_hex)))
    blob[position] ^= 1
    with pytest.raises(TravelRuleError):
        key.open(blob.hex())


@pytest.mark.parametrize(("text", "message"), [("zz", "not hex"), ("00" * 20, "too short")])
def test_malformed_ciphertext(text: str, message: str) -> None:
    with pytest.raises(TravelRuleError, match=message):
        TravelRuleKey.generate().open(text)


def test_the_key_is_created_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "travel.key"
    first = TravelRuleKey.load_or_create(path)
    assert TravelRuleKey.load_or_create(path).public_hex == first.public_hex
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_bad_public_key_is_refused() -> None:
    with pytest.raises(TravelRuleError, match="X25519"):
        seal(DATA, "abcd")
