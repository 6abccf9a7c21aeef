"""Credit registry: only the verifier writes; ERC-8004 validation semantics."""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace

import pytest
from eth_abi import encode
from eth_utils import keccak
from web3.contract import Contract
from web3.types import TxReceipt

from .chain import ADMIN_DELAY, DAY, Chain, System

DEFAULT_ADMIN = b"\x00" * 32
TUPLE = "(address,uint256,uint8,uint256,uint16,uint64,bytes32,bytes32,uint256)"


@dataclass(frozen=True)
class Att:
    subject: str
    nullifier: int
    tier: int
    limit: int
    currency: int
    expiry: int
    policyHash: bytes
    proofsHash: bytes
    agentId: int = 0

    def hash(self) -> bytes:
        return keccak(encode([TUPLE], [astuple(self)]))


WRITER_MOCK = "test/AttestationWriterMock"


@dataclass(frozen=True)
class Driven:
    """A credit registry whose verifier is a test double that forwards any attestation."""

    reg: Contract
    writer: Contract
    admin: str

    def record(self, chain: Chain, att: Att, sender: str | None = None) -> TxReceipt:
        return chain.tx(self.writer.functions.record(astuple(att)), sender or self.admin)

    def respond(self, chain: Chain, request_hash: bytes, response: int, uri: str = "",
                response_hash: bytes = b"\x00" * 32, tag: str = "") -> TxReceipt:
        fn = self.writer.functions.respond(request_hash, response, uri, response_hash, tag)
        return chain.tx(fn, self.admin)


def driven_registry(chain: Chain, system: System, delay: int = 0) -> Driven:
    reg = chain.deploy(
        "ERC8004CreditRegistry", ADMIN_DELAY, system.admin, system.identity.address, delay
    )
    writer = chain.deploy(WRITER_MOCK, reg.address)
    chain.tx(reg.functions.proposeVerifier(writer.address), system.admin)
    chain.tx(reg.functions.acceptVerifier(), system.admin)
    return Driven(reg, writer, system.admin)


@pytest.fixture(scope="module")
def registry(chain: Chain, system: System) -> Driven:
    return driven_registry(chain, system)


