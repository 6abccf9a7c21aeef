"""Property tests for the zkredit.zk primitives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zkredit.errors import FieldRangeError
from zkredit.zk.babyjub import SUBORDER, in_subgroup, mul_base8, pack_point, unpack_point
from zkredit.zk.eddsa import IssuerKey, Signature, verify_poseidon
from zkredit.zk.field import (
    SNARK_SCALAR_FIELD,
    from_bytes32,
    from_decimal,
    to_bytes32,
    to_decimal,
    to_field,
)
from zkredit.zk.merkle import MerkleTree, compute_root

P = SNARK_SCALAR_FIELD
field_elements = st.integers(min_value=0, max_value=P - 1)
outside_field = st.one_of(st.integers(max_value=-1), st.integers(min_value=P))
fast = settings(max_examples=25, deadline=None)


@given(field_elements)
def test_decimal_round_trip(v: int) -> None:
    assert from_decimal(to_decimal(v)) == v
    assert from_decimal(hex(v)) == v


@given(field_elements)
def test_bytes32_round_trip(v: int) -> None:
    data = to_bytes32(v)
    assert len(data) == 32
    assert from_bytes32(data) == v


@given(outside_field)
def test_to_field_rejects_out_of_range(v: int) -> None:
    with pytest.raises(FieldRangeError):
        to_field(v)
    with pytest.raises(FieldRangeError):
        to_decimal(v)


@fast
@given(st.integers(min_value=1, max_value=SUBORDER - 1))
def test_pack_unpack_round_trip_for_base8_multiples(k: int) -> None:
    pt = mul_base8(k)
    data = pack_point(pt)
    assert len(data) == 32
    assert unpack_point(data) == pt
    assert in_subgroup(pt)


@fast
@given(st.binary(min_size=32, max_size=32), field_elements)
def test_sign_verify_round_trip(private_key: bytes, msg: int) -> None:
    key = IssuerKey(private_key)
    sig = key.sign(msg)
    assert 0 <= sig.S < SUBORDER
    assert verify_poseidon(msg, sig, key.public)
    assert Signature.unpack(sig.pack()) == sig
    assert not verify_poseidon((msg + 1) % P, sig, key.public)


@fast
@given(st.lists(st.integers(min_value=1, max_value=P - 1), min_size=1, max_size=12))
def test_merkle_proof_of_every_leaf_verifies(leaves: list[int]) -> None:
    tree = MerkleTree(depth=5)
    for leaf in leaves:
        tree.insert(leaf)
    for i, leaf in enumerate(leaves):
        proof = tree.proof(i)
        assert proof.leaf == leaf
        assert proof.verify()
        assert compute_root(leaf, proof.path_elements, proof.path_indices) == tree.root
    assert MerkleTree.from_leaves(leaves, depth=5).root == tree.root
