"""Signed envelopes between agents: tamper table and directory checks."""

from __future__ import annotations

import dataclasses

import pytest
from eth_account import Account

from zkredit.agents.common.envelope import Envelope, EnvelopeError, StaticDirectory

WORKER = Account.from_key(b"\x01" * 32)
OTHER = Account.from_key(b"\x02" * 32)
DIRECTORY = StaticDirectory({"worker": WORKER.address, "credit": OTHER.address})
NOW = 1_800_000_000


def _signed() -> Envelope:
    return Envelope.create("loan.apply", "worker", "credit", {"amount_minor": 250_000_000},
                           now=NOW).signed(WORKER, 1337)


def test_valid_envelope_verifies() -> None:
    _signed().verify(DIRECTORY, 1337, expected_recipient="credit", now=NOW)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"payload": {"amount_minor": 250_000_001}}, "forged"),
        ({"type": "loan.other"}, "forged"),
        ({"correlationId": "x"}, "forged"),
        ({"sender": "credit"}, "forged"),
        ({"sender": "mallory"}, "unknown sender"),
        ({"recipient": "remittance"}, "addressed to"),
        ({"timestamp": NOW - 3600}, "clock skew"),
        ({"signature": ""}, "not signed"),
        ({"signature": "0x1234"}, "malformed"),
    ],
)
def test_tampered_envelope_is_rejected(change: dict[str, object], message: str) -> None:
    forged = dataclasses.replace(_signed(), **change)  # type: ignore[arg-type]
    with pytest.raises(EnvelopeError, match=message):
        forged.verify(DIRECTORY, 1337, expected_recipient="credit", now=NOW)


def test_signature_is_bound_to_the_chain_id() -> None:
    with pytest.raises(EnvelopeError, match="forged"):
        _signed().verify(DIRECTORY, 1, expected_recipient="credit", now=NOW)


def test_round_trip_through_dict() -> None:
    env = _signed()
    assert Envelope.from_dict(env.to_dict()) == env
    with pytest.raises(EnvelopeError, match="malformed"):
        Envelope.from_dict({"id": "x"})
