"""L-1: an ERC-8004 validation under an agentId needs that agent's authorisation.

Before the fix any applicant could name any agent in ``Application.agentId`` and the
registry filed the attestation under it as a validation the agent had asked for
(review contracts-2026-12, L-1). Mock Groth16 verifiers: no pairings.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from zkredit.chain.contracts import IdentityRegistry

from . import zkapp
from .chain import Chain, System
from .scenario import Lender, configure, dates_at, noon_of_next_day

_people = itertools.count(5000)  # identity secrets: a fresh person each
SUBMISSION_TYPES = {
    "AttestationSubmission": [
        {"name": "submitter", "type": "address"},
        {"name": "requestHash", "type": "bytes32"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@pytest.fixture(scope="module")
def lender(chain: Chain, system: System) -> Lender:
    noon_of_next_day(chain)
    b = zkapp.Borrower(wallet=int(chain.accounts[1], 16))
    root, _, _ = zkapp.merkle_single_leaf(b.subject)
    return configure(chain, system, b, zkapp.Thresholds(), root)


@pytest.fixture(scope="module")
def agent(chain: Chain, system: System) -> int:
    """A lender agent owned by accounts[3] (not the borrower)."""
    receipt = chain.tx(system.identity.get_function_by_signature("register()")(), chain.accounts[3])
    return int(chain.events(system.identity, "Registered", receipt)[0].args.agentId)


def _app(chain: Chain, system: System, lender: Lender, agent_id: int) -> tuple[Any, ...]:
    b = zkapp.Borrower(wallet=int(chain.accounts[1], 16), secret=next(_people),
                       scope=zkapp.loan_scope(system, agent_id))
    proofs = zkapp.fake_proofs(b, lender.thresholds, dates_at(system, chain.now()))
    out = {k: (p, list(s)) for k, (p, s) in proofs.items()}
    out["identity"][1][2] = lender.root
    return zkapp.application(lender.policy_hash, out, agent_id)


def test_an_applicant_cannot_attribute_a_validation_to_another_agent(
    chain: Chain, system: System, lender: Lender, agent: int
) -> None:
    borrower = chain.accounts[1]
    app = _app(chain, system, lender, agent)
    chain.reverts(system.zk.functions.verifyAndAttest(app), borrower,
                  "CreditRegistry__NotAgentOperator", agent, borrower)  # fmt: skip
    assert system.credit.functions.getAgentValidations(agent).call() == []
    assert system.credit.functions.getSummary(agent, [], "zkcredit").call() == [0, 0]


def _relay(chain: Chain, system: System, app: tuple[Any, ...], relayer: str) -> Any:
    """``verifyAndAttestFor`` by ``relayer`` with the borrower's (accounts[1]) consent."""
    request_hash = zkapp.keccak_abi(zkapp.APP_TYPE, app)
    deadline = chain.now() + 600
    domain = {"name": "ZKCreditVerifier", "version": "1", "chainId": chain.w3.eth.chain_id,
              "verifyingContract": system.zk.address}  # fmt: skip
    message = {"submitter": relayer, "requestHash": request_hash, "deadline": deadline}
    sig = chain.sign_typed(chain.accounts[1], domain, SUBMISSION_TYPES, message)
    return system.zk.functions.verifyAndAttestFor(app, deadline, sig)


def test_the_agent_consents_by_relaying_or_by_asking_first(
    chain: Chain, system: System, lender: Lender, agent: int
) -> None:
    owner, agent_wallet, stranger = chain.accounts[3], chain.accounts[8], chain.accounts[9]
    credit = system.credit.functions
    hashes = []

    # A relayer that is neither the agent's owner, operator nor wallet is refused.
    app = _app(chain, system, lender, agent)
    chain.reverts(_relay(chain, system, app, stranger), stranger,
                  "CreditRegistry__NotAgentOperator", agent, stranger)  # fmt: skip

    # The owner relays; the registry logs the request the agent thereby made.
    receipt = chain.tx(_relay(chain, system, app, owner), owner)
    (request,) = chain.events(system.credit, "ValidationRequest", receipt)
    assert (request.args.validatorAddress, request.args.agentId) == (system.zk.address, agent)
    hashes.append(zkapp.keccak_abi(zkapp.APP_TYPE, app))

    # The agent's verified wallet (the key its service runs with) relays too.
    IdentityRegistry(chain.client, system.identity.address).set_agent_wallet(
        agent, agent_wallet, sender=owner)
    app = _app(chain, system, lender, agent)
    chain.tx(_relay(chain, system, app, agent_wallet), agent_wallet)
    hashes.append(zkapp.keccak_abi(zkapp.APP_TYPE, app))

    # Or the agent asks first (ERC-8004 validationRequest: its owner or an operator only)
    # and the borrower submits.
    app = _app(chain, system, lender, agent)
    request_hash = zkapp.keccak_abi(zkapp.APP_TYPE, app)
    chain.reverts(credit.validationRequest(system.zk.address, agent, "ipfs://app", request_hash),
                  agent_wallet, "CreditRegistry__NotAgentOperator", agent,
                  agent_wallet)  # fmt: skip
    chain.tx(credit.validationRequest(system.zk.address, agent, "ipfs://app", request_hash), owner)
    receipt = chain.tx(system.zk.functions.verifyAndAttest(app), chain.accounts[1])
    assert chain.events(system.credit, "ValidationRequest", receipt) == []
    hashes.append(request_hash)

    assert credit.getAgentValidations(agent).call() == hashes
    assert credit.getValidatorRequests(system.zk.address).call() == hashes  # ERC-8004
    assert credit.getSummary(agent, [], "zkcredit").call() == [3, 100]
    assert all(credit.isAttestationValid(h).call() for h in hashes)
