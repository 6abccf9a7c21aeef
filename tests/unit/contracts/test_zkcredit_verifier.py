"""ZKCreditVerifier rules, with mock Groth16 verifiers (no pairings, milliseconds).

The cryptographic path (real proofs, generated and batched verifiers) is in
test_zkcredit_proofs.py; here every proof "verifies" unless a mock is told
otherwise, so each non-cryptographic check can be hit on its own.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from . import zkapp
from .chain import ADMIN_DELAY, DAY, ZERO_ADDRESS, Chain, System, role
from .scenario import Lender, configure, dates_at, noon_of_next_day

POLICY_ADMIN = role("POLICY_ADMIN_ROLE")
PAUSER = role("PAUSER_ROLE")
INCOME, CREDIT, COLLATERAL, IDENTITY = 1, 2, 3, 4
_people = itertools.count(1000)  # identity secrets: a fresh person each
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


@pytest.fixture
def borrower(chain: Chain, system: System) -> zkapp.Borrower:
    """A fresh person (so a fresh pseudonym) under the scope the verifier derives."""
    return zkapp.Borrower(wallet=int(chain.accounts[1], 16), secret=next(_people),
                          scope=zkapp.loan_scope(system, 0))


@pytest.fixture(autouse=True)
def _mocks_accept(chain: Chain, system: System) -> Iterator[None]:
    yield
    for mock in system.verifiers:
        if not mock.functions.answer().call() or mock.functions.shouldRevert().call():
            chain.tx(mock.functions.setAnswer(True, False), system.admin)


def _proofs(
    chain: Chain, system: System, lender: Lender, b: zkapp.Borrower, day_offset: int = 0
) -> dict[str, Any]:
    today, _, _ = dates_at(system, chain.now())
    dates = dates_at(system, (today + day_offset) * DAY)
    proofs = zkapp.fake_proofs(b, lender.thresholds, dates)
    return _edit(proofs, "identity", 2, lender.root)  # the root may have been rotated


def _app(lender: Lender, proofs: dict[str, Any], agent_id: int = 0) -> tuple[Any, ...]:
    return zkapp.application(lender.policy_hash, proofs, agent_id)


def _edit(proofs: dict[str, Any], circuit: str, index: int, value: int) -> dict[str, Any]:
    out = {k: (p, list(s)) for k, (p, s) in proofs.items()}
    out[circuit][1][index] = value
    return out


# ------------------------------------------------------------------ policies


def test_policy_registration_and_hash(chain: Chain, system: System, lender: Lender) -> None:
    zk = system.zk.functions
    assert zk.policyHashOf(lender.policy).call() == lender.policy_hash
    assert zk.isPolicyActive(lender.policy_hash).call()
    got = zk.getPolicy(lender.policy_hash).call()
    assert tuple(got[:13]) == lender.policy[:13] and list(got[13]) == lender.policy[13]
    chain.reverts(
        zk.registerPolicy(lender.policy), system.admin, "ZKCredit__PolicyExists", lender.policy_hash
    )


@pytest.mark.parametrize(
    "field",
    [0, 10, 11, 12, 13],
    ids=["currency", "minKycLevel", "rootAge", "validity", "multiplier"],
)
def test_invalid_policies_are_refused(
    chain: Chain, system: System, lender: Lender, field: int
) -> None:
    policy = list(zkapp.policy_tuple(lender.thresholds))
    policy[field] = [8, 6, 0, 2] if field == 13 else 0
    chain.reverts(
        system.zk.functions.registerPolicy(tuple(policy)), system.admin, "ZKCredit__InvalidPolicy"
    )


def test_policy_admin_only_and_retire(chain: Chain, system: System, lender: Lender) -> None:
    zk = system.zk.functions
    stranger = chain.accounts[9]
    other = zkapp.policy_tuple(lender.thresholds, validity=7 * DAY)
    chain.reverts(
        zk.registerPolicy(other),
        stranger,
        "AccessControlUnauthorizedAccount",
        stranger,
        POLICY_ADMIN,
    )
    receipt = chain.tx(zk.registerPolicy(other), system.admin)
    (event,) = chain.events(system.zk, "PolicyRegistered", receipt)
    other_hash = event.args.policyHash
    chain.reverts(
        zk.retirePolicy(other_hash),
        stranger,
        "AccessControlUnauthorizedAccount",
        stranger,
        POLICY_ADMIN,
    )
    chain.tx(zk.retirePolicy(other_hash), system.admin)
    assert not zk.isPolicyActive(other_hash).call()
    chain.reverts(zk.getPolicy(other_hash), stranger, "ZKCredit__UnknownPolicy", other_hash)
    chain.reverts(zk.retirePolicy(other_hash), system.admin, "ZKCredit__UnknownPolicy", other_hash)


# ------------------------------------------------------------ applications


def test_verify_and_attest_records_tier_and_limit(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower
) -> None:
    wallet = chain.accounts[1]
    app = _app(lender, _proofs(chain, system, lender, borrower))
    request_hash = zkapp.keccak_abi(zkapp.APP_TYPE, app)
    receipt = chain.tx(system.zk.functions.verifyAndAttest(app), wallet)
    (event,) = chain.events(system.zk, "ApplicationVerified", receipt)
    t = lender.thresholds
    expected_limit = min(borrower.loan_amount, t.min_monthly_income * 6)  # tier 2
    assert event.args.requestHash == request_hash
    assert (event.args.wallet, event.args.tier, event.args.limit) == (wallet, 2, expected_limit)
    assert event.args.nullifier == borrower.nullifier
    att = system.credit.functions.getAttestation(request_hash).call()
    block_ts = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert tuple(att) == (
        wallet,
        borrower.nullifier,
        2,
        expected_limit,
        t.currency,
        block_ts + 30 * DAY,
        lender.policy_hash,
        request_hash,
        0,
    )
    assert system.credit.functions.hasValidAttestation(wallet).call()
    # Replay: the pseudonym already holds this active attestation.
    chain.reverts(system.zk.functions.verifyAndAttest(app), wallet, "ZKCredit__ActiveAttestation",
                  request_hash)


@pytest.mark.parametrize(
    ("score", "requested", "expected"), [(820, 10**12, 8), (700, 10**12, 4), (600, 10**12, 2)]
)
def test_limit_is_capped_by_tier_multiplier(
    chain: Chain,
    system: System,
    lender: Lender,
    borrower: zkapp.Borrower,
    score: int,
    requested: int,
    expected: int,
) -> None:
    borrower.score = score
    borrower.loan_amount = requested
    app = _app(lender, _proofs(chain, system, lender, borrower))
    receipt = chain.tx(system.zk.functions.verifyAndAttest(app), chain.accounts[1])
    (event,) = chain.events(system.zk, "ApplicationVerified", receipt)
    assert event.args.limit == lender.thresholds.min_monthly_income * expected


def test_yesterday_is_accepted(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower
) -> None:
    app = _app(lender, _proofs(chain, system, lender, borrower, day_offset=-1))
    chain.tx(system.zk.functions.verifyAndAttest(app), chain.accounts[1])


# (circuit, signal index) of every signal the policy pins, with its error args.
POLICY_SIGNALS = [
    ("income", 1), ("income", 2), ("income", 3),
    ("credit_history", 2), ("credit_history", 3), ("credit_history", 4), ("credit_history", 5),
    ("collateral", 2), ("collateral", 3), ("collateral", 5),
    ("identity", 4), ("identity", 5),
]  # fmt: skip


@pytest.mark.parametrize(("circuit", "index"), POLICY_SIGNALS)
def test_policy_signal_tamper(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower, circuit: str, index: int
) -> None:
    proofs = _proofs(chain, system, lender, borrower)
    tampered = _edit(proofs, circuit, index, proofs[circuit][1][index] + 1)
    circuit_id = zkapp.CIRCUITS.index(circuit) + 1
    chain.reverts(
        system.zk.functions.verifyAndAttest(_app(lender, tampered)),
        chain.accounts[1],
        "ZKCredit__PolicyMismatch",
        circuit_id,
        index,
    )


TAMPERS: list[tuple[str, str, int, Any, str, tuple[Any, ...]]] = [
    ("nullifier", "collateral", 0, lambda v: v + 1, "ZKCredit__NullifierMismatch", ()),
    ("scope", "identity", 8, lambda v: v + 1, "ZKCredit__ScopeMismatch", ()),
    ("scope income", "income", 7, lambda v: v + 1, "ZKCredit__ScopeMismatch", ()),
    ("wallet", "credit_history", 9, lambda v: v + 1, "ZKCredit__WalletMismatch", ()),
    ("tier 5", "credit_history", 1, lambda v: 5, "ZKCredit__TierNotApprovable", (5,)),
    ("tier 0", "credit_history", 1, lambda v: 0, "ZKCredit__TierNotApprovable", (0,)),
    ("loan 0", "collateral", 1, lambda v: 0, "ZKCredit__InvalidLoanAmount", ()),
    ("kyc level 0", "identity", 1, lambda v: 0, "ZKCredit__PolicyMismatch", (IDENTITY, 1)),
    ("tomorrow", "collateral", 4, lambda v: v + 1, "ZKCredit__StaleDate", ()),
    ("two days ago", "collateral", 4, lambda v: v - 2, "ZKCredit__StaleDate", ()),
    ("max uint", "collateral", 4, lambda v: 2**256 - 1, "ZKCredit__StaleDate", ()),
    ("month index", "income", 4, lambda v: v - 1, "ZKCredit__StaleDate", ()),
    ("yyyymmdd", "identity", 3, lambda v: v + 1, "ZKCredit__StaleDate", ()),
    ("income issuer", "income", 5, lambda v: v + 1, "ZKCredit__UntrustedIssuer", (INCOME,)),
    ("credit issuer", "credit_history", 7, lambda v: v + 1, "ZKCredit__UntrustedIssuer", (CREDIT,)),
    (
        "collateral issuer",
        "collateral",
        6,
        lambda v: v + 1,
        "ZKCredit__UntrustedIssuer",
        (COLLATERAL,),
    ),
    ("kyc issuer", "identity", 7, lambda v: v + 1, "ZKCredit__UntrustedIssuer", (IDENTITY,)),
    ("unknown root", "identity", 2, lambda v: v + 1, "ZKCredit__UnknownRoot", ()),
]


@pytest.mark.parametrize(
    ("case", "circuit", "index", "change", "error", "args"), TAMPERS, ids=[t[0] for t in TAMPERS]
)
def test_binding_date_and_trust_tamper(
    chain: Chain,
    system: System,
    lender: Lender,
    borrower: zkapp.Borrower,
    case: str,
    circuit: str,
    index: int,
    change: Any,
    error: str,
    args: tuple[Any, ...],
) -> None:
    proofs = _proofs(chain, system, lender, borrower)
    tampered = _edit(proofs, circuit, index, change(proofs[circuit][1][index]))
    chain.reverts(
        system.zk.functions.verifyAndAttest(_app(lender, tampered)), chain.accounts[1], error, *args
    )


def test_wrong_sender_and_unknown_policy(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower
) -> None:
    app = _app(lender, _proofs(chain, system, lender, borrower))
    chain.reverts(
        system.zk.functions.verifyAndAttest(app), chain.accounts[2], "ZKCredit__WalletMismatch"
    )
    unknown = (b"\x13" * 32, *app[1:])
    chain.reverts(
        system.zk.functions.verifyAndAttest(unknown),
        chain.accounts[1],
        "ZKCredit__UnknownPolicy",
        b"\x13" * 32,
    )


@pytest.mark.parametrize("circuit", [1, 2, 3, 4])
@pytest.mark.parametrize("revert", [False, True], ids=["returns false", "reverts"])
def test_failed_proof_is_invalid_proof(
    chain: Chain,
    system: System,
    lender: Lender,
    borrower: zkapp.Borrower,
    circuit: int,
    revert: bool,
) -> None:
    chain.tx(system.verifiers[circuit - 1].functions.setAnswer(False, revert), system.admin)
    app = _app(lender, _proofs(chain, system, lender, borrower))
    chain.reverts(
        system.zk.functions.verifyAndAttest(app),
        chain.accounts[1],
        "ZKCredit__InvalidProof",
        circuit,
    )


def test_root_revocation_and_age(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower
) -> None:
    admin = system.admin
    # A policy allowing only a 60-second-old root.
    strict = configure(chain, system, borrower, lender.thresholds, lender.root, max_root_age=60)
    proofs = _proofs(chain, system, lender, borrower)
    app = _app(strict, proofs)
    published = system.kyc.functions.rootTimestamp(lender.root).call()
    chain.travel_to(max(chain.now(), published) + 120)  # still the same UTC day
    chain.reverts(
        system.zk.functions.verifyAndAttest(app), chain.accounts[1], "ZKCredit__StaleRoot"
    )
    # Revoking the root makes it unknown under every policy.
    chain.tx(system.kyc.functions.revokeRoot(lender.root), admin)
    chain.reverts(
        system.zk.functions.verifyAndAttest(_app(lender, proofs)),
        chain.accounts[1],
        "ZKCredit__UnknownRoot",
    )
    # A new root (new tree) restores service; old proofs stay rejected.
    new_root = lender.root ^ 1
    chain.tx(system.kyc.functions.publishRoot(new_root), admin)
    fresh = _edit(proofs, "identity", 2, new_root)
    chain.tx(system.zk.functions.verifyAndAttest(_app(strict, fresh)), chain.accounts[1])
    lender.root = new_root


# --------------------------------------------------------- relayed submission


def _submission_sig(
    chain: Chain, system: System, wallet: str, submitter: str, request_hash: bytes, deadline: int
) -> bytes:
    domain = {
        "name": "ZKCreditVerifier",
        "version": "1",
        "chainId": chain.w3.eth.chain_id,
        "verifyingContract": system.zk.address,
    }
    msg = {"submitter": submitter, "requestHash": request_hash, "deadline": deadline}
    return chain.sign_typed(wallet, domain, SUBMISSION_TYPES, msg)


def test_relayed_submission_with_wallet_signature(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower
) -> None:
    wallet, relayer, other = chain.accounts[1], chain.accounts[3], chain.accounts[4]
    proofs = _proofs(chain, system, lender, borrower)
    app = _app(lender, proofs)
    request_hash = zkapp.keccak_abi(zkapp.APP_TYPE, app)
    deadline = chain.now() + 600
    zk = system.zk.functions
    sig = _submission_sig(chain, system, wallet, relayer, request_hash, deadline)
    chain.reverts(zk.verifyAndAttestFor(app, deadline, sig), other, "ZKCredit__InvalidSignature")
    forged = _submission_sig(chain, system, other, relayer, request_hash, deadline)
    chain.reverts(
        zk.verifyAndAttestFor(app, deadline, forged), relayer, "ZKCredit__InvalidSignature"
    )
    expired = chain.now() - 1
    old = _submission_sig(chain, system, wallet, relayer, request_hash, expired)
    chain.reverts(
        zk.verifyAndAttestFor(app, expired, old), relayer, "ZKCredit__SignatureExpired", expired
    )
    receipt = chain.tx(zk.verifyAndAttestFor(app, deadline, sig), relayer)
    (event,) = chain.events(system.zk, "ApplicationVerified", receipt)
    assert (event.args.wallet, event.args.submitter) == (wallet, relayer)
    assert system.credit.functions.getAttestation(request_hash).call()[0] == wallet


# ------------------------------------------------------ pause, roles, admin


def test_pause_blocks_applications(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower
) -> None:
    zk = system.zk.functions
    stranger = chain.accounts[9]
    chain.reverts(zk.pause(), stranger, "AccessControlUnauthorizedAccount", stranger, PAUSER)
    receipt = chain.tx(zk.pause(), system.admin)
    assert chain.events(system.zk, "Paused", receipt)
    app = _app(lender, _proofs(chain, system, lender, borrower))
    chain.reverts(zk.verifyAndAttest(app), chain.accounts[1], "EnforcedPause")
    chain.reverts(zk.verifyAndAttestFor(app, 0, b""), chain.accounts[1], "EnforcedPause")
    chain.reverts(zk.unpause(), stranger, "AccessControlUnauthorizedAccount", stranger, PAUSER)
    chain.tx(zk.unpause(), system.admin)
    chain.tx(zk.verifyAndAttest(app), chain.accounts[1])


def test_withdraw_attestation(
    chain: Chain, system: System, lender: Lender, borrower: zkapp.Borrower
) -> None:
    zk = system.zk.functions
    app = _app(lender, _proofs(chain, system, lender, borrower))
    request_hash = zkapp.keccak_abi(zkapp.APP_TYPE, app)
    chain.tx(zk.verifyAndAttest(app), chain.accounts[1])
    stranger = chain.accounts[9]
    chain.reverts(
        zk.withdrawAttestation(request_hash, "ipfs://why", b"\x01" * 32),
        stranger,
        "AccessControlUnauthorizedAccount",
        stranger,
        POLICY_ADMIN,
    )
    receipt = chain.tx(
        zk.withdrawAttestation(request_hash, "ipfs://why", b"\x01" * 32), system.admin
    )
    assert chain.events(system.zk, "AttestationWithdrawn", receipt)
    assert not system.credit.functions.isAttestationValid(request_hash).call()
    assert system.credit.functions.getValidationStatus(request_hash).call()[2] == 0


def test_admin_is_two_step(chain: Chain, system: System) -> None:
    zk = system.zk.functions
    assert zk.defaultAdmin().call() == system.admin
    assert zk.defaultAdminDelay().call() == ADMIN_DELAY
    chain.tx(zk.beginDefaultAdminTransfer(chain.accounts[8]), system.admin)
    pending = zk.pendingDefaultAdmin().call()
    assert pending[0] == chain.accounts[8]
    chain.reverts(
        zk.acceptDefaultAdminTransfer(), chain.accounts[8], "AccessControlEnforcedDefaultAdminDelay"
    )
    chain.tx(zk.cancelDefaultAdminTransfer(), system.admin)


def test_single_proof_interface(chain: Chain, system: System) -> None:
    zk = system.zk.functions
    sender = chain.accounts[0]
    proof = zkapp.DUMMY_PROOF
    chain.reverts(zk.verifyProof(0, proof, [0] * 9), sender, "ZKCredit__UnknownCircuit", 0)
    chain.reverts(zk.verifyProof(5, proof, [0] * 10), sender, "ZKCredit__UnknownCircuit", 5)
    chain.reverts(zk.verifyProof(1, proof, [0] * 10), sender, "ZKCredit__SignalCount", 1, 10)
    chain.reverts(zk.verifyProof(2, proof, [0] * 9), sender, "ZKCredit__SignalCount", 2, 9)
    assert zk.verifyProof(3, proof, [0] * 10).call() is True  # mock
    chain.tx(system.verifiers[2].functions.setAnswer(False, True), system.admin)
    assert zk.verifyProof(3, proof, [0] * 10).call() is False
    receipt = chain.tx(zk.checkProof(3, proof, [0] * 10), sender)
    (event,) = chain.events(system.zk, "ProofChecked", receipt)
    assert (event.args.circuit, event.args.valid) == (3, False)


def test_constructor_requires_contracts(chain: Chain, system: System) -> None:
    from .chain import artifact

    art = artifact("ZKCreditVerifier")
    factory = chain.w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    eoa = chain.accounts[7]
    args = [ADMIN_DELAY, system.admin, system.kyc.address, system.credit.address]
    mocks = [v.address for v in system.verifiers]
    chain.reverts(
        factory.constructor(*args, [eoa, *mocks[1:]], ZERO_ADDRESS),
        system.admin,
        "ZKCredit__NotAContract",
        eoa,
    )
    chain.reverts(
        factory.constructor(*args, mocks, eoa), system.admin, "ZKCredit__NotAContract", eoa
    )


def test_one_person_gets_one_active_attestation_per_lender_whatever_scope_or_wallet(
    chain: Chain, system: System, lender: Lender
) -> None:
    """Review F-1 (zk-2026-12): one identity with one set of credentials got three
    concurrent attestations for the full limit, with scopes 1, 2 and 3 and two
    wallets. Now the scope is derived from the lender, so the nullifier is one
    pseudonym per person per lender, and it holds one active attestation."""
    secret, derived = next(_people), zkapp.loan_scope(system, 0)
    verify = system.zk.functions.verifyAndAttest
    for scope, account in ((1, 1), (2, 1), (3, 2)):
        b = zkapp.Borrower(wallet=int(chain.accounts[account], 16), secret=secret, scope=scope)
        app = _app(lender, _proofs(chain, system, lender, b))
        chain.reverts(verify(app), chain.accounts[account], "ZKCredit__ScopeNotDerived",
                      scope, derived)  # fmt: skip
    first = zkapp.Borrower(wallet=int(chain.accounts[1], 16), secret=secret, scope=derived)
    app = _app(lender, _proofs(chain, system, lender, first))
    chain.tx(verify(app), chain.accounts[1])
    held = zkapp.keccak_abi(zkapp.APP_TYPE, app)
    other_wallet = zkapp.Borrower(wallet=int(chain.accounts[2], 16), secret=secret, scope=derived)
    again = _app(lender, _proofs(chain, system, lender, other_wallet))
    chain.reverts(verify(again), chain.accounts[2], "ZKCredit__ActiveAttestation", held)
    # Another lender (agent) derives another scope: the pseudonyms do not link.
    assert zkapp.loan_scope(system, 1) != derived


def test_the_python_scope_derivation_is_the_contracts(chain: Chain, system: System) -> None:
    """The remittance provider and the worker derive scopes in Python: the same function."""
    from zkredit.chain.scope import LOAN_SCOPE_DOMAIN, derived_scope

    registry = system.zk.functions.agentRegistry().call()
    assert registry == system.credit.functions.identityRegistry().call()
    for agent_id in (0, 1, 77, 2**128):
        assert derived_scope(LOAN_SCOPE_DOMAIN, chain.w3.eth.chain_id, registry, agent_id) == (
            zkapp.loan_scope(system, agent_id))
