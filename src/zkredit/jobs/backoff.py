"""Retry delays: exponential from 1 s, capped at 300 s, with ±10 % jitter.

``delay(n) = min(cap, base * 2**(n-1)) * (1 + u)``, ``u`` uniform in
``[-jitter, +jitter]``, and the result is clamped to ``cap`` so the cap is
exact: no retry ever waits longer than 300 s. The jitter spreads retries of
jobs that failed together (an RPC node restart) so they do not return
together.
"""

from __future__ import annotations

import math
import random
import secrets
from dataclasses import dataclass, field


def _system_random() -> random.Random:
    return secrets.SystemRandom()


@dataclass(frozen=True)
class BackoffPolicy:
    base_s: float = 1.0
    cap_s: float = 300.0
    jitter: float = 0.10
    rng: random.Random = field(default_factory=_system_random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not (self.base_s > 0 and self.cap_s >= self.base_s):
            raise ValueError(f"need 0 < base_s <= cap_s, got {self.base_s} and {self.cap_s}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")

    def nominal(self, attempt: int) -> float:
        """The delay after failed attempt ``attempt`` (1-based) before jitter."""
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, got {attempt}")
        # Compare exponents rather than computing 2**(attempt-1): attempt may be large.
        if attempt - 1 >= math.log2(self.cap_s / self.base_s):
            return self.cap_s
        return math.ldexp(self.base_s, attempt - 1)  # base * 2**(attempt-1), exactly

    def delay(self, attempt: int) -> float:
        """The jittered delay in seconds after failed attempt ``attempt``; never above the cap."""
        spread = self.rng.uniform(-self.jitter, self.jitter)
        return min(self.cap_s, self.nominal(attempt) * (1 + spread))


def delay(attempt: int, rng: random.Random | None = None) -> float:
    """The product's retry delay (1 s base, 300 s cap, 10 % jitter) after ``attempt``."""
    return BackoffPolicy(rng=rng or secrets.SystemRandom()).delay(attempt)
