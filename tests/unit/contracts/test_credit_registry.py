"""Credit registry: only the verifier writes; ERC-8004 validation semantics."""

from __future__ import annotations

from dataclasses import astuple, dataclass, replace

import pytest
from eth_abi import encode
from eth_utils import keccak

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


@pytest.fixture(scope="module")
def registry(chain: Chain, system: System) -> tuple[object, str]:
    """A credit registry whose verifier is a plain account, to drive it directly."""
    reg = chain.deploy("ERC8004CreditRegistry", ADMIN_DELAY, system.admin, system.identity.address)
    writer = chain.accounts[5]
    chain.tx(reg.functions.setVerifier(writer), system.admin)
    return reg, writer


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


def test_only_the_verifier_records(
    chain: Chain, system: System, registry: tuple[object, str]
) -> None:
    reg, _ = registry
    stranger = chain.accounts[9]
    att = _att(chain, 0)
    chain.reverts(
        reg.functions.recordAttestation(astuple(att)),
        stranger,
        "CreditRegistry__NotVerifier",
        stranger,
    )
    # The deployed system's registry only accepts the ZKCreditVerifier.
    chain.reverts(
        system.credit.functions.recordAttestation(astuple(att)),
        system.admin,
        "CreditRegistry__NotVerifier",
        system.admin,
    )
    assert system.credit.functions.verifier().call() == system.zk.address


def test_set_verifier_admin_only(
    chain: Chain, registry: tuple[object, str], system: System
) -> None:
    reg, writer = registry
    stranger = chain.accounts[9]
    chain.reverts(
        reg.functions.setVerifier(stranger),
        stranger,
        "AccessControlUnauthorizedAccount",
        stranger,
        DEFAULT_ADMIN,
    )
    chain.reverts(
        reg.functions.setVerifier("0x" + "00" * 20), system.admin, "CreditRegistry__ZeroAddress"
    )
    receipt = chain.tx(reg.functions.setVerifier(writer), system.admin)
    (event,) = chain.events(reg, "VerifierUpdated", receipt)
    assert event.args.newVerifier == writer


def test_record_and_read_attestation(chain: Chain, registry: tuple[object, str]) -> None:
    reg, writer = registry
    att = _att(chain, 1)
    receipt = chain.tx(reg.functions.recordAttestation(astuple(att)), writer)
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
        ({"nullifier": 10_001}, "CreditRegistry__NullifierUsed"),
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
    chain: Chain, registry: tuple[object, str], change: dict[str, object], error: str
) -> None:
    reg, writer = registry
    chain.reverts(reg.functions.recordAttestation(astuple(_att(chain, 2, **change))), writer, error)


def test_validation_request_then_attestation_keeps_agent(
    chain: Chain, system: System, registry: tuple[object, str]
) -> None:
    reg, writer = registry
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

    chain.tx(f.recordAttestation(astuple(att)), writer)
    assert f.getValidationStatus(att.proofsHash).call()[:3] == [writer, agent_id, 100]
    assert f.getAgentValidations(agent_id).call() == [att.proofsHash]
    assert f.getSummary(agent_id, [], "").call() == [1, 100]
    assert f.getSummary(agent_id, [stranger], "").call() == [0, 0]
    assert f.getSummary(agent_id, [], "zkcredit").call() == [1, 100]

    # An attestation naming an agent without a prior request is linked too.
    direct = _att(chain, 4, agentId=agent_id)
    chain.tx(f.recordAttestation(astuple(direct)), writer)
    assert f.getAgentValidations(agent_id).call() == [att.proofsHash, direct.proofsHash]
    chain.reverts(
        f.recordAttestation(astuple(_att(chain, 5, agentId=10**9))),
        writer,
        "CreditRegistry__UnknownAgent",
        10**9,
    )


def test_validator_can_withdraw_and_attestations_expire(
    chain: Chain, registry: tuple[object, str]
) -> None:
    reg, writer = registry
    f = reg.functions
    att = _att(chain, 6, subject=chain.accounts[4], expiry=chain.now() + DAY)
    chain.tx(f.recordAttestation(astuple(att)), writer)
    assert f.isAttestationValid(att.proofsHash).call()
    chain.reverts(
        f.validationResponse(att.proofsHash, 0, "", b"\x00" * 32, ""),
        chain.accounts[9],
        "CreditRegistry__NotValidator",
    )
    chain.reverts(
        f.validationResponse(att.proofsHash, 101, "", b"\x00" * 32, ""),
        writer,
        "CreditRegistry__InvalidResponse",
        101,
    )
    chain.reverts(
        f.validationResponse(b"\x99" * 32, 0, "", b"\x00" * 32, ""),
        writer,
        "CreditRegistry__UnknownRequest",
    )
    receipt = chain.tx(
        f.validationResponse(att.proofsHash, 0, "ipfs://why", b"\x07" * 32, "withdrawn"), writer
    )
    (event,) = chain.events(reg, "ValidationResponse", receipt)
    assert (event.args.response, event.args.tag) == (0, "withdrawn")
    assert not f.isAttestationValid(att.proofsHash).call()
    assert not f.hasValidAttestation(att.subject).call()
    assert f.getValidationStatus(att.proofsHash).call()[2:5] == [0, b"\x07" * 32, "withdrawn"]
    assert f.isNullifierUsed(att.nullifier).call()  # withdrawal never frees a nullifier

    fresh = _att(chain, 7, subject=chain.accounts[6], expiry=chain.now() + DAY)
    chain.tx(f.recordAttestation(astuple(fresh)), writer)
    assert f.hasValidAttestation(fresh.subject).call()
    chain.travel_to(fresh.expiry + 1)
    chain.tx(f.setVerifier(writer), chain.accounts[0])  # mine a block after the jump
    assert not f.isAttestationValid(fresh.proofsHash).call()
    assert not f.hasValidAttestation(fresh.subject).call()
