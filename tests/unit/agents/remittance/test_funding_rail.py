"""The sandbox funding rail: deterministic, durable, idempotent by reference (F14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.agents.remittance.support import Clock
from zkredit.agents.remittance.funding import (
    CollectionStatus,
    PayInConflict,
    PayInRequest,
    SandboxFundingRail,
    UnknownPayIn,
    payin_reference,
)
from zkredit.domain.money import Money, currency
from zkredit.store.db import Database

TOTAL = Money(20_544, currency("SGD"))
WALLET = "0x00000000000000000000000000000000000000aa"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database.open("remittance", None, tmp_path)
    database.migrate()
    return database


def request(transfer_id: str = "tr_1", amount: Money = TOTAL, payer: str = WALLET
            ) -> PayInRequest:
    return PayInRequest(payin_reference(transfer_id), amount, payer, transfer_id)


def test_the_reference_is_derived_from_the_transfer_and_distinct() -> None:
    assert payin_reference("tr_1") == payin_reference("tr_1")
    assert payin_reference("tr_1") != payin_reference("tr_2")
    assert payin_reference("tr_1").startswith("PI-")


def test_by_default_the_payer_pays_what_was_asked_once(db: Database) -> None:
    rail = SandboxFundingRail(db, clock=Clock())
    first = rail.open(request())
    assert first.status is CollectionStatus.COLLECTED and first.amount == TOTAL
    assert first.settles
    assert rail.open(request()) == first  # idempotent on the reference
    assert rail.collection(first.reference) == first


def test_the_record_survives_a_new_rail_on_the_same_database(db: Database) -> None:
    SandboxFundingRail(db, auto_collect=False).open(request())
    again = SandboxFundingRail(db)  # a restarted process: auto-collect does not re-run
    assert again.open(request()).status is CollectionStatus.PENDING


def test_a_reference_reopened_with_another_amount_or_payer_conflicts(db: Database) -> None:
    rail = SandboxFundingRail(db)
    rail.open(request())
    with pytest.raises(PayInConflict, match="was opened for 20544 SGD"):
        rail.open(request(amount=TOTAL + Money(1, TOTAL.currency)))
    with pytest.raises(PayInConflict):
        rail.open(request(payer="0x" + "bb" * 20))


def test_a_short_payment_is_collected_but_does_not_settle(db: Database) -> None:
    rail = SandboxFundingRail(db, auto_collect=False)
    ref = rail.open(request()).reference
    short = rail.pay(ref, Money(TOTAL.minor - 1, TOTAL.currency))
    assert short.status is CollectionStatus.COLLECTED and not short.settles
    assert rail.pay(ref, TOTAL) == short  # a pay-in is paid once
    returned = rail.refuse(ref, "wrong amount")
    assert returned.status is CollectionStatus.RETURNED and returned.reason == "wrong amount"
    assert rail.refuse(ref, "again") == returned


def test_a_payment_in_another_currency_is_not_credited(db: Database) -> None:
    rail = SandboxFundingRail(db, auto_collect=False)
    ref = rail.open(request()).reference
    paid = rail.pay(ref, Money(TOTAL.minor, currency("USD")))
    assert paid.status is CollectionStatus.FAILED and paid.amount is None


def test_payers_matching_the_pattern_are_declined(db: Database) -> None:
    rail = SandboxFundingRail(db, fail_payers=r"aa$")
    declined = rail.open(request())
    assert declined.status is CollectionStatus.FAILED and not declined.settles
    assert declined.reason == "the payer's bank declined the debit"
    assert rail.open(request("tr_2", payer="0x" + "bb" * 20)).status is CollectionStatus.COLLECTED


def test_a_cancelled_pay_in_refuses_a_late_payment(db: Database) -> None:
    rail = SandboxFundingRail(db, auto_collect=False)
    ref = rail.open(request()).reference
    assert rail.cancel(ref, "the quote expired").status is CollectionStatus.CANCELLED
    assert rail.pay(ref, TOTAL).status is CollectionStatus.CANCELLED
    collected = SandboxFundingRail(db).open(request("tr_2"))
    assert rail.cancel(collected.reference, "late").status is CollectionStatus.COLLECTED


def test_an_unknown_reference_is_named(db: Database) -> None:
    rail = SandboxFundingRail(db)
    with pytest.raises(UnknownPayIn, match="no pay-in 'PI-NOPE'"):
        rail.collection("PI-NOPE")
    with pytest.raises(UnknownPayIn):
        rail.pay("PI-NOPE", TOTAL)
    assert UnknownPayIn.http_status == 404
