"""zkredit.zk.babyjub against circomlibjs buildBabyjub."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zkredit.errors import FieldRangeError, InvalidPointError
from zkredit.zk.babyjub import (
    BASE8,
    GENERATOR,
    IDENTITY,
    ORDER,
    SUBORDER,
    A,
    D,
    Point,
    add_point,
    in_curve,
    in_subgroup,
    mul_base8,
    mul_point,
    neg_point,
    pack_point,
    unpack_point,
)
from zkredit.zk.field import SNARK_SCALAR_FIELD

P = SNARK_SCALAR_FIELD
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "circomlibjs_vectors.json"
VEC: dict[str, Any] = json.loads(FIXTURE.read_text())["babyjub"]


def _pt(pair: list[str]) -> Point:
    return Point.of(int(pair[0]), int(pair[1]))


def test_constants_match_circomlibjs() -> None:
    assert (int(VEC["a"]), int(VEC["d"])) == (A, D)
    assert _pt(VEC["base8"]) == BASE8
    assert _pt(VEC["generator"]) == GENERATOR
    assert (int(VEC["order"]), int(VEC["suborder"])) == (ORDER, SUBORDER)
    assert mul_point(GENERATOR, 8) == BASE8
    assert in_subgroup(BASE8)
    assert not in_subgroup(GENERATOR)


@pytest.mark.parametrize("case", VEC["base8_multiples"], ids=lambda c: c["k"][:12])
def test_base8_multiples(case: dict[str, Any]) -> None:
    k, expected = int(case["k"]), _pt(case["point"])
    assert mul_point(BASE8, k) == expected
    assert mul_base8(k) == expected
    assert pack_point(expected).hex() == case["packed"]
    if expected == IDENTITY:
        # circomlibjs unpackPoint returns null for x == 0; so do we (by raising).
        with pytest.raises(InvalidPointError, match="has no x"):
            unpack_point(bytes.fromhex(case["packed"]))
    else:
        assert unpack_point(bytes.fromhex(case["packed"])) == expected


def test_fixture_exercises_both_sign_bits_and_identity() -> None:
    top_bits = {int(c["packed"][-2:], 16) >> 7 for c in VEC["base8_multiples"]}
    assert top_bits == {0, 1}
    assert any(_pt(c["point"]) == IDENTITY for c in VEC["base8_multiples"])


@pytest.mark.parametrize("case", VEC["generator_multiples"], ids=lambda c: c["k"])
def test_generator_multiples_and_subgroup_membership(case: dict[str, Any]) -> None:
    pt = mul_point(GENERATOR, int(case["k"]))
    assert pt == _pt(case["point"])
    assert in_curve(pt)
    assert in_subgroup(pt) is case["in_subgroup"]
    assert pack_point(pt).hex() == case["packed"]
    assert unpack_point(bytes.fromhex(case["packed"])) == pt


@pytest.mark.parametrize("case", VEC["additions"])
def test_additions(case: dict[str, Any]) -> None:
    p, q, total = _pt(case["p"]), _pt(case["q"]), _pt(case["sum"])
    assert add_point(p, q) == total
    assert add_point(q, p) == total


def test_group_laws() -> None:
    p = mul_base8(123456789)
    assert add_point(p, IDENTITY) == p
    assert add_point(p, neg_point(p)) == IDENTITY
    assert add_point(p, p) == mul_point(p, 2)
    assert mul_point(p, 0) == IDENTITY
    assert mul_point(GENERATOR, ORDER) == IDENTITY
    assert mul_point(BASE8, SUBORDER) == IDENTITY
    assert mul_base8(SUBORDER + 5) == mul_base8(5)
    big = 2**300 + 17
    assert mul_base8(big) == mul_point(BASE8, big)


def test_in_curve_rejects_other_pairs() -> None:
    assert in_curve(IDENTITY)
    assert not in_curve(Point.of(1, 1))
    assert not in_curve(Point.of(BASE8.x, BASE8.y + 1))
    assert not in_subgroup(Point.of(1, 1))


@pytest.mark.parametrize(("coord", "x", "y"), [("x", P, 1), ("y", 0, P), ("x", -1, 1)])
def test_point_rejects_coordinates_outside_the_field(coord: str, x: int, y: int) -> None:
    with pytest.raises(InvalidPointError, match=f"^point {coord} coordinate must be in"):
        Point.of(x, y)


def test_point_rejects_non_int_coordinates() -> None:
    with pytest.raises(InvalidPointError, match="point y coordinate must be an integer"):
        Point.of(1, "2")  # type: ignore[arg-type]


def test_arithmetic_rejects_points_off_the_curve() -> None:
    bad = Point.of(1, 1)
    with pytest.raises(InvalidPointError, match="not on the BabyJubJub curve"):
        add_point(BASE8, bad)
    with pytest.raises(InvalidPointError, match=r"^point \(1, 1\) is not on"):
        mul_point(bad, 3)
    with pytest.raises(InvalidPointError):
        pack_point(bad)


def test_scalar_must_be_non_negative_int() -> None:
    with pytest.raises(FieldRangeError, match=r"non-negative\. Got -1"):
        mul_point(BASE8, -1)
    with pytest.raises(FieldRangeError, match="must be an integer"):
        mul_base8(True)


def test_unpack_rejects_malformed_encodings() -> None:
    with pytest.raises(InvalidPointError, match="32 bytes"):
        unpack_point(b"\x00" * 31)
    with pytest.raises(InvalidPointError, match="not below the field modulus"):
        unpack_point(P.to_bytes(32, "little"))
    # y = 2 gives x^2 a non-residue, so no curve point has it.
    with pytest.raises(InvalidPointError, match="y coordinate 2 has no x"):
        unpack_point((2).to_bytes(32, "little"))
    # (0, -1) has x == 0, which circomlibjs refuses to unpack.
    with pytest.raises(InvalidPointError, match="has no x"):
        unpack_point((P - 1).to_bytes(32, "little"))
