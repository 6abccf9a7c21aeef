"""The identity-proof check: one valid proof, then each corruption and the refusal it earns."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from eth_account import Account

from tests.unit.agents.remittance.support import MARIA, KycWorld, mutated, utcnow
from zkredit.agents.remittance.identity import SIGNALS, IdentityChecker, parse_identity_proof
from zkredit.agents.remittance.trust import JsonTrustView
from zkredit.errors import ConfigurationError, InputError
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.prover import Groth16pyBackend

SCOPE = str(0xC0FFEE << 100)
WALLET = Account.from_key(b"\x07" * 32).address
NOW = utcnow()


@pytest.fixture(scope="module")
def proof(identity_prover: Groth16pyBackend, world: KycWorld) -> dict[str, Any]:
    return world.prove(identity_prover, MARIA.name, SCOPE, WALLET)


def checker(
    prover: Groth16pyBackend, world: KycWorld, published: dt.datetime = NOW, **overrides: Any
) -> IdentityChecker:
    config = {**world.trust_config(int(published.timestamp())), **overrides}
    return IdentityChecker(prover, JsonTrustView.from_config(config))


def test_the_signal_names_match_the_circuit_manifest(catalog: CircuitCatalog) -> None:
    assert tuple(catalog.get("identity").public) == SIGNALS


@pytest.mark.slow
def test_a_valid_proof_passes(
    identity_prover: Groth16pyBackend, world: KycWorld, proof: dict[str, Any]
) -> None:
    check = checker(identity_prover, world).check(proof, scope=int(SCOPE), wallet=WALLET, now=NOW)
    assert check.ok and check.signals is not None
    assert check.signals.level == MARIA.kyc_level and check.signals.min_age_years == 18


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(SIGNALS)), ids=SIGNALS)
def test_every_mutated_public_signal_is_refused(
    identity_prover: Groth16pyBackend, world: KycWorld, proof: dict[str, Any], index: int
) -> None:
    check = checker(identity_prover, world).check(
        mutated(proof, index), scope=int(SCOPE), wallet=WALLET, now=NOW
    )
    assert check.failures == (
        "the identity proof does not verify against the identity circuit's key",
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("context", "trust", "message"),
    [
        ({"scope": int(SCOPE) + 1}, {}, "made for another quote"),
        ({"wallet": Account.from_key(b"\x08" * 32).address}, {}, "bound to another wallet"),
        ({}, {"issuers": []}, "issuer is not trusted"),
        ({}, {"kyc_roots": []}, "KYC root is unknown or revoked"),
        ({}, {"published": NOW - dt.timedelta(days=31)}, "older than 30 days"),
        ({"now": NOW + dt.timedelta(days=2)}, {}, "the identity proof is dated"),
        ({}, {"denied_jurisdictions": [408, 0, 0, 0, 0, 0, 0, 0]}, "another jurisdiction deny-set"),
    ],
)
def test_each_public_signal_must_fit_the_quote_and_the_trust_inputs(
    identity_prover: Groth16pyBackend,
    world: KycWorld,
    proof: dict[str, Any],
    context: dict[str, Any],
    trust: dict[str, Any],
    message: str,
) -> None:
    args: dict[str, Any] = {"scope": int(SCOPE), "wallet": WALLET, "now": NOW, **context}
    check = checker(identity_prover, world, **trust).check(proof, **args)
    assert len(check.failures) == 1 and message in check.failures[0]


def test_a_revoked_root_is_not_known() -> None:
    view = JsonTrustView.from_config(
        {"kyc_roots": [{"root": "5", "published_at": 1, "revoked": True}]}
    )
    assert view.root_published_at(5) is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"issuers": [{"ax": "x", "ay": "1"}]}, r"issuers\[0\].ax"),
        ({"denied_jurisdictions": [1, 2]}, "8 slots"),
        ({"kyc_roots": [{"root": "1"}]}, "published_at"),
    ],
)
def test_a_malformed_trust_config_names_the_field(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        JsonTrustView.from_config(config)


@pytest.mark.parametrize(
    "wire",
    [
        {},
        {"proof": {}, "public": ["1"] * 9},
        {"proof": [], "public": ["1"] * 10},
        {"proof": {"pi_a": ["x"]}, "public": ["1"] * 10},
    ],
)
def test_a_malformed_proof_is_a_bad_request(wire: dict[str, Any]) -> None:
    with pytest.raises(InputError):
        parse_identity_proof(wire)
