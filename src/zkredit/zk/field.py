"""The BN254 scalar field that circom signals live in, and its wire encodings.

circom and snarkjs exchange signals as decimal strings in JSON; contracts and
hashes see them as 32-byte big-endian words. Every value crossing a boundary is
checked here so that an out-of-range number fails loudly instead of being
silently reduced modulo p (which would make two different inputs collide).
"""

from __future__ import annotations

import re
from typing import NewType

from zkredit.errors import EncodingError, FieldRangeError

SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""The order r of the BN254 scalar field: circom's prime p."""

FieldElement = NewType("FieldElement", int)
"""An int known to lie in [0, SNARK_SCALAR_FIELD)."""

DecimalStr = NewType("DecimalStr", str)
"""A field element written as a base-10 string, as circom/snarkjs JSON expects."""

# Bounded so that int() never works on megabytes of attacker-supplied digits;
# 2**256 has 78 decimal digits, so 100 leaves room for harmless leading zeros.
_MAX_TEXT_LEN = 100
_DECIMAL_RE = re.compile(r"[0-9]+")
_HEX_RE = re.compile(r"0[xX][0-9a-fA-F]+")


def _require_int(value: object, name: str) -> int:
    # bool is an int subclass; True silently meaning 1 would hide caller bugs.
    if isinstance(value, bool) or not isinstance(value, int):
        raise EncodingError(f"{name} must be an integer. Got {value!r}")
    return int(value)


def to_field(value: int, *, name: str = "value") -> FieldElement:
    """Return ``value`` as a FieldElement, rejecting non-ints and values outside [0, p)."""
    v = _require_int(value, name)
    if not 0 <= v < SNARK_SCALAR_FIELD:
        raise FieldRangeError(
            f"{name} must be in [0, {SNARK_SCALAR_FIELD}) (the BN254 scalar field). Got {v}"
        )
    return FieldElement(v)


def check_bits(value: int, bits: int, *, name: str) -> int:
    """Return ``value`` if 0 <= value < 2**bits, else raise FieldRangeError."""
    v = _require_int(value, name)
    if isinstance(bits, bool) or not isinstance(bits, int) or bits < 1:
        raise FieldRangeError(f"bit width for {name} must be a positive integer. Got {bits!r}")
    if not 0 <= v < (1 << bits):
        raise FieldRangeError(f"{name} must fit in {bits} bits, i.e. be in [0, 2**{bits}). Got {v}")
    return v


def to_decimal(fe: int) -> DecimalStr:
    """Encode a field element as the decimal string circom/snarkjs JSON uses."""
    return DecimalStr(str(to_field(fe)))


def from_decimal(s: str, *, name: str = "value") -> FieldElement:
    """Decode a decimal (or ``0x``-prefixed hex) string into a field element.

    Signs, whitespace, underscores and non-ASCII digits are rejected even though
    ``int()`` would accept them: the wire format has exactly one spelling.
    """
    if not isinstance(s, str):
        raise EncodingError(f"{name} must be a decimal string. Got {s!r}")
    if len(s) > _MAX_TEXT_LEN:
        raise EncodingError(f"{name} is too long to be a field element ({len(s)} characters)")
    if _DECIMAL_RE.fullmatch(s):
        return to_field(int(s, 10), name=name)
    if _HEX_RE.fullmatch(s):
        return to_field(int(s, 16), name=name)
    raise EncodingError(f"{name} must be a decimal string of digits 0-9 or 0x-hex. Got {s!r}")


def to_bytes32(fe: int) -> bytes:
    """Encode a field element as 32 big-endian bytes."""
    return to_field(fe).to_bytes(32, "big")


def from_bytes32(data: bytes | bytearray, *, name: str = "value") -> FieldElement:
    """Decode 32 big-endian bytes into a field element, rejecting values >= p."""
    if not isinstance(data, bytes | bytearray):
        raise EncodingError(f"{name} must be bytes. Got {type(data).__name__}")
    if len(data) != 32:
        raise EncodingError(f"{name} must be exactly 32 bytes. Got {len(data)}")
    return to_field(int.from_bytes(data, "big"), name=name)
