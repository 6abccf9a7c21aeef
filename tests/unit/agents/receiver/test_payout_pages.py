"""The receiver's payout list: newest first, a page at a time, no recipient details."""

from __future__ import annotations

import pytest

from tests.unit.agents.receiver.test_payouts import request
from zkredit.agents.common.paging import UnknownCursor
from zkredit.agents.receiver.service import ReceiverServices


def test_payouts_come_newest_first_a_page_at_a_time(receiver: ReceiverServices) -> None:
    service = receiver.receiver
    made = [service.payout(request(f"tr_{n}"), "remittance").payout_id for n in range(5)]

    first = service.payouts(2, None)
    rest = service.payouts(10, first[-1].payout_id)

    seen = first + rest
    assert sorted(p.payout_id for p in seen) == sorted(made)  # each once, none skipped
    keys = [(p.created_at, p.payout_id) for p in seen]
    assert keys == sorted(keys, reverse=True)  # newest first, ties by id
    assert all(p.amount_minor == 1_500_000 and p.currency == "PHP" for p in first)
    listed = first[0].model_dump_json()
    assert "1234567890" not in listed and "Juan" not in listed


def test_a_page_after_an_unknown_id_is_refused(receiver: ReceiverServices) -> None:
    with pytest.raises(UnknownCursor, match="no row 'po_nope' to page from"):
        receiver.receiver.payouts(10, "po_nope")