def _att(chain: Chain, n: int, **kw: object) -> Att:
    base = Att(
        subject=chain.accounts[1],
        nullifier=10_000 + n,
        tier=2,
        limit=250_000_000,
        currency=566,
        expiry=chain.now() + 30 * DAY,
        policyHash=b"\x01" * 32,
        proofsHash=keccak(text=f"application {n}"),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def test_only_the_verifier_records(chain: Chain, system: System, registry: Driven) -> None:
    reg = registry.reg
    stranger = chain.accounts[9]
    att = _att(chain, 0)
    chain.reverts(
        reg.functions.recordAttestation(astuple(att), stranger),
        stranger,
        "CreditRegistry__NotVerifier",
        stranger,
    )
    # The deployed system's registry only accepts the ZKCreditVerifier.
    chain.reverts(
        system.credit.functions.recordAttestation(astuple(att), system.admin),
        system.admin,
        "CreditRegistry__NotVerifier",
        system.admin,
    )
    assert system.credit.functions.verifier().call() == system.zk.address


def test_repoint_is_admin_only_two_step_and_wired(
    chain: Chain, registry: Driven, system: System
) -> None:
    reg, f = registry.reg, registry.reg.functions
    admin, stranger = system.admin, chain.accounts[9]
    for fn in (f.proposeVerifier(stranger), f.acceptVerifier(), f.cancelVerifierProposal()):
        chain.reverts(fn, stranger, "AccessControlUnauthorizedAccount", stranger, DEFAULT_ADMIN)
    zero = "0x" + "00" * 20
    chain.reverts(f.proposeVerifier(zero), admin, "CreditRegistry__ZeroAddress")
    chain.reverts(f.proposeVerifier(stranger), admin, "CreditRegistry__NotAContract", stranger)
    # A contract wired to another registry (the deployed system's verifier), or to none.
    chain.reverts(f.proposeVerifier(system.zk.address), admin,
                  "CreditRegistry__VerifierNotWired", system.zk.address)  # fmt: skip
    chain.reverts(f.proposeVerifier(system.identity.address), admin,
                  "CreditRegistry__VerifierNotWired", system.identity.address)  # fmt: skip
    writer = registry.writer.address
    chain.reverts(f.proposeVerifier(writer), admin, "CreditRegistry__AlreadyVerifier", writer)
    chain.reverts(f.acceptVerifier(), admin, "CreditRegistry__NoPendingVerifier")

    other = chain.deploy(WRITER_MOCK, reg.address)
    receipt = chain.tx(f.proposeVerifier(other.address), admin)
    (proposed,) = chain.events(reg, "VerifierProposed", receipt)
    assert proposed.args.proposed == other.address
    assert f.pendingVerifier().call() == [other.address, proposed.args.readyAt]
    receipt = chain.tx(f.cancelVerifierProposal(), admin)
    assert chain.events(reg, "VerifierProposalCancelled", receipt)
    assert f.pendingVerifier().call() == [zero, 0]
    assert f.verifier().call() == writer

    # With a zero delay (this registry) the proposal is acceptable at once.
    chain.tx(f.proposeVerifier(other.address), admin)
    receipt = chain.tx(f.acceptVerifier(), admin)
    (event,) = chain.events(reg, "VerifierUpdated", receipt)
    assert (event.args.previousVerifier, event.args.newVerifier) == (writer, other.address)
    chain.tx(f.proposeVerifier(writer), admin)
    chain.tx(f.acceptVerifier(), admin)
    assert f.verifier().call() == writer


def test_record_and_read_attestation(chain: Chain, registry: Driven) -> None:
    reg, writer = registry.reg, registry.writer.address
    att = _att(chain, 1)
    receipt = registry.record(chain, att)
    (recorded,) = chain.events(reg, "AttestationRecorded", receipt)
    assert recorded.args.requestHash == att.proofsHash and recorded.args.limit == att.limit
    (response,) = chain.events(reg, "ValidationResponse", receipt)
    assert (response.args.response, response.args.tag, response.args.responseHash) == (
        100,
        "zkcredit",
        att.hash(),
    )
    f = reg.functions
    assert tuple(f.getAttestation(att.proofsHash).call()) == astuple(att)
    assert f.isNullifierUsed(att.nullifier).call()
    assert f.requestOfNullifier(att.nullifier).call() == att.proofsHash
    assert f.latestRequestOf(att.subject).call() == att.proofsHash
    assert f.isAttestationValid(att.proofsHash).call()
    assert f.hasValidAttestation(att.subject).call()
    status = f.getValidationStatus(att.proofsHash).call()
    block_ts = chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert status == [writer, 0, 100, att.hash(), "zkcredit", block_ts]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"nullifier": 10_001}, "CreditRegistry__ActiveAttestation"),
        ({"tier": 0}, "CreditRegistry__InvalidAttestation"),
        ({"tier": 5}, "CreditRegistry__InvalidAttestation"),
        ({"subject": "0x" + "00" * 20}, "CreditRegistry__InvalidAttestation"),
        ({"proofsHash": b"\x00" * 32}, "CreditRegistry__InvalidAttestation"),
        ({"limit": 2**128}, "CreditRegistry__InvalidAttestation"),
        ({"expiry": 1}, "CreditRegistry__InvalidAttestation"),
        (
            {"proofsHash": keccak(text="application 1"), "nullifier": 77},
            "CreditRegistry__RequestExists",
        ),
    ],
)
def test_record_rejects(
    chain: Chain, registry: Driven, change: dict[str, object], error: str
) -> None:
    att = _att(chain, 2, **change)
    chain.reverts(registry.writer.functions.record(astuple(att)), registry.admin, error)


