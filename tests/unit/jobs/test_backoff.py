"""Retry delays: 1 s base doubling to an exact 300 s cap, ±10 % jitter."""

from __future__ import annotations

import random

import pytest

from zkredit.jobs.backoff import BackoffPolicy, delay

# attempt -> delay before jitter, in seconds
NOMINAL = {1: 1, 2: 2, 3: 4, 4: 8, 5: 16, 6: 32, 7: 64, 8: 128, 9: 256, 10: 300, 11: 300, 12: 300}


class Extreme(random.Random):
    """A Random whose uniform() always returns one end of the range."""

    def __init__(self, high: bool) -> None:
        super().__init__(0)
        self.high = high

    def uniform(self, a: float, b: float) -> float:
        return b if self.high else a


@pytest.mark.parametrize(("attempt", "nominal"), NOMINAL.items())
def test_nominal_table(attempt: int, nominal: float) -> None:
    assert BackoffPolicy().nominal(attempt) == nominal


@pytest.mark.parametrize(("attempt", "nominal"), NOMINAL.items())
def test_jitter_stays_within_ten_percent_and_under_the_cap(attempt: int, nominal: float) -> None:
    rng = random.Random(attempt)
    samples = [delay(attempt, rng) for _ in range(500)]
    assert min(samples) >= nominal * 0.9
    assert max(samples) <= min(300.0, nominal * 1.1)
    assert len(set(samples)) > 200  # jittered (at the cap, about half clamp to 300)


@pytest.mark.parametrize(
    ("attempt", "low", "high"), [(1, 0.9, 1.1), (9, 230.4, 281.6), (10, 270, 300)]
)
def test_jitter_extremes(attempt: int, low: float, high: float) -> None:
    assert delay(attempt, Extreme(high=False)) == pytest.approx(low)
    assert delay(attempt, Extreme(high=True)) == pytest.approx(high)


def test_cap_is_exact() -> None:
    assert delay(10, Extreme(high=True)) == 300.0
    assert delay(10_000, Extreme(high=True)) == 300.0
    assert max(delay(12, random.Random(1)) for _ in range(1000)) <= 300.0


def test_same_seed_same_delays() -> None:
    first = [delay(n, random.Random(42)) for n in range(1, 13)]
    second = [delay(n, random.Random(42)) for n in range(1, 13)]
    assert first == second


def test_default_rng_is_the_system_random() -> None:
    assert 0.9 <= delay(1) <= 1.1
    assert type(BackoffPolicy().rng).__name__ == "SystemRandom"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_s": 0}, "need 0 < base_s <= cap_s"),
        ({"base_s": 10, "cap_s": 5}, "need 0 < base_s <= cap_s"),
        ({"jitter": 1.0}, r"jitter must be in \[0, 1\)"),
        ({"jitter": -0.1}, r"jitter must be in \[0, 1\)"),
    ],
)
def test_invalid_policies(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BackoffPolicy(**kwargs)  # type: ignore[arg-type]


def test_attempts_start_at_one() -> None:
    with pytest.raises(ValueError, match="attempt numbers start at 1, got 0"):
        delay(0)
