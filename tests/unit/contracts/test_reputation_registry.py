"""ERC-8004 reputation registry: feedback, summaries, revocation and responses."""

from __future__ import annotations

from decimal import Decimal

import pytest

from .chain import Chain, System

H = b"\x42" * 32


@pytest.fixture(scope="module")
def agent(chain: Chain, system: System) -> int:
    receipt = chain.tx(
        system.identity.get_function_by_signature("register(string)")("ipfs://borrower"),
        chain.accounts[1],
    )
    (event,) = chain.events(system.identity, "Registered", receipt)
    return int(event.args.agentId)


def _give(
    chain: Chain,
    system: System,
    client: str,
    agent: int,
    value: int,
    decimals: int = 0,
    tag1: str = "",
    tag2: str = "",
) -> int:
    fn = system.reputation.functions.giveFeedback(
        agent, value, decimals, tag1, tag2, "https://svc.example", "ipfs://fb", H
    )
    receipt = chain.tx(fn, client)
    (event,) = chain.events(system.reputation, "NewFeedback", receipt)
    assert event.args.clientAddress == client and event.args.value == value
    assert (event.args.endpoint, event.args.feedbackURI, event.args.feedbackHash) == (
        "https://svc.example",
        "ipfs://fb",
        H,
    )
    return int(event.args.feedbackIndex)


def test_feedback_is_indexed_per_client_from_one(chain: Chain, system: System, agent: int) -> None:
    c1, c2 = chain.accounts[2], chain.accounts[3]
    assert _give(chain, system, c1, agent, 87, 0, "starred") == 1
    assert _give(chain, system, c1, agent, 9977, 2, "uptime") == 2
    assert _give(chain, system, c2, agent, 1, 0, "reachable") == 1
    rep = system.reputation.functions
    assert rep.readFeedback(agent, c1, 2).call() == [9977, 2, "uptime", "", False]
    assert rep.getLastIndex(agent, c1).call() == 2
    assert rep.getClients(agent).call() == [c1, c2]
    assert rep.getIdentityRegistry().call() == system.identity.address


def test_owner_operator_and_wallet_cannot_rate_own_agent(chain: Chain, system: System) -> None:
    owner, operator = chain.accounts[4], chain.accounts[5]
    receipt = chain.tx(system.identity.get_function_by_signature("register()")(), owner)
    (event,) = chain.events(system.identity, "Registered", receipt)
    agent_id = int(event.args.agentId)
    give = system.reputation.functions.giveFeedback(agent_id, 100, 0, "", "", "", "", H)
    chain.reverts(give, owner, "ReputationRegistry__SelfFeedback", agent_id, owner)
    chain.tx(system.identity.functions.approve(operator, agent_id), owner)
    chain.reverts(give, operator, "ReputationRegistry__SelfFeedback", agent_id, operator)


def test_invalid_feedback_inputs(chain: Chain, system: System, agent: int) -> None:
    rep = system.reputation.functions
    client = chain.accounts[2]
    chain.reverts(
        rep.giveFeedback(agent, 1, 19, "", "", "", "", H),
        client,
        "ReputationRegistry__InvalidDecimals",
        19,
    )
    for value in (10**38 + 1, -(10**38) - 1, 2**127 - 1):
        chain.reverts(rep.giveFeedback(agent, value, 0, "", "", "", "", H), client,
                      "ReputationRegistry__ValueOutOfRange", value)  # fmt: skip
    chain.reverts(
        rep.giveFeedback(10**9, 1, 0, "", "", "", "", H),
        client,
        "ReputationRegistry__UnknownAgent",
        10**9,
    )