def test_validation_request_then_attestation_keeps_agent(
    chain: Chain, system: System, registry: Driven
) -> None:
    reg, writer = registry.reg, registry.writer.address
    owner, stranger = chain.accounts[3], chain.accounts[9]
    receipt = chain.tx(system.identity.get_function_by_signature("register()")(), owner)
    agent_id = int(chain.events(system.identity, "Registered", receipt)[0].args.agentId)
    att = _att(chain, 3, agentId=agent_id)
    f = reg.functions
    chain.reverts(
        f.validationRequest(writer, agent_id, "ipfs://app", att.proofsHash),
        stranger,
        "CreditRegistry__NotAgentOperator",
        agent_id,
        stranger,
    )
    chain.reverts(
        f.validationRequest(stranger, agent_id, "ipfs://app", att.proofsHash),
        owner,
        "CreditRegistry__UnsupportedValidator",
        stranger,
    )
    receipt = chain.tx(f.validationRequest(writer, agent_id, "ipfs://app", att.proofsHash), owner)
    (event,) = chain.events(reg, "ValidationRequest", receipt)
    assert (event.args.validatorAddress, event.args.agentId, event.args.requestURI) == (
        writer,
        agent_id,
        "ipfs://app",
    )
    chain.reverts(
        f.validationRequest(writer, agent_id, "ipfs://app", att.proofsHash),
        owner,
        "CreditRegistry__RequestExists",
    )
    pending = f.getValidationStatus(att.proofsHash).call()
    assert pending[:3] == [writer, agent_id, 0]

    registry.record(chain, att)
    assert f.getValidationStatus(att.proofsHash).call()[:3] == [writer, agent_id, 100]
    assert f.getAgentValidations(agent_id).call() == [att.proofsHash]
    assert f.getSummary(agent_id, [], "").call() == [1, 100]
    assert f.getSummary(agent_id, [stranger], "").call() == [0, 0]
    assert f.getSummary(agent_id, [], "zkcredit").call() == [1, 100]

    # Without a prior request, only a submitter acting for the agent can name it; the
    # registry then logs the request itself.
    direct = _att(chain, 4, agentId=agent_id)
    chain.reverts(registry.writer.functions.record(astuple(direct)), stranger,
                  "CreditRegistry__NotAgentOperator", agent_id, stranger)  # fmt: skip
    receipt = registry.record(chain, direct, sender=owner)
    (logged,) = chain.events(reg, "ValidationRequest", receipt)
    assert (logged.args.validatorAddress, logged.args.agentId, logged.args.requestHash) == (
        writer, agent_id, direct.proofsHash)  # fmt: skip
    assert f.getAgentValidations(agent_id).call() == [att.proofsHash, direct.proofsHash]
    assert f.getValidatorRequests(writer).call() == [att.proofsHash, direct.proofsHash]
    assert f.getValidatorRequests(stranger).call() == []
    assert f.getIdentityRegistry().call() == system.identity.address
    chain.reverts(
        registry.writer.functions.record(astuple(_att(chain, 5, agentId=10**9))),
        registry.admin,
        "CreditRegistry__UnknownAgent",
        10**9,
    )


def test_validator_can_withdraw_and_attestations_expire(chain: Chain, registry: Driven) -> None:
    reg = registry.reg
    f = reg.functions
    att = _att(chain, 6, subject=chain.accounts[4], expiry=chain.now() + DAY)
    registry.record(chain, att)
    assert f.isAttestationValid(att.proofsHash).call()
    chain.reverts(
        f.validationResponse(att.proofsHash, 0, "", b"\x00" * 32, ""),
        chain.accounts[9],
        "CreditRegistry__NotValidator",
    )
    respond = registry.writer.functions.respond
    chain.reverts(
        respond(att.proofsHash, 101, "", b"\x00" * 32, ""),
        registry.admin,
        "CreditRegistry__InvalidResponse",
        101,
    )
    chain.reverts(
        respond(b"\x99" * 32, 0, "", b"\x00" * 32, ""),
        registry.admin,
        "CreditRegistry__UnknownRequest",
    )
    receipt = registry.respond(chain, att.proofsHash, 0, "ipfs://why", b"\x07" * 32, "withdrawn")
    (event,) = chain.events(reg, "ValidationResponse", receipt)
    assert (event.args.response, event.args.tag) == (0, "withdrawn")
    assert not f.isAttestationValid(att.proofsHash).call()
    assert not f.hasValidAttestation(att.subject).call()
    assert f.getValidationStatus(att.proofsHash).call()[2:5] == [0, b"\x07" * 32, "withdrawn"]
    assert f.isNullifierUsed(att.nullifier).call()  # withdrawal never frees a nullifier

    fresh = _att(chain, 7, subject=chain.accounts[6], expiry=chain.now() + DAY)
    registry.record(chain, fresh)
    assert f.hasValidAttestation(fresh.subject).call()
    chain.travel_to(fresh.expiry + 1)
    chain.tx(f.grantRole(b"\x01" * 32, chain.accounts[9]), registry.admin)  # mine a block
    assert not f.isAttestationValid(fresh.proofsHash).call()
    assert not f.hasValidAttestation(fresh.subject).call()


