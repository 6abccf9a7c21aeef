"""The verifier's civil-date arithmetic against Python's proleptic Gregorian calendar."""

from __future__ import annotations

import random
from datetime import date, timedelta

from .chain import DAY, Chain, System

EPOCH = date(1970, 1, 1)
EDGES = [
    date(1970, 1, 1),
    date(1972, 2, 29),
    date(1999, 12, 31),
    date(2000, 2, 28),
    date(2000, 2, 29),
    date(2000, 3, 1),
    date(2024, 2, 29),
    date(2024, 12, 31),
    date(2100, 2, 28),
    date(2100, 3, 1),
    date(2400, 2, 29),
    date(9999, 12, 31),
]


def _days() -> list[int]:
    rng = random.Random(8004)
    leap_year = [(date(2024, 1, 1) - EPOCH).days + i for i in range(367)]
    last = (date(9999, 12, 31) - EPOCH).days
    edges = [(d - EPOCH).days + k for d in EDGES for k in (-1, 0, 1)]
    edges = [e for e in edges if 0 <= e <= last]
    spread = [rng.randrange(0, (date(9999, 12, 31) - EPOCH).days) for _ in range(200)]
    return sorted(set(leap_year + edges + spread))


def test_date_inputs_match_python_calendar(chain: Chain, system: System) -> None:
    date_inputs = system.zk.functions.dateInputs
    for day in _days():
        d = EPOCH + timedelta(days=day)
        # Any second of the day gives the same day.
        timestamp = day * DAY + (day * 7919) % DAY
        expected = [day, d.year * 12 + d.month - 1, d.year * 10000 + d.month * 100 + d.day]
        assert date_inputs(timestamp).call() == expected, d.isoformat()
