"""Comparing on-chain runtime code with an artifact's ``deployedBytecode``.

solc leaves immutables out of ``deployedBytecode``: each reference is a
``PUSH32`` whose 32-byte immediate is zero until the constructor fills it in
(addresses of the registries, EIP-712 domain caches). Optimised code never
pushes a literal zero with ``PUSH32`` (it uses ``PUSH0``), so those immediates
are exactly the words allowed to differ; every other byte must be equal.
"""

from __future__ import annotations

from dataclasses import dataclass

PUSH1, PUSH32 = 0x60, 0x7F
WORD = 32
_ZERO_WORD = bytes(WORD)


def immutable_slots(code: bytes) -> list[int]:
    """Offsets of the zero ``PUSH32`` immediates (immutable placeholders) in ``code``."""
    slots = []
    i = 0
    while i < len(code):
        op = code[i]
        if PUSH1 <= op <= PUSH32:
            width = op - PUSH1 + 1
            if op == PUSH32 and code[i + 1 : i + 1 + WORD] == _ZERO_WORD:
                slots.append(i + 1)
            i += 1 + width
        else:
            i += 1
    return slots


@dataclass(frozen=True)
class CodeComparison:
    """Outcome of comparing runtime code; ``problem`` is None when it matches."""

    problem: str | None
    immutables: int

    @property
    def matches(self) -> bool:
        return self.problem is None


def compare_runtime(expected: bytes, actual: bytes) -> CodeComparison:
    """Does ``actual`` (on chain) equal ``expected`` (artifact) outside immutables?"""
    slots = immutable_slots(expected)
    if not actual:
        return CodeComparison("no code at the address", len(slots))
    if len(actual) != len(expected):
        return CodeComparison(
            f"runtime code is {len(actual)} bytes, the artifact's is {len(expected)}", len(slots)
        )
    masked = bytearray(actual)
    for start in slots:
        masked[start : start + WORD] = _ZERO_WORD
    if bytes(masked) != expected:
        first = next(i for i, (a, b) in enumerate(zip(masked, expected, strict=True)) if a != b)
        return CodeComparison(f"runtime code differs from the artifact at byte {first}", len(slots))
    return CodeComparison(None, len(slots))
