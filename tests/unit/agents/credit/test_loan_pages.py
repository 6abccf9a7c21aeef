"""F30: the lender's loan list is paginated (limit, after), in id order."""

from __future__ import annotations

import httpx
from eth_account import Account

from tests.unit.agents.credit.support import CHAIN_ID, Lender
from tests.unit.agents.credit.test_payloads import approved
from zkredit.agents.common.app import AgentCard
from zkredit.agents.common.loan_offer import sign_offer
from zkredit.agents.credit.app import create_app
from zkredit.agents.launcher import ThreadedServer, free_port


def test_loans_come_a_page_at_a_time(lender: Lender) -> None:
    for _ in range(3):
        borrower = Account.create()
        offer = approved(lender, borrower.address)
        lender.deliver("credit.offer.accept", {
            "offer_id": offer["offer_id"], "payout": {},
            "signature": sign_offer(borrower, offer, CHAIN_ID, {})})
    app = create_app(lender.runtime, lender.service, AgentCard("c", "c", "http://x", "0x0"))
    server = ThreadedServer(app, free_port()).start()
    try:
        everything = httpx.get(f"{server.url}/loans").json()
        first = httpx.get(f"{server.url}/loans", params={"limit": 2}).json()
        rest = httpx.get(f"{server.url}/loans",
                         params={"limit": 2, "after": first[-1]["loan_id"]}).json()
    finally:
        server.stop()
    ids = sorted(loan["loan_id"] for loan in everything)
    assert len(ids) == 3
    assert [loan["loan_id"] for loan in first + rest] == ids
