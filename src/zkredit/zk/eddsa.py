"""EdDSA over BabyJubJub with Poseidon, byte-compatible with circomlibjs ``buildEddsa()``.

Signatures verify in circomlib's ``EdDSAPoseidonVerifier`` circuit. Key
derivation follows circomlibjs: h = BLAKE-512(private key); the pruned low half
of h is the secret scalar s, the public key is (s >> 3) * Base8 and the high
half of h seeds the deterministic nonce.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from dataclasses import dataclass

from zkredit.errors import EncodingError, InvalidPointError
from zkredit.zk.babyjub import (
    SUBORDER,
    Point,
    add_point,
    in_curve,
    mul_base8,
    mul_point,
    pack_point,
    unpack_point,
)
from zkredit.zk.blake512 import blake512
from zkredit.zk.field import check_bits, to_field
from zkredit.zk.poseidon import poseidon

PRIVATE_KEY_BYTES = 32
_HEX_KEY_RE = re.compile(r"(?:0[xX])?([0-9a-fA-F]{64})")


def _check_private_key(private_key: bytes | bytearray) -> bytes:
    if not isinstance(private_key, bytes | bytearray):
        raise EncodingError(f"private key must be bytes. Got {type(private_key).__name__}")
    if len(private_key) != PRIVATE_KEY_BYTES:
        raise EncodingError(
            f"private key must be exactly {PRIVATE_KEY_BYTES} bytes. Got {len(private_key)}"
        )
    return bytes(private_key)


def _expand(private_key: bytes) -> tuple[int, bytes]:
    """Return (secret scalar s, nonce prefix) as circomlibjs derives them."""
    h = bytearray(blake512(_check_private_key(private_key)))
    # Pruning as in Ed25519: clear the cofactor bits, fix the top bit.
    h[0] &= 0xF8
    h[31] &= 0x7F
    h[31] |= 0x40
    return int.from_bytes(h[:32], "little"), bytes(h[32:])


def _sign(s: int, prefix: bytes, public: Point, msg: int) -> Signature:
    m = to_field(msg, name="message")
    r = int.from_bytes(blake512(prefix + m.to_bytes(32, "little")), "little") % SUBORDER
    r8 = mul_base8(r)
    hm = poseidon([r8.x, r8.y, public.x, public.y, m])
    return Signature(r8, (r + hm * s) % SUBORDER)


def prv2pub(private_key: bytes) -> Point:
    """Public key of a 32-byte private key (circomlibjs ``prv2pub``)."""
    s, _ = _expand(private_key)
    return mul_base8(s >> 3)


def sign_poseidon(private_key: bytes, msg: int) -> Signature:
    """Sign the field element ``msg`` (circomlibjs ``signPoseidon``)."""
    s, prefix = _expand(private_key)
    return _sign(s, prefix, mul_base8(s >> 3), msg)


def verify_poseidon(msg: int, sig: Signature, pub: Point) -> bool:
    """Check ``sig`` over ``msg`` under ``pub`` (circomlibjs ``verifyPoseidon``).

    Returns False for malformed signatures and keys, as circomlibjs does; raises
    FieldRangeError only when ``msg`` itself is not a field element.
    """
    m = to_field(msg, name="message")
    if not isinstance(sig, Signature) or not isinstance(pub, Point):
        return False
    if not in_curve(sig.R8) or not in_curve(pub) or sig.S >= SUBORDER:
        return False
    hm = poseidon([sig.R8.x, sig.R8.y, pub.x, pub.y, m])
    left = mul_base8(sig.S)
    right = add_point(sig.R8, mul_point(pub, 8 * hm))
    return left == right


@dataclass(frozen=True, slots=True)
class Signature:
    """An EdDSA-Poseidon signature: the nonce point R8 and the scalar S."""

    R8: Point
    S: int

    def __post_init__(self) -> None:
        if not isinstance(self.R8, Point):
            raise InvalidPointError(f"signature R8 must be a Point. Got {self.R8!r}")
        # Only the width is enforced here: S >= SUBORDER must stay representable
        # so that verify can reject it the way circomlibjs does.
        check_bits(self.S, 256, name="signature S")

    def pack(self) -> bytes:
        """64 bytes: packed R8 then S little-endian (circomlibjs ``packSignature``)."""
        return pack_point(self.R8) + self.S.to_bytes(32, "little")

    @classmethod
    def unpack(cls, data: bytes | bytearray) -> Signature:
        """Inverse of :meth:`pack` (circomlibjs ``unpackSignature``)."""
        if not isinstance(data, bytes | bytearray) or len(data) != 64:
            raise EncodingError(f"a packed signature must be 64 bytes. Got {data!r}")
        return cls(unpack_point(bytes(data[:32])), int.from_bytes(data[32:], "little"))


@dataclass(frozen=True, eq=False)
class IssuerKey:
    """An issuer's EdDSA-Poseidon private key. ``repr`` never shows the secret."""

    private_key: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "private_key", _check_private_key(self.private_key))

    @classmethod
    def generate(cls) -> IssuerKey:
        """A fresh key from the OS CSPRNG."""
        return cls(secrets.token_bytes(PRIVATE_KEY_BYTES))

    @classmethod
    def from_hex(cls, text: str) -> IssuerKey:
        """Parse 64 hex digits, optionally prefixed with 0x."""
        m = _HEX_KEY_RE.fullmatch(text) if isinstance(text, str) else None
        if m is None:
            raise EncodingError("issuer private key must be 64 hex digits (32 bytes)")
        return cls(bytes.fromhex(m.group(1)))

    def to_hex(self) -> str:
        """The private key as 64 lowercase hex digits, no prefix."""
        return self.private_key.hex()

    @functools.cached_property
    def _expanded(self) -> tuple[int, bytes]:
        return _expand(self.private_key)

    @functools.cached_property
    def public(self) -> Point:
        """The public key (s >> 3) * Base8."""
        return mul_base8(self._expanded[0] >> 3)

    def sign(self, msg: int) -> Signature:
        """Sign ``msg``; same result as :func:`sign_poseidon` with this key."""
        s, prefix = self._expanded
        return _sign(s, prefix, self.public, msg)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IssuerKey):
            return NotImplemented
        return hmac.compare_digest(self.private_key, other.private_key)

    def __hash__(self) -> int:
        return hash(self.public)

    def __repr__(self) -> str:
        return f"IssuerKey(public={pack_point(self.public).hex()})"
