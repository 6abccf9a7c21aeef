"""zkredit.zk.field: range checks and wire encodings of BN254 scalars."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zkredit.errors import EncodingError, FieldRangeError
from zkredit.zk.field import (
    SNARK_SCALAR_FIELD,
    check_bits,
    from_bytes32,
    from_decimal,
    to_bytes32,
    to_decimal,
    to_field,
)

P = SNARK_SCALAR_FIELD
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "circomlibjs_vectors.json"


def test_modulus_matches_circomlibjs_and_bn254_r() -> None:
    meta = json.loads(FIXTURE.read_text())["meta"]
    assert int(meta["field"]) == P
    assert P == 0x30644E72E131A029B85045B68181585D2833E84879B9709143E1F593F0000001


@pytest.mark.parametrize("value", [0, 1, P - 1])
def test_to_field_accepts_the_field(value: int) -> None:
    assert to_field(value) == value
    assert type(to_field(value)) is int


@pytest.mark.parametrize("value", [-1, P, P + 1, 2**256])
def test_to_field_rejects_out_of_range_with_value_and_bound(value: int) -> None:
    with pytest.raises(FieldRangeError) as err:
        to_field(value, name="amount")
    msg = str(err.value)
    assert msg.startswith("amount must be in [0, ")
    assert str(P) in msg
    assert msg.endswith(f"Got {value}")


@pytest.mark.parametrize("value", [True, False, "1", 1.0, None, b"\x01"])
def test_to_field_rejects_non_integers(value: object) -> None:
    with pytest.raises(EncodingError) as err:
        to_field(value, name="salary")  # type: ignore[arg-type]
    assert str(err.value) == f"salary must be an integer. Got {value!r}"


def test_check_bits_bounds() -> None:
    assert check_bits(0, 8, name="age") == 0
    assert check_bits(255, 8, name="age") == 255
    with pytest.raises(
        FieldRangeError, match=r"^age must fit in 8 bits, i.e. be in \[0, 2\*\*8\)\. Got 256$"
    ):
        check_bits(256, 8, name="age")
    with pytest.raises(FieldRangeError, match=r"Got -1$"):
        check_bits(-1, 8, name="age")
    with pytest.raises(FieldRangeError, match="bit width for age"):
        check_bits(1, 0, name="age")
    with pytest.raises(EncodingError, match="age must be an integer"):
        check_bits(True, 8, name="age")


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("123", 123), ("007", 7), ("0x1f", 31), ("0X1F", 31), (str(P - 1), P - 1)],
)
def test_from_decimal_accepts_digits_and_hex(text: str, value: int) -> None:
    assert from_decimal(text) == value


@pytest.mark.parametrize(
    "text", ["", " 1", "1 ", "+1", "-1", "1_000", "1e3", "0x", "0x-1", "12a", "\u0661\u0662", "1.0"]
)
def test_from_decimal_rejects_other_spellings(text: str) -> None:
    with pytest.raises(EncodingError, match=r"^nullifier must be a decimal string"):
        from_decimal(text, name="nullifier")


def test_from_decimal_rejects_out_of_field_and_overlong_and_non_str() -> None:
    with pytest.raises(FieldRangeError, match=f"Got {P}$"):
        from_decimal(str(P))
    with pytest.raises(FieldRangeError):
        from_decimal(hex(P))
    with pytest.raises(EncodingError, match="too long"):
        from_decimal("1" * 101)
    with pytest.raises(EncodingError, match="must be a decimal string"):
        from_decimal(5)  # type: ignore[arg-type]


def test_to_decimal() -> None:
    assert to_decimal(P - 1) == str(P - 1)
    assert to_decimal(0) == "0"
    with pytest.raises(FieldRangeError):
        to_decimal(P)


def test_bytes32_big_endian() -> None:
    assert to_bytes32(1) == b"\x00" * 31 + b"\x01"
    assert to_bytes32(P - 1).hex() == format(P - 1, "064x")
    assert from_bytes32(bytes.fromhex(format(P - 1, "064x"))) == P - 1
    assert from_bytes32(bytearray(32)) == 0
    with pytest.raises(FieldRangeError):
        from_bytes32(P.to_bytes(32, "big"))
    with pytest.raises(EncodingError, match=r"exactly 32 bytes\. Got 31"):
        from_bytes32(b"\x00" * 31)
    with pytest.raises(EncodingError, match="must be bytes"):
        from_bytes32("00" * 32)  # type: ignore[arg-type]
    with pytest.raises(FieldRangeError):
        to_bytes32(-1)
