"""zkredit.zk.eddsa against circomlibjs buildEddsa (EdDSA-Poseidon)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from zkredit.errors import EncodingError, FieldRangeError, InvalidPointError
from zkredit.zk.babyjub import SUBORDER, Point, add_point, mul_base8, pack_point
from zkredit.zk.eddsa import IssuerKey, Signature, prv2pub, sign_poseidon, verify_poseidon
from zkredit.zk.field import SNARK_SCALAR_FIELD, FieldElement

P = SNARK_SCALAR_FIELD
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "circomlibjs_vectors.json"
KEYS: list[dict[str, Any]] = json.loads(FIXTURE.read_text())["eddsa"]
SIGNATURES = [(k, s) for k in KEYS for s in k["signatures"]]


def _pt(pair: list[str]) -> Point:
    return Point.of(int(pair[0]), int(pair[1]))


@pytest.mark.parametrize("key", KEYS, ids=lambda k: k["private_key_hex"][:8])
def test_public_key_matches_circomlibjs(key: dict[str, Any]) -> None:
    prv = bytes.fromhex(key["private_key_hex"])
    expected = _pt(key["public"])
    assert prv2pub(prv) == expected
    issuer = IssuerKey(prv)
    assert issuer.public == expected
    assert pack_point(issuer.public).hex() == key["public_packed"]


@pytest.mark.parametrize(
    ("key", "sig"), SIGNATURES, ids=lambda v: str(v.get("msg", v.get("private_key_hex")))[:8]
)
def test_signature_matches_circomlibjs(key: dict[str, Any], sig: dict[str, Any]) -> None:
    prv = bytes.fromhex(key["private_key_hex"])
    msg = int(sig["msg"])
    expected = Signature(_pt(sig["R8"]), int(sig["S"]))
    assert sign_poseidon(prv, msg) == expected
    assert IssuerKey(prv).sign(msg) == expected
    assert expected.pack().hex() == sig["packed"]
    assert Signature.unpack(bytes.fromhex(sig["packed"])) == expected
    assert verify_poseidon(msg, expected, _pt(key["public"]))


# --- tampering ---------------------------------------------------------------

_KEY = KEYS[1]
_SIG = _KEY["signatures"][2]
BASE_MSG = int(_SIG["msg"])
BASE_SIG = Signature(_pt(_SIG["R8"]), int(_SIG["S"]))
BASE_PUB = _pt(_KEY["public"])
OTHER_PUB = _pt(KEYS[0]["public"])

Case = tuple[int, Signature, Point]
TAMPERS: dict[str, Callable[[], Case]] = {
    "msg+1": lambda: (BASE_MSG + 1, BASE_SIG, BASE_PUB),
    "R8 other subgroup point": lambda: (
        BASE_MSG,
        replace(BASE_SIG, R8=add_point(BASE_SIG.R8, mul_base8(1))),
        BASE_PUB,
    ),
    "R8 off curve": lambda: (
        BASE_MSG,
        replace(BASE_SIG, R8=Point.of(BASE_SIG.R8.x, (BASE_SIG.R8.y + 1) % P)),
        BASE_PUB,
    ),
    "S+1": lambda: (BASE_MSG, replace(BASE_SIG, S=BASE_SIG.S + 1), BASE_PUB),
    # S + l is the same scalar mod l: only the explicit S < l check rejects it.
    "S+subOrder": lambda: (BASE_MSG, replace(BASE_SIG, S=BASE_SIG.S + SUBORDER), BASE_PUB),
    "S=subOrder": lambda: (BASE_MSG, replace(BASE_SIG, S=SUBORDER), BASE_PUB),
    "other public key": lambda: (BASE_MSG, BASE_SIG, OTHER_PUB),
    "public key off curve": lambda: (BASE_MSG, BASE_SIG, Point.of(BASE_PUB.x, 1)),
    "public key swapped coords": lambda: (BASE_MSG, BASE_SIG, Point.of(BASE_PUB.y, BASE_PUB.x)),
}


def test_tamper_baseline_verifies() -> None:
    assert verify_poseidon(BASE_MSG, BASE_SIG, BASE_PUB) is True


def test_s_plus_suborder_is_the_same_point() -> None:
    # Sanity for the malleability case below: the curve equation alone accepts it.
    assert mul_base8(BASE_SIG.S + SUBORDER) == mul_base8(BASE_SIG.S)


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampered_signature_is_rejected(name: str) -> None:
    msg, sig, pub = TAMPERS[name]()
    assert (msg, sig, pub) != (BASE_MSG, BASE_SIG, BASE_PUB)
    assert verify_poseidon(msg, sig, pub) is False


def test_message_outside_the_field_raises() -> None:
    with pytest.raises(FieldRangeError, match="message must be in"):
        verify_poseidon(P + BASE_MSG, BASE_SIG, BASE_PUB)
    with pytest.raises(FieldRangeError, match="message must be in"):
        sign_poseidon(bytes(32), P)


def test_wrong_types_do_not_verify() -> None:
    assert verify_poseidon(BASE_MSG, (BASE_SIG.R8, BASE_SIG.S), BASE_PUB) is False  # type: ignore[arg-type]
    assert verify_poseidon(BASE_MSG, BASE_SIG, (BASE_PUB.x, BASE_PUB.y)) is False  # type: ignore[arg-type]


# --- Signature and IssuerKey -------------------------------------------------


def test_signature_scalar_width() -> None:
    with pytest.raises(FieldRangeError, match="signature S must fit in 256 bits"):
        Signature(BASE_SIG.R8, -1)
    with pytest.raises(FieldRangeError, match="signature S must fit in 256 bits"):
        Signature(BASE_SIG.R8, 2**256)
    with pytest.raises(InvalidPointError, match="signature R8 must be a Point"):
        Signature((1, 2), 1)  # type: ignore[arg-type]


def test_signature_unpack_errors() -> None:
    with pytest.raises(EncodingError, match="64 bytes"):
        Signature.unpack(b"\x00" * 63)
    bad_point = (2).to_bytes(32, "little") + (1).to_bytes(32, "little")
    with pytest.raises(InvalidPointError):
        Signature.unpack(bad_point)
    with pytest.raises(InvalidPointError):
        Signature(Point.of(1, 1), 1).pack()


def test_issuer_key_hex_round_trip() -> None:
    key = IssuerKey(bytes.fromhex(_KEY["private_key_hex"]))
    assert key.to_hex() == _KEY["private_key_hex"]
    assert IssuerKey.from_hex(key.to_hex()) == key
    assert IssuerKey.from_hex("0x" + key.to_hex().upper()) == key
    assert hash(IssuerKey.from_hex(key.to_hex())) == hash(key)
    assert IssuerKey(bytes(32)) != key


@pytest.mark.parametrize("text", ["", "00" * 31, "00" * 33, "zz" * 32, " " + "00" * 32, "0x"])
def test_issuer_key_from_hex_rejects(text: str) -> None:
    with pytest.raises(EncodingError, match="64 hex digits"):
        IssuerKey.from_hex(text)


def test_issuer_key_length_and_type() -> None:
    with pytest.raises(EncodingError, match=r"exactly 32 bytes\. Got 31"):
        IssuerKey(bytes(31))
    with pytest.raises(EncodingError, match="must be bytes"):
        IssuerKey("00" * 32)  # type: ignore[arg-type]
    with pytest.raises(EncodingError, match="exactly 32 bytes"):
        prv2pub(bytes(33))
    assert IssuerKey(bytearray(32)).private_key == bytes(32)  # type: ignore[arg-type]


def test_issuer_key_repr_hides_the_secret() -> None:
    key = IssuerKey(bytes.fromhex(_KEY["private_key_hex"]))
    text = repr(key)
    assert _KEY["private_key_hex"] not in text
    assert _KEY["public_packed"] in text


def test_generated_keys_are_fresh_and_work() -> None:
    a, b = IssuerKey.generate(), IssuerKey.generate()
    assert a != b
    sig = a.sign(FieldElement(42))
    assert verify_poseidon(42, sig, a.public)
    assert not verify_poseidon(42, sig, b.public)