def test_a_pseudonym_holds_one_active_attestation_until_released_withdrawn_or_expired(
    chain: Chain, system: System, registry: Driven
) -> None:
    """Review F-1: one person, one active attestation per lender. The nullifier is the
    person's pseudonym with the lender (the verifier derives the scope from the agent);
    a second attestation waits until the first is released, withdrawn or expired."""
    reg, f = registry.reg, registry.reg.functions
    owner, stranger = chain.accounts[3], chain.accounts[9]
    receipt = chain.tx(system.identity.get_function_by_signature("register()")(), owner)
    agent_id = int(chain.events(system.identity, "Registered", receipt)[0].args.agentId)
    first = _att(chain, 40, nullifier=4_040, agentId=agent_id, subject=owner)
    chain.tx(registry.writer.functions.record(astuple(first)), owner)
    assert f.activeRequestOf(first.nullifier).call() == first.proofsHash

    # A second bundle of the same pseudonym (another wallet, another application).
    second = _att(chain, 41, nullifier=4_040, agentId=agent_id, subject=chain.accounts[4])
    record = registry.writer.functions.record
    chain.reverts(record(astuple(second)), owner, "CreditRegistry__ActiveAttestation",
                  first.nullifier, first.proofsHash)  # fmt: skip

    # Only the lender agent may release it (its loan was repaid).
    chain.reverts(f.releaseAttestation(first.proofsHash, b"\x00" * 32), stranger,
                  "CreditRegistry__NotAgentOperator", agent_id, stranger)  # fmt: skip
    receipt = chain.tx(f.releaseAttestation(first.proofsHash, keccak(text="repaid")), owner)
    (released,) = chain.events(reg, "AttestationReleased", receipt)
    assert (released.args.requestHash, released.args.agentId) == (first.proofsHash, agent_id)
    assert not f.isAttestationValid(first.proofsHash).call()
    assert f.activeRequestOf(first.nullifier).call() == b"\x00" * 32
    chain.tx(registry.writer.functions.record(astuple(second)), owner)
    assert f.activeRequestOf(second.nullifier).call() == second.proofsHash

    # A withdrawn attestation (validation response 0) frees the pseudonym too.
    chain.tx(registry.writer.functions.respond(second.proofsHash, 0, "", b"\x00" * 32,
                                               "withdrawn"), owner)  # fmt: skip
    third = _att(chain, 42, nullifier=4_040, expiry=chain.now() + 60)
    chain.tx(registry.writer.functions.record(astuple(third)), owner)
    # And so does expiry.
    chain.travel_to(chain.now() + 61)
    assert f.activeRequestOf(third.nullifier).call() == b"\x00" * 32
    fourth = _att(chain, 43, nullifier=4_040)
    chain.tx(registry.writer.functions.record(astuple(fourth)), owner)
    assert f.isNullifierUsed(fourth.nullifier).call()
    # The released first bundle, replayed, is refused while the pseudonym is held again.
    chain.reverts(record(astuple(first)), owner, "CreditRegistry__ActiveAttestation",
                  fourth.nullifier, fourth.proofsHash)  # fmt: skip