def test_summary_reports_at_the_most_frequent_decimals_and_filters(
    chain: Chain, system: System
) -> None:
    receipt = chain.tx(system.identity.get_function_by_signature("register()")(), chain.accounts[1])
    (event,) = chain.events(system.identity, "Registered", receipt)
    agent_id = int(event.args.agentId)
    lender_a, lender_b, stranger = chain.accounts[6], chain.accounts[7], chain.accounts[8]
    # Repayment history: +1 on time, -1 late; one entry reported at 2 decimals.
    _give(chain, system, lender_a, agent_id, 1, 0, "repayment", "NGN")
    _give(chain, system, lender_a, agent_id, -1, 0, "repayment", "NGN")
    _give(chain, system, lender_b, agent_id, 150, 2, "repayment", "PHP")
    _give(chain, system, lender_b, agent_id, 87, 0, "starred")
    _give(chain, system, stranger, agent_id, -100, 0, "repayment")
    rep = system.reputation.functions
    lenders = [lender_a, lender_b]

    def expect(values: list[Decimal]) -> tuple[int, int, int]:
        """ERC-8004 reference semantics: average at 18 decimals, reported at the most
        frequent scale (the smallest on a tie), truncated toward zero."""
        scales = [-v.as_tuple().exponent for v in values]
        decimals = min(set(scales), key=lambda d: (-scales.count(d), d))
        avg_wad = int(sum(values) * 10**18 / len(values))
        scaled = int(Decimal(avg_wad) / 10 ** (18 - decimals))  # truncates toward zero
        return len(values), scaled, decimals

    got = tuple(rep.getSummary(agent_id, lenders, "repayment", "").call())
    assert got == expect([Decimal(1), Decimal(-1), Decimal("1.50")]) == (3, 0, 0)
    assert tuple(rep.getSummary(agent_id, [lender_b], "repayment", "").call()) == (1, 150, 2)
    assert tuple(rep.getSummary(agent_id, lenders, "repayment", "NGN").call()) == (2, 0, 0)
    assert tuple(rep.getSummary(agent_id, lenders, "", "").call()) == expect(
        [Decimal(1), Decimal(-1), Decimal("1.50"), Decimal(87)]
    )
    assert tuple(rep.getSummary(agent_id, [stranger], "repayment", "").call()) == (1, -100, 0)
    assert tuple(rep.getSummary(agent_id, lenders, "nope", "").call()) == (0, 0, 0)
    chain.reverts(rep.getSummary(agent_id, [], "", ""), lender_a, "ReputationRegistry__NoClients")

    # Revoked feedback leaves the summary.
    chain.tx(rep.revokeFeedback(agent_id, 2), lender_a)
    assert tuple(rep.getSummary(agent_id, [lender_a], "repayment", "").call()) == (1, 1, 0)
    all_fb = rep.readAllFeedback(agent_id, [], "repayment", "", False).call()
    assert all_fb[0] == [lender_a, lender_b, stranger] and all_fb[1] == [1, 1, 1]
    with_revoked = rep.readAllFeedback(agent_id, [lender_a], "", "", True).call()
    assert with_revoked[1] == [1, 2] and with_revoked[6] == [False, True]
    assert with_revoked[2] == [1, -1] and with_revoked[4] == ["repayment", "repayment"]


def test_revoke_only_own_existing_feedback(chain: Chain, system: System, agent: int) -> None:
    client, other = chain.accounts[2], chain.accounts[9]
    index = _give(chain, system, client, agent, 50)
    rep = system.reputation.functions
    chain.reverts(
        rep.revokeFeedback(agent, index),
        other,
        "ReputationRegistry__FeedbackNotFound",
        agent,
        other,
        index,
    )
    receipt = chain.tx(rep.revokeFeedback(agent, index), client)
    (event,) = chain.events(system.reputation, "FeedbackRevoked", receipt)
    assert (event.args.agentId, event.args.clientAddress, event.args.feedbackIndex) == (
        agent,
        client,
        index,
    )
    assert rep.readFeedback(agent, client, index).call()[4] is True
    chain.reverts(rep.revokeFeedback(agent, index), client, "ReputationRegistry__AlreadyRevoked")
    chain.reverts(rep.revokeFeedback(agent, 0), client, "ReputationRegistry__FeedbackNotFound")


def test_append_response_counts_per_responder(chain: Chain, system: System, agent: int) -> None:
    client, owner, auditor = chain.accounts[2], chain.accounts[1], chain.accounts[9]
    index = _give(chain, system, client, agent, 10)
    rep = system.reputation.functions
    receipt = chain.tx(rep.appendResponse(agent, client, index, "ipfs://refund", H), owner)
    (event,) = chain.events(system.reputation, "ResponseAppended", receipt)
    assert (event.args.responder, event.args.responseURI) == (owner, "ipfs://refund")
    chain.tx(rep.appendResponse(agent, client, index, "ipfs://refund-2", H), owner)
    chain.tx(rep.appendResponse(agent, client, index, "ipfs://spam-flag", H), auditor)
    assert rep.getResponseCount(agent, client, index, []).call() == 3
    assert rep.getResponseCount(agent, client, index, [auditor]).call() == 1
    chain.reverts(
        rep.appendResponse(agent, client, index, "", H),
        owner,
        "ReputationRegistry__EmptyResponseURI",
    )
    chain.reverts(
        rep.appendResponse(agent, client, 999, "ipfs://x", H),
        owner,
        "ReputationRegistry__FeedbackNotFound",
    )


def test_one_listed_client_cannot_make_get_summary_revert(chain: Chain, system: System) -> None:
    """Review L-6: before the fix one client posting huge values at 0 decimals next to
    values at 18 decimals made the average overflow int128, and getSummary reverted
    (SummaryOverflow) for every caller that listed it."""
    receipt = chain.tx(system.identity.get_function_by_signature("register()")(), chain.accounts[1])
    agent_id = int(chain.events(system.identity, "Registered", receipt)[0].args.agentId)
    griefer, honest = chain.accounts[6], chain.accounts[7]
    for _ in range(2):
        _give(chain, system, griefer, agent_id, 10**38, 0, "x")
    for _ in range(3):
        _give(chain, system, honest, agent_id, 1, 18, "x")
    count, value, decimals = system.reputation.functions.getSummary(
        agent_id, [griefer, honest], "x", "").call()  # fmt: skip
    assert count == 5
    # The exact average is 4e37 (+ 6e-19): reported at the finest scale that fits int128.
    assert Decimal(value).scaleb(-decimals) == Decimal(4 * 10**37)
    assert abs(value) <= 2**127 - 1
