"""L-3: bulk invalidation by epoch, per policy, per issuer key and per KYC root.

Revoking a key or a root, or retiring a policy, stops new attestations only. These
epochs make every attestation recorded until now on the strength of one policy, one
issuer key or one KYC root invalid in one transaction, and leave the others alone
(review contracts-2026-12, L-3). Mock Groth16 verifiers: no pairings.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from . import zkapp
from .chain import Chain, System, role
from .scenario import Lender, configure, dates_at, noon_of_next_day

_people = itertools.count(7000)  # identity secrets: a fresh person each
POLICY_ADMIN = role("POLICY_ADMIN_ROLE")
ISSUER_ADMIN = role("ISSUER_ADMIN_ROLE")
OTHER_INCOME_KEY = zkapp.Issuer("bulk-invalidation-other-employer").pub


@pytest.fixture(scope="module")
def lender(chain: Chain, system: System) -> Lender:
    noon_of_next_day(chain)
    b = zkapp.Borrower(wallet=int(chain.accounts[1], 16))
    root, _, _ = zkapp.merkle_single_leaf(b.subject)
    lender = configure(chain, system, b, zkapp.Thresholds(), root)
    chain.tx(system.kyc.functions.addIssuer(1, *OTHER_INCOME_KEY), system.admin)
    chain.tx(system.kyc.functions.publishRoot(root ^ 1), system.admin)
    return lender


def _attest(chain: Chain, system: System, lender: Lender, *, income_key: Any = None,
            root: int | None = None) -> bytes:  # fmt: skip
    """Record one application (a fresh person) and return its request hash."""
    b = zkapp.Borrower(wallet=int(chain.accounts[1], 16), secret=next(_people),
                       scope=zkapp.loan_scope(system, 0))
    proofs = zkapp.fake_proofs(b, lender.thresholds, dates_at(system, chain.now()))
    out = {k: (p, list(s)) for k, (p, s) in proofs.items()}
    out["identity"][1][2] = lender.root if root is None else root
    if income_key is not None:
        out["income"][1][5:7] = list(income_key)
    app = zkapp.application(lender.policy_hash, out)
    chain.tx(system.zk.functions.verifyAndAttest(app), chain.accounts[1])
    chain.travel_to(chain.now() + 10)  # the next epoch falls strictly after this one
    return zkapp.keccak_abi(zkapp.APP_TYPE, app)


def _valid(system: System, request_hash: bytes) -> bool:
    return bool(system.credit.functions.isAttestationValid(request_hash).call())


def test_policy_epoch(chain: Chain, system: System, lender: Lender) -> None:
    zk, stranger = system.zk.functions, chain.accounts[9]
    before = [_attest(chain, system, lender) for _ in range(2)]
    assert all(_valid(system, h) for h in before)
    chain.reverts(zk.invalidatePolicyAttestations(lender.policy_hash), stranger,
                  "AccessControlUnauthorizedAccount", stranger, POLICY_ADMIN)  # fmt: skip
    receipt = chain.tx(zk.invalidatePolicyAttestations(lender.policy_hash), system.admin)
    (event,) = chain.events(system.zk, "PolicyAttestationsInvalidated", receipt)
    assert event.args.policyHash == lender.policy_hash
    assert zk.policyAttestationsInvalidatedAt(lender.policy_hash).call() == event.args.before
    assert not any(_valid(system, h) for h in before)
    assert not system.credit.functions.hasValidAttestation(chain.accounts[1]).call()
    later = _attest(chain, system, lender)  # the policy is still active: new ones count
    assert _valid(system, later)


def test_issuer_key_epoch(chain: Chain, system: System, lender: Lender) -> None:
    kyc, stranger = system.kyc.functions, chain.accounts[9]
    ax, ay = lender_income_key = zkapp.Issuer("zkredit-test-issuer-income").pub
    hit = _attest(chain, system, lender)
    spared = _attest(chain, system, lender, income_key=OTHER_INCOME_KEY)
    chain.reverts(kyc.invalidateIssuerAttestations(1, ax, ay), stranger,
                  "AccessControlUnauthorizedAccount", stranger, ISSUER_ADMIN)  # fmt: skip
    chain.reverts(kyc.invalidateIssuerAttestations(2, ax, ay), system.admin,
                  "KYCRegistry__UnknownIssuer", 2, ax, ay)  # fmt: skip
    receipt = chain.tx(kyc.invalidateIssuerAttestations(1, *lender_income_key), system.admin)
    (event,) = chain.events(system.kyc, "IssuerAttestationsInvalidated", receipt)
    assert event.args.credType == 1
    assert kyc.issuerAttestationsInvalidatedAt(1, ax, ay).call() == event.args.before
    assert not _valid(system, hit)
    assert _valid(system, spared)  # another income key: untouched


def test_kyc_root_epoch(chain: Chain, system: System, lender: Lender) -> None:
    kyc, stranger = system.kyc.functions, chain.accounts[9]
    hit = _attest(chain, system, lender)
    spared = _attest(chain, system, lender, root=lender.root ^ 1)
    chain.reverts(kyc.invalidateRootAttestations(lender.root), stranger,
                  "AccessControlUnauthorizedAccount", stranger, ISSUER_ADMIN)  # fmt: skip
    chain.reverts(kyc.invalidateRootAttestations(424242), system.admin,
                  "KYCRegistry__UnknownRoot", 424242)  # fmt: skip
    receipt = chain.tx(kyc.invalidateRootAttestations(lender.root), system.admin)
    (event,) = chain.events(system.kyc, "RootAttestationsInvalidated", receipt)
    assert (event.args.root, event.args.invalidatedBy) == (lender.root, system.admin)
    assert kyc.rootAttestationsInvalidatedAt(lender.root).call() == event.args.before
    assert not _valid(system, hit)
    assert _valid(system, spared)  # another root: untouched
    assert _valid(system, _attest(chain, system, lender))  # the root is not revoked


def test_an_attestation_the_verifier_never_made_is_not_current(
    system: System, lender: Lender
) -> None:
    current = system.zk.functions.isAttestationCurrent(b"\x05" * 32, lender.policy_hash)
    assert current.call() is False
