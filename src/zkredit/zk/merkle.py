"""An append-only Poseidon Merkle tree whose proofs feed circom inclusion circuits.

Empty slots hold 0; an empty subtree of height i hashes to zeros[i], where
zeros[i + 1] = Poseidon(zeros[i], zeros[i]) and a node is Poseidon(left, right).
Only nodes that differ from the empty-subtree value are stored, so a depth-20
tree costs memory proportional to the leaves actually inserted.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from zkredit.errors import InputError, MerkleError
from zkredit.zk.field import FieldElement, to_field
from zkredit.zk.poseidon import poseidon

MAX_DEPTH = 64


@functools.cache
def zero_hashes(depth: int) -> tuple[FieldElement, ...]:
    """zeros[0..depth]: the root of an empty subtree of each height."""
    zeros = [FieldElement(0)]
    for _ in range(depth):
        zeros.append(poseidon([zeros[-1], zeros[-1]]))
    return tuple(zeros)


def _hash_pair(left: int, right: int) -> FieldElement:
    return poseidon([left, right])


def compute_root(
    leaf: int, path_elements: Sequence[int], path_indices: Sequence[int]
) -> FieldElement:
    """Fold an inclusion path into a root; index bit 0 means the node is the left child."""
    if len(path_elements) != len(path_indices):
        raise MerkleError(f"path has {len(path_elements)} elements but {len(path_indices)} indices")
    node = to_field(leaf, name="leaf")
    for level, (sibling, bit) in enumerate(zip(path_elements, path_indices, strict=True)):
        sib = to_field(sibling, name=f"path element {level}")
        if bit == 0:
            node = _hash_pair(node, sib)
        elif bit == 1:
            node = _hash_pair(sib, node)
        else:
            raise MerkleError(f"path index {level} must be 0 or 1. Got {bit!r}")
    return node


@dataclass(frozen=True, slots=True)
class MerkleProof:
    """Inclusion of ``leaf`` at ``index`` under ``root``; the circuit's private inputs."""

    leaf: FieldElement
    index: int
    path_elements: tuple[FieldElement, ...]
    path_indices: tuple[int, ...]
    root: FieldElement

    def verify(self) -> bool:
        """Whether the path hashes to ``root`` and encodes ``index``."""
        encoded = sum(bit << level for level, bit in enumerate(self.path_indices))
        if encoded != self.index:
            return False
        try:
            return compute_root(self.leaf, self.path_elements, self.path_indices) == self.root
        except (MerkleError, InputError):
            return False


class MerkleTree:
    """Incremental Poseidon Merkle tree with a bounded history of recent roots."""

    def __init__(self, depth: int = 20, root_history: int = 30) -> None:
        if isinstance(depth, bool) or not isinstance(depth, int) or not 1 <= depth <= MAX_DEPTH:
            raise InputError(f"tree depth must be an integer in [1, {MAX_DEPTH}]. Got {depth!r}")
        if isinstance(root_history, bool) or not isinstance(root_history, int) or root_history < 1:
            raise InputError(f"root_history must be a positive integer. Got {root_history!r}")
        self._depth = depth
        self._zeros = zero_hashes(depth)
        # _nodes[level][i]: level 0 holds leaves, level depth the root.
        self._nodes: list[dict[int, FieldElement]] = [{} for _ in range(depth + 1)]
        self._size = 0
        self._first_index: dict[int, int] = {}
        self._roots: deque[FieldElement] = deque([self._zeros[depth]], maxlen=root_history)

    @property
    def depth(self) -> int:
        """Number of levels between a leaf and the root."""
        return self._depth

    @property
    def capacity(self) -> int:
        """Maximum number of leaves: 2**depth."""
        return 1 << self._depth

    def __len__(self) -> int:
        return self._size

    @property
    def root(self) -> FieldElement:
        """The current root (the empty-tree root before any insertion)."""
        return self._node(self._depth, 0)

    def _node(self, level: int, index: int) -> FieldElement:
        return self._nodes[level].get(index, self._zeros[level])

    def _set(self, level: int, index: int, value: FieldElement) -> None:
        if value != self._zeros[level]:
            self._nodes[level][index] = value
        else:
            self._nodes[level].pop(index, None)

    def insert(self, leaf: int) -> int:
        """Append ``leaf`` and return its index; costs ``depth`` hashes."""
        value = to_field(leaf, name="leaf")
        if value == 0:
            # 0 marks an empty slot: anyone could "prove" it at any free index.
            raise MerkleError("leaf 0 is reserved for empty slots and cannot be inserted")
        if self._size >= self.capacity:
            raise MerkleError(
                f"Merkle tree is full: depth {self._depth} holds {self.capacity} leaves"
            )
        index = self._size
        node, pos = value, index
        self._set(0, pos, node)
        for level in range(self._depth):
            if pos & 1:
                node = _hash_pair(self._node(level, pos - 1), node)
            else:
                node = _hash_pair(node, self._zeros[level])
            pos >>= 1
            self._set(level + 1, pos, node)
        self._size += 1
        self._first_index.setdefault(value, index)
        self._roots.append(node)
        return index

    def leaf(self, index: int) -> FieldElement:
        """The leaf stored at ``index``."""
        self._check_index(index)
        return self._node(0, index)

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self._size:
            raise MerkleError(
                f"leaf index {index!r} is out of range: the tree holds {self._size} leaves"
            )

    def proof(self, index: int) -> MerkleProof:
        """Inclusion proof of the leaf at ``index`` against the current root."""
        self._check_index(index)
        elements = []
        indices = []
        pos = index
        for level in range(self._depth):
            elements.append(self._node(level, pos ^ 1))
            indices.append(pos & 1)
            pos >>= 1
        return MerkleProof(
            leaf=self._node(0, index),
            index=index,
            path_elements=tuple(elements),
            path_indices=tuple(indices),
            root=self.root,
        )

    def is_known_root(self, root: int) -> bool:
        """Whether ``root`` is the current root or one of the last ``root_history`` roots."""
        return root in self._roots

    def index_of(self, leaf: int) -> int:
        """Index of the first occurrence of ``leaf``."""
        try:
            return self._first_index[leaf]
        except (KeyError, TypeError):
            raise MerkleError(f"leaf {leaf!r} is not in the Merkle tree") from None

    @classmethod
    def from_leaves(
        cls, leaves: Iterable[int], depth: int = 20, root_history: int = 30
    ) -> MerkleTree:
        """Build a tree holding ``leaves`` in order, hashing level by level.

        Only the final root enters the root history, not one per leaf.
        """
        tree = cls(depth, root_history)
        values = [to_field(v, name=f"leaf [{i}]") for i, v in enumerate(leaves)]
        if any(v == 0 for v in values):
            raise MerkleError("leaf 0 is reserved for empty slots and cannot be inserted")
        if len(values) > tree.capacity:
            raise MerkleError(
                f"{len(values)} leaves do not fit a depth-{depth} tree ({tree.capacity} leaves)"
            )
        level_values: list[FieldElement] = values
        for level in range(depth + 1):
            for i, v in enumerate(level_values):
                tree._set(level, i, v)
            if level == depth:
                break
            if len(level_values) % 2:
                level_values = [*level_values, tree._zeros[level]]
            level_values = [
                _hash_pair(level_values[i], level_values[i + 1])
                for i in range(0, len(level_values), 2)
            ]
        tree._size = len(values)
        for i, v in enumerate(values):
            tree._first_index.setdefault(v, i)
        if values:
            tree._roots.append(tree.root)
        return tree
