"""F-5 and the tampered-credential message: the worker checks before it proves.

A lender that asks for a policy it never registered on chain (a raised
``minScore`` to probe a score) or for a date far from the worker's clock gets
no proof: the loan fails with a sentence naming the field, no prove job is
enqueued and nothing more is sent. On the old code both requests were proved.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.unit.agents.remittance.support import close_runtime, directory_of, make_runtime, wallets
from tests.unit.agents.worker.conftest import VAULT_KEY
from zkredit.agents.credit.service import policy_to_wire
from zkredit.agents.worker.guard import PolicyMismatch, check_date, check_policy
from zkredit.agents.worker.models import LoanApplicationRow
from zkredit.agents.worker.service import WorkerService
from zkredit.agents.worker.vault import Keyring
from zkredit.agents.worker.vaultstore import Vault
from zkredit.chain.policy import OnChainPolicy
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import SignatureError
from zkredit.scenarios import ISSUER_ROLES, demo_issuer
from zkredit.zk.credentials import Credential, CredentialType, SignedCredential, issue

REGISTERED = CreditPolicy.default_for("NGN")
CREDIT_SCOPE = 7_000_001  # what the chain derives for the lender "credit", in these tests
NOW = dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC)


def registered_only(policy_hash: bytes) -> bool:
    return policy_hash == OnChainPolicy(REGISTERED).hash


def test_the_registered_policy_at_todays_date_passes() -> None:
    check_policy(REGISTERED, "0x" + OnChainPolicy(REGISTERED).hash.hex(), registered_only,
                 counterparty="lender credit")
    check_date(NOW.date() - dt.timedelta(days=1), NOW, counterparty="lender credit")
    check_date(NOW.date() + dt.timedelta(days=1), NOW, counterparty="lender credit")


def test_a_raised_threshold_is_not_the_registered_policy() -> None:
    probing = dataclasses.replace(REGISTERED, min_score=REGISTERED.min_score + 37)
    expected = f"minScore {REGISTERED.min_score + 37}.*not an active policy registered"
    with pytest.raises(PolicyMismatch, match=expected):
        check_policy(probing, None, registered_only, counterparty="lender credit")


def test_thresholds_that_do_not_match_the_claimed_hash_are_refused() -> None:
    probing = dataclasses.replace(REGISTERED, min_score=REGISTERED.min_score + 37)
    claimed = "0x" + OnChainPolicy(REGISTERED).hash.hex()
    with pytest.raises(PolicyMismatch, match="but named the policy " + claimed):
        check_policy(probing, claimed, registered_only, counterparty="lender credit")


@pytest.mark.parametrize("days", [-2, 2, -400, 3650])
def test_a_date_away_from_the_workers_clock_is_refused(days: int) -> None:
    asked = NOW.date() + dt.timedelta(days=days)
    with pytest.raises(PolicyMismatch, match=f"dated {asked.isoformat()}, but today is 2026-12-07"):
        check_date(asked, NOW, counterparty="lender credit")


@dataclass
class ProbingLender:
    """A lender that asks for whatever policy and date it likes."""

    policy: CreditPolicy
    today: dt.date
    scope: int = CREDIT_SCOPE
    sent: list[str] = field(default_factory=list)

    def send(self, recipient: str, message_type: str, payload: Any, **_: Any) -> dict[str, Any]:
        self.sent.append(message_type)
        assert message_type == "credit.application.open", message_type
        return {"application_id": uuid.uuid4().hex, "scope": str(self.scope),
                "today": self.today.isoformat(), "policy": policy_to_wire(self.policy)}

    def close(self) -> None:
        return None


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[WorkerService]:
    accounts = wallets()
    runtime = make_runtime("worker", tmp_path, accounts["worker"], directory_of(accounts),
                           lambda agent: "http://nowhere")
    runtime.peers.close()

    def no_prover() -> None:
        raise AssertionError("the worker must not prove for this request")

    service = WorkerService(runtime, Vault(runtime.db, Keyring.from_settings(
        VAULT_KEY, development=False)), no_prover,  # type: ignore[arg-type]
        sign_submission=lambda *args: None, is_trusted_issuer=lambda *args: True,
        clock=lambda: NOW, is_policy_active=registered_only,
        lender_scope=lambda lender: CREDIT_SCOPE if lender == "credit" else None)
    service.register_jobs()  # never started: the test runs the job itself
    try:
        yield service
    finally:
        close_runtime(runtime)


def run_loan(service: WorkerService, lender: ProbingLender, *,
             refused: bool = True) -> dict[str, Any]:
    """Open one loan with ``lender``; a refused one enqueues no proving and sends no more."""
    service.runtime.peers = lender  # type: ignore[assignment]
    ident = service.create_identity("samuel")
    app_id = service.apply_for_loan(ident.id, "credit", 250_000_000, "NGN", 24, {})
    fanned: list[Any] = []
    service._fan_out = lambda *args: fanned.append(args)  # type: ignore[method-assign]
    result = service._job_loan_run({"application_id": app_id})
    if not refused:
        assert [kind for kind, *_ in fanned] == ["loan"]
        return {"result": result, **service.loan(app_id)}
    with service.runtime.db.session() as s:
        row = s.get(LoanApplicationRow, app_id)
        assert row is not None
        assert not row.proofs
    assert fanned == [], "prove jobs were enqueued"
    assert lender.sent == ["credit.application.open"], "something beyond the open was sent"
    return {"result": result, **service.loan(app_id)}


def test_a_lender_probing_with_a_raised_min_score_gets_no_proof(guarded: WorkerService) -> None:
    probing = dataclasses.replace(REGISTERED, min_score=REGISTERED.min_score + 20)
    loan = run_loan(guarded, ProbingLender(probing, NOW.date()))

    assert loan["status"] == "failed"
    assert f"minScore {REGISTERED.min_score + 20}" in loan["error"]
    assert "not an active policy" in loan["error"]
    assert loan["result"] == {"status": "failed"}


def test_the_registered_policy_today_goes_on_to_proving(guarded: WorkerService) -> None:
    loan = run_loan(guarded, ProbingLender(REGISTERED, NOW.date()), refused=False)

    assert loan["status"] == "proving"


def test_a_lender_asking_for_a_far_off_date_gets_no_proof(guarded: WorkerService) -> None:
    loan = run_loan(guarded, ProbingLender(REGISTERED, dt.date(2023, 12, 7)))

    assert loan["status"] == "failed"
    assert "dated 2023-12-07, but today is 2026-12-07" in loan["error"]


def kyc_credential(service: WorkerService) -> tuple[str, SignedCredential]:
    ident = service.create_identity("maria")
    kyc = CredentialType.KYC
    signed = issue(Credential.build(kyc, ident.commitment,
                                    {"birthDate": 19900602, "jurisdiction": 608, "kycLevel": 1}),
                   demo_issuer(ISSUER_ROLES[kyc]), "Demo KYC")
    return ident.id, signed


def test_a_tampered_credential_is_refused_naming_its_type_and_issuer_key(
    guarded: WorkerService,
) -> None:
    identity_id, signed = kyc_credential(guarded)
    data = signed.to_dict()
    data["attributes"]["birthDate"] = "19800602"  # ten years older than signed

    with pytest.raises(SignatureError) as refused:
        guarded.import_credential(identity_id, data)

    message = str(refused.value)
    assert message.startswith("the kyc credential's signature does not verify")
    assert signed.issuer_key_id in message and "(Demo KYC)" in message
    assert "altered after signing, or signed by another key" in message
    assert "assert failed" not in message and "ForceEqualIfEnabled" not in message
    assert guarded.import_credential(identity_id, signed.to_dict())["type"] == "kyc"


def test_a_lender_asking_for_a_scope_it_chose_gets_no_proof(guarded: WorkerService) -> None:
    """Review F-1: a scope the lender picks (another lender's, say) would let two
    lenders link the worker by its nullifier. Only the scope the verifier derives
    from the lender's agent id is proved under."""
    loan = run_loan(guarded, ProbingLender(REGISTERED, NOW.date(), scope=CREDIT_SCOPE + 1))

    assert loan["status"] == "failed"
    assert f"under scope {CREDIT_SCOPE + 1}" in loan["error"]
    assert f"derives for it is {CREDIT_SCOPE}" in loan["error"]
