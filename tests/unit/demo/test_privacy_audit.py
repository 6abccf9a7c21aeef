"""The privacy audit matches raw values as whole tokens, so random data cannot trip it.

The false alarm this replaces: a ``make demo`` run printed "LEAKS: Maria's birth
date found at credit" in ``credit_applications``, ``credit_nullifiers``, ``jobs``
and the captured bodies. Maria only ever sends a remittance, so none of her data
has a path to the lender; the one value the lender keeps in exactly those four
places is the application's nullifier (a 77-digit Poseidon output), and the old
substring search found the eight digits ``19900602`` inside it. The same
mechanism (``"2500"`` inside a random commitment, id or timestamp) failed the
vault test.
"""

from __future__ import annotations

import json
import random
import uuid
from pathlib import Path

import pytest

from zkredit.demo.privacy import audit, contains_token
from zkredit.store.db import Database
from zkredit.zk.field import SNARK_SCALAR_FIELD

MARIA_BIRTH = "19900602"
RAW = {"Maria's birth date": MARIA_BIRTH, "Samuel's debt ratio as a field": '"debtRatioBps": 2500'}


def nullifier_containing(digits: str, rng: random.Random) -> int:
    """A field element whose decimal form has ``digits`` inside it, as a random one may."""
    while True:
        text = f"{rng.randrange(10**20, 10**21)}{digits}{rng.randrange(10**44, 10**45)}"
        if int(text) < SNARK_SCALAR_FIELD:
            return int(text)


@pytest.fixture
def credit(tmp_path: Path) -> Database:
    import zkredit.agents.credit.models  # noqa: F401  (registers the credit tables)

    db = Database.open("credit", None, tmp_path)
    db.migrate()
    return db


def store_nullifier(db: Database, nullifier: int) -> None:
    from zkredit.agents.credit.models import NullifierRow

    with db.session() as s:
        s.add(NullifierRow(nullifier=str(nullifier), application_id=uuid.uuid4().hex))


def test_a_raw_value_inside_a_random_number_is_not_a_leak(credit: Database,
                                                          tmp_path: Path) -> None:
    store_nullifier(credit, nullifier_containing(MARIA_BIRTH, random.Random(7)))
    body = {"proofs": {"identity": {"public": [str(nullifier_containing(MARIA_BIRTH,
                                                                        random.Random(8)))]}}}
    logs = tmp_path / "credit" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "http-bodies.jsonl").write_text(json.dumps({"body": json.dumps(body)}) + "\n")

    report = audit({"credit": credit}, {"credit": tmp_path / "credit"}, RAW)

    assert report.clean, report.leaks


@pytest.mark.parametrize("leaked", [
    {"birthDate": 19900602},
    {"note": "born 19900602"},
    {"attrs": ["19900602"]},
    {"credential": '{"score":745,"debtRatioBps": 2500}'},
])
def test_a_raw_value_as_a_token_is_a_leak(credit: Database, tmp_path: Path,
                                          leaked: dict[str, object]) -> None:
    logs = tmp_path / "credit" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (logs / "credit.jsonl").write_text(json.dumps(leaked) + "\n")

    report = audit({"credit": credit}, {"credit": tmp_path / "credit"}, RAW)

    assert [leak["where"] for leak in report.leaks] == ["logs/credit.jsonl"]


@pytest.mark.parametrize(("haystack", "found"), [
    ("19900602", True),
    ('{"birthDate":19900602}', True),
    ("x 19900602, y", True),
    ("3119900602777", False),          # inside a longer number
    ("0xab19900602cd", False),         # inside hex
    ("f19900602", False),
    ("19900602.5", False),             # a different number
    ("10:12:34.750000+00:00", False),  # microseconds, for the needle 750000 below
    ("1990-06-02", False),             # another spelling is another needle
])
def test_tokens_are_whole_numbers(haystack: str, found: bool) -> None:
    needle = "750000" if "750000" in haystack else MARIA_BIRTH
    assert contains_token(haystack, needle) is found


def test_bytes_are_searched_as_bytes_not_as_their_repr() -> None:
    # repr(b"\x02500") is "b'\\x02500'": its escape digits would fake a "2500".
    assert not contains_token(b"\x02500\x99", "2500")
    assert contains_token(b"\x00\x002500\xff", "2500")


def test_random_data_never_trips_the_audit(credit: Database, tmp_path: Path) -> None:
    """What the lender really stores, drawn 200 times: field elements, hex, ids, times."""
    rng = random.Random(20261201)
    raw = {"birth date": MARIA_BIRTH, "income": "750000", "collateral": "15000000",
           "income (minor units)": "75000000", "debt ratio": "2500"}
    home = tmp_path / "credit"
    (home / "logs").mkdir(parents=True, exist_ok=True)
    for i in range(200):
        fields = [str(rng.randrange(SNARK_SCALAR_FIELD)) for _ in range(40)]
        line = {"i": i, "public": fields, "tx": f"0x{rng.getrandbits(256):064x}",
                "id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "at": f"2026-12-01T10:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
                      f"{rng.randrange(10**6):06d}+00:00",
                "blob": rng.randbytes(64).decode("latin-1")}
        with (home / "logs" / "bodies.jsonl").open("a") as fh:
            fh.write(json.dumps(line) + "\n")
        store_nullifier(credit, rng.randrange(SNARK_SCALAR_FIELD))

    report = audit({"credit": credit}, {"credit": home}, raw)

    assert report.clean, report.leaks
