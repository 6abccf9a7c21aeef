"""Groth16 proofs and their wire formats.

groth16py returns the Ethereum ``bytes`` layout: eight 32-byte words
``a.x, a.y, b.x.c1, b.x.c0, b.y.c1, b.y.c0, c.x, c.y`` (G2 coordinates in the
precompile's imaginary-first order). snarkjs writes ``proof.json`` with
``pi_b`` real-first and projective ``z`` coordinates. :class:`Proof` converts
between them and produces Solidity calldata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from zkredit.errors import EncodingError
from zkredit.zk.field import SNARK_SCALAR_FIELD

G1 = tuple[int, int]
G2 = tuple[tuple[int, int], tuple[int, int]]  # ((x.c0, x.c1), (y.c0, y.c1))

PROOF_BYTES = 256


def _int(value: Any, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EncodingError(f"{what} must be a decimal integer string. Got {value!r}") from None


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof over BN254 with its public signals."""

    a: G1
    b: G2
    c: G1
    public: tuple[int, ...]
    circuit: str = ""
    setup: str = "ceremony"
    """``"single-party-dev"`` marks a proof made with development keys: never trust it."""

    # -- Ethereum bytes ------------------------------------------------------------

    @classmethod
    def from_bytes(cls, blob: bytes, public: list[int], circuit: str = "") -> Proof:
        if len(blob) != PROOF_BYTES:
            raise EncodingError(f"a proof is {PROOF_BYTES} bytes. Got {len(blob)}")
        w = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, PROOF_BYTES, 32)]
        return cls(
            a=(w[0], w[1]),
            b=((w[3], w[2]), (w[5], w[4])),
            c=(w[6], w[7]),
            public=tuple(public),
            circuit=circuit,
        )

    def to_bytes(self) -> bytes:
        words = [
            self.a[0],
            self.a[1],
            self.b[0][1],
            self.b[0][0],
            self.b[1][1],
            self.b[1][0],
            self.c[0],
            self.c[1],
        ]
        return b"".join(w.to_bytes(32, "big") for w in words)

    # -- snarkjs JSON --------------------------------------------------------------

    def snarkjs_proof(self) -> dict[str, Any]:
        marker = {} if self.setup == "ceremony" else {"zkredit_setup": self.setup}
        return marker | {
            "pi_a": [str(self.a[0]), str(self.a[1]), "1"],
            "pi_b": [
                [str(self.b[0][0]), str(self.b[0][1])],
                [str(self.b[1][0]), str(self.b[1][1])],
                ["1", "0"],
            ],
            "pi_c": [str(self.c[0]), str(self.c[1]), "1"],
            "protocol": "groth16",
            "curve": "bn128",
        }

    def snarkjs_public(self) -> list[str]:
        return [str(v) for v in self.public]

    @classmethod
    def from_snarkjs(cls, proof: dict[str, Any], public: list[Any], circuit: str = "") -> Proof:
        try:
            pa, pb, pc = proof["pi_a"], proof["pi_b"], proof["pi_c"]
        except (KeyError, TypeError):
            raise EncodingError("proof JSON needs pi_a, pi_b and pi_c (snarkjs format)") from None
        if str(proof.get("protocol", "groth16")) != "groth16":
            raise EncodingError(f"only groth16 proofs are supported. Got {proof.get('protocol')}")
        values = [_int(v, f"public[{i}]") for i, v in enumerate(public)]
        for i, v in enumerate(values):
            if not 0 <= v < SNARK_SCALAR_FIELD:
                raise EncodingError(f"public[{i}] is outside the field. Got {v}")
        return cls(
            a=(_int(pa[0], "pi_a[0]"), _int(pa[1], "pi_a[1]")),
            b=(
                (_int(pb[0][0], "pi_b[0][0]"), _int(pb[0][1], "pi_b[0][1]")),
                (_int(pb[1][0], "pi_b[1][0]"), _int(pb[1][1], "pi_b[1][1]")),
            ),
            c=(_int(pc[0], "pi_c[0]"), _int(pc[1], "pi_c[1]")),
            public=tuple(values),
            circuit=circuit,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "circuit": self.circuit,
                "setup": self.setup,
                "proof": self.snarkjs_proof(),
                "public": self.snarkjs_public(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Proof:
        data = json.loads(text)
        proof = cls.from_snarkjs(data["proof"], data["public"], data.get("circuit", ""))
        return proof.marked(str(data.get("setup", "ceremony")))

    def marked(self, setup: str) -> Proof:
        """A copy recording which kind of setup produced the proving key."""
        return Proof(self.a, self.b, self.c, self.public, self.circuit, setup)

    # -- Solidity --------------------------------------------------------------------

    def calldata(self) -> tuple[list[int], list[list[int]], list[int], list[int]]:
        """``(a, b, c, input)`` for a snarkjs-style ``verifyProof``; G2 imaginary first."""
        return (
            [self.a[0], self.a[1]],
            [[self.b[0][1], self.b[0][0]], [self.b[1][1], self.b[1][0]]],
            [self.c[0], self.c[1]],
            list(self.public),
        )

    def solidity_calldata(self) -> str:
        """The same text ``snarkjs zkey export soliditycalldata`` prints."""
        a, b, c, inp = self.calldata()

        def hx(v: int) -> str:
            return f'"0x{v:064x}"'

        return (
            f"[{hx(a[0])}, {hx(a[1])}],"
            f"[[{hx(b[0][0])}, {hx(b[0][1])}],[{hx(b[1][0])}, {hx(b[1][1])}]],"
            f"[{hx(c[0])}, {hx(c[1])}],"
            f"[{', '.join(hx(v) for v in inp)}]"
        )

    def with_public(self, index: int, value: int) -> Proof:
        """A copy with one public signal replaced (for tamper tests)."""
        public = list(self.public)
        public[index] = value
        return Proof(self.a, self.b, self.c, tuple(public), self.circuit, self.setup)
