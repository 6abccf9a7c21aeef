"""zkredit.zk.merkle against a circomlibjs-Poseidon Merkle tree computed in JS."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from zkredit.errors import FieldRangeError, InputError, MerkleError
from zkredit.zk.field import SNARK_SCALAR_FIELD, FieldElement
from zkredit.zk.merkle import MerkleProof, MerkleTree, compute_root, zero_hashes

P = SNARK_SCALAR_FIELD
FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "circomlibjs_vectors.json"
VEC: dict[str, Any] = json.loads(FIXTURE.read_text())["merkle"]
DEPTH = int(VEC["depth"])
LEAVES = [int(v) for v in VEC["leaves"]]
PROOF = VEC["proof"]


def _tree(n: int = len(LEAVES)) -> MerkleTree:
    tree = MerkleTree(DEPTH)
    for leaf in LEAVES[:n]:
        tree.insert(leaf)
    return tree


def test_zero_hashes_match() -> None:
    assert DEPTH == 20
    assert list(zero_hashes(DEPTH)) == [int(z) for z in VEC["zeros"]]
    assert MerkleTree(DEPTH).root == int(VEC["zeros"][DEPTH])


@pytest.mark.parametrize("n", sorted(int(k) for k in VEC["roots"]))
def test_roots_after_inserts_match(n: int) -> None:
    assert _tree(n).root == int(VEC["roots"][str(n)])
    assert MerkleTree.from_leaves(LEAVES[:n], DEPTH).root == int(VEC["roots"][str(n)])


def test_proof_matches_fixture_path() -> None:
    proof = _tree().proof(int(PROOF["index"]))
    assert proof.leaf == int(PROOF["leaf"])
    assert proof.index == int(PROOF["index"])
    assert list(proof.path_elements) == [int(v) for v in PROOF["path_elements"]]
    assert list(proof.path_indices) == [int(v) for v in PROOF["path_indices"]]
    assert proof.root == int(PROOF["root"])
    assert proof.verify()
    fixture_root = compute_root(
        int(PROOF["leaf"]),
        [int(v) for v in PROOF["path_elements"]],
        [int(v) for v in PROOF["path_indices"]],
    )
    assert fixture_root == int(PROOF["root"])


def test_every_leaf_proves_and_indexes() -> None:
    tree = _tree()
    for i, leaf in enumerate(LEAVES):
        proof = tree.proof(i)
        assert proof.leaf == leaf
        assert tree.leaf(i) == leaf
        assert tree.index_of(leaf) == i
        assert proof.verify()


@pytest.mark.parametrize("level", range(DEPTH))
def test_altered_path_element_fails(level: int) -> None:
    proof = _tree().proof(int(PROOF["index"]))
    elements = list(proof.path_elements)
    elements[level] = FieldElement((elements[level] + 1) % P)
    assert not replace(proof, path_elements=tuple(elements)).verify()


@pytest.mark.parametrize("level", range(DEPTH))
def test_flipped_path_index_fails(level: int) -> None:
    proof = _tree().proof(int(PROOF["index"]))
    indices = list(proof.path_indices)
    indices[level] ^= 1
    flipped = replace(proof, path_indices=tuple(indices))
    assert not flipped.verify()
    # Even when the claimed index is made consistent, the root no longer matches.
    assert not replace(flipped, index=proof.index ^ (1 << level)).verify()


def test_altered_leaf_root_or_index_fails() -> None:
    proof = _tree().proof(3)
    assert not replace(proof, leaf=FieldElement(proof.leaf + 1)).verify()
    assert not replace(proof, root=FieldElement(proof.root + 1)).verify()
    assert not replace(proof, index=2).verify()
    assert not replace(proof, path_indices=(*proof.path_indices[:-1], 2)).verify()
    assert not replace(proof, path_elements=proof.path_elements[:-1]).verify()
    assert not replace(proof, leaf=FieldElement(P)).verify()


def test_compute_root_errors() -> None:
    with pytest.raises(MerkleError, match="2 elements but 1 indices"):
        compute_root(1, [1, 2], [0])
    with pytest.raises(MerkleError, match=r"path index 0 must be 0 or 1\. Got 2"):
        compute_root(1, [1], [2])
    with pytest.raises(FieldRangeError, match="path element 0"):
        compute_root(1, [P], [0])


def test_full_tree_raises() -> None:
    tree = MerkleTree(depth=2)
    assert [tree.insert(v) for v in (1, 2, 3, 4)] == [0, 1, 2, 3]
    assert len(tree) == tree.capacity == 4
    with pytest.raises(MerkleError, match="Merkle tree is full: depth 2 holds 4 leaves"):
        tree.insert(5)
    assert all(tree.proof(i).verify() for i in range(4))
    with pytest.raises(MerkleError, match="5 leaves do not fit a depth-2 tree"):
        MerkleTree.from_leaves([1, 2, 3, 4, 5], depth=2)


def test_root_history_evicts_oldest() -> None:
    tree = MerkleTree(depth=4, root_history=3)
    empty_root = tree.root
    assert tree.is_known_root(empty_root)
    roots = []
    for leaf in (10, 20, 30, 40):
        tree.insert(leaf)
        roots.append(tree.root)
    assert not tree.is_known_root(empty_root)
    assert not tree.is_known_root(roots[0])
    assert all(tree.is_known_root(r) for r in roots[1:])
    assert not tree.is_known_root(12345)


def test_index_of_missing_leaf() -> None:
    tree = _tree(2)
    with pytest.raises(MerkleError, match=f"leaf {LEAVES[3]} is not in the Merkle tree"):
        tree.index_of(LEAVES[3])
    tree.insert(LEAVES[0])
    assert tree.index_of(LEAVES[0]) == 0  # first occurrence wins


def test_bad_indices_and_leaves() -> None:
    tree = _tree(2)
    with pytest.raises(MerkleError, match="leaf index 2 is out of range: the tree holds 2 leaves"):
        tree.proof(2)
    with pytest.raises(MerkleError, match="out of range"):
        tree.proof(-1)
    with pytest.raises(MerkleError, match="leaf 0 is reserved"):
        tree.insert(0)
    with pytest.raises(MerkleError, match="leaf 0 is reserved"):
        MerkleTree.from_leaves([1, 0], depth=3)
    with pytest.raises(FieldRangeError, match="leaf must be in"):
        tree.insert(P)


@pytest.mark.parametrize(("depth", "history"), [(0, 30), (65, 30), (20, 0), (True, 30)])
def test_constructor_validates(depth: int, history: int) -> None:
    with pytest.raises(InputError):
        MerkleTree(depth, history)


def test_from_leaves_equals_incremental() -> None:
    leaves = list(range(1, 12))
    built = MerkleTree.from_leaves(leaves, depth=5)
    inc = MerkleTree(depth=5)
    for leaf in leaves:
        inc.insert(leaf)
    assert built.root == inc.root
    assert len(built) == len(inc) == 11
    assert all(built.proof(i) == inc.proof(i) for i in range(11))
    assert built.is_known_root(inc.root)
    built.insert(12)
    inc.insert(12)
    assert built.root == inc.root
    assert MerkleTree.from_leaves([], depth=5).root == zero_hashes(5)[5]


def test_storage_is_sparse() -> None:
    tree = _tree()
    stored = sum(len(level) for level in tree._nodes)
    # 5 leaves + 3 + 2 + one node per level above: nowhere near 2**21.
    assert stored <= len(LEAVES) * 2 + DEPTH + 1


def test_proof_is_immutable() -> None:
    proof: MerkleProof = _tree(1).proof(0)
    with pytest.raises(AttributeError):
        proof.leaf = FieldElement(2)  # type: ignore[misc]
