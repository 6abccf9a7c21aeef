"""F21: amounts no store can hold are the sender's error (422), not a database overflow (500)."""

from __future__ import annotations

from typing import Any

import pytest

from zkredit.agents.common import problems
from zkredit.agents.remittance.schemas import (
    DisbursementRequest,
    InvalidPayload,
    QuoteRequest,
    parse_payload,
)
from zkredit.domain.money import MAX_MINOR

QUOTE = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer"}
DISBURSEMENT: dict[str, Any] = {
    "loan_id": "loan-1",
    "recipient": {"name": "Samuel Adewale", "account": "0123456789", "bank": "Zenith Bank",
                  "country": "NG"},
}


@pytest.mark.parametrize("field", ["send_amount_minor", "receive_amount_minor"])
@pytest.mark.parametrize("amount", [MAX_MINOR + 1, 10**40])
def test_a_quote_for_more_than_a_store_holds_is_refused(field: str, amount: int) -> None:
    with pytest.raises(InvalidPayload, match=field) as refused:
        parse_payload(QuoteRequest, {**QUOTE, field: amount})

    assert problems.status_for(refused.value)[0] < 500
    assert refused.value.http_status == 422


def test_the_largest_storable_quote_amount_parses() -> None:
    assert parse_payload(QuoteRequest, {**QUOTE, "send_amount_minor": MAX_MINOR}
                         ).send_amount_minor == MAX_MINOR


def test_a_disbursement_for_more_than_a_store_holds_is_refused() -> None:
    payload = {**DISBURSEMENT, "amount": {"amount_minor": MAX_MINOR + 1, "currency": "NGN"}}

    with pytest.raises(InvalidPayload, match="amount"):
        parse_payload(DisbursementRequest, payload)
