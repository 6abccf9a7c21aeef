"""Checking a sender's identity (KYC) proof against a quote and the trust inputs.

A proof is accepted when it verifies against the identity circuit's verification
key and its public signals say what this transfer needs: the quote's scope, the
sender's wallet, a trusted KYC issuer, a known and recent KYC root, today's date
(or yesterday's, for a proof made just before midnight UTC), an age threshold of
at least 18 and the configured jurisdiction deny-set. Nullifier replay is checked
by the caller, against the nullifiers it has stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from zkredit.agents.remittance.metrics import RemittanceMetrics
from zkredit.agents.remittance.trust import KYC_CREDENTIAL_TYPE, TrustView
from zkredit.errors import EncodingError, InputError
from zkredit.zk.proof import Proof
from zkredit.zk.statements import ymd

CIRCUIT = "identity"
SIGNALS = (
    "nullifier",
    "level",
    "kycRoot",
    "todayYmd",
    "minAgeYears",
    "denyListHash",
    "issuerAx",
    "issuerAy",
    "scope",
    "wallet",
)
"""The identity circuit's public signals, in ``circuits/circuits.json`` order."""
MIN_AGE_YEARS = 18
MAX_ROOT_AGE = dt.timedelta(days=30)


class ProofVerifier(Protocol):
    """Verifies a Groth16 proof against its circuit's verification key."""

    def verify(self, proof: Proof) -> bool: ...


@dataclass(frozen=True)
class IdentitySignals:
    """The public signals of an identity proof, by name."""

    nullifier: int
    level: int
    kyc_root: int
    today_ymd: int
    min_age_years: int
    deny_list_hash: int
    issuer_ax: int
    issuer_ay: int
    scope: int
    wallet: int

    @classmethod
    def of(cls, public: Sequence[int]) -> IdentitySignals:
        if len(public) != len(SIGNALS):
            raise InputError(
                f"an identity proof has {len(SIGNALS)} public signals "
                f"({', '.join(SIGNALS)}). Got {len(public)}"
            )
        return cls(*public)


@dataclass(frozen=True)
class IdentityCheck:
    """The outcome: the signals (when the proof parsed) and every failed condition."""

    signals: IdentitySignals | None
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


def parse_identity_proof(wire: Mapping[str, Any]) -> Proof:
    """``{"proof": <snarkjs proof.json>, "public": [10 decimal strings]}`` as a :class:`Proof`.

    Raises :class:`InputError` (HTTP 400) when the shape is wrong; whether it
    verifies is the compliance step's question.
    """
    if not isinstance(wire, Mapping) or "proof" not in wire or "public" not in wire:
        raise InputError('identity_proof must be {"proof": <snarkjs proof>, "public": [...]}')
    public = wire["public"]
    if not isinstance(public, list) or len(public) != len(SIGNALS):
        raise InputError(
            f"identity_proof.public must list the {len(SIGNALS)} public signals "
            f"({', '.join(SIGNALS)})"
        )
    proof = wire["proof"]
    if not isinstance(proof, Mapping):
        raise InputError("identity_proof.proof must be a snarkjs proof object")
    try:
        return Proof.from_snarkjs(dict(proof), list(public), CIRCUIT)
    except (EncodingError, IndexError, TypeError) as exc:
        raise InputError(f"identity_proof is malformed: {exc}") from None


class IdentityChecker:
    """Verifies identity proofs and checks their public signals against the trust inputs."""

    def __init__(
        self,
        verifier: ProofVerifier,
        trust: TrustView,
        *,
        max_root_age: dt.timedelta = MAX_ROOT_AGE,
        metrics: RemittanceMetrics | None = None,
    ) -> None:
        self.verifier = verifier
        self.trust = trust
        self.max_root_age = max_root_age
        self.metrics = metrics

    def check(
        self, wire: Mapping[str, Any], *, scope: int, wallet: str, now: dt.datetime
    ) -> IdentityCheck:
        """Every condition the proof fails (none when it is acceptable)."""
        try:
            proof = parse_identity_proof(wire)
        except InputError as exc:
            return IdentityCheck(None, (exc.message,))
        signals = IdentitySignals.of(proof.public)
        verified = self.verifier.verify(proof)  # timed and counted by the backend
        if not verified:
            return IdentityCheck(
                signals, ("the identity proof does not verify against the identity circuit's key",)
            )
        return IdentityCheck(signals, tuple(self._signal_failures(signals, scope, wallet, now)))

    def _signal_failures(
        self, s: IdentitySignals, scope: int, wallet: str, now: dt.datetime
    ) -> list[str]:
        failures: list[str] = []
        if s.scope != scope:
            failures.append("the identity proof was made for another quote (scope mismatch)")
        if s.wallet != int(wallet, 16):
            failures.append("the identity proof is bound to another wallet than sender_wallet")
        if not self.trust.is_trusted_issuer(KYC_CREDENTIAL_TYPE, s.issuer_ax, s.issuer_ay):
            failures.append("the KYC credential's issuer is not trusted for KYC")
        published = self.trust.root_published_at(s.kyc_root)
        if published is None:
            failures.append("the KYC root is unknown or revoked")
        elif now.timestamp() - published > self.max_root_age.total_seconds():
            days = self.max_root_age.days
            failures.append(f"the KYC root is older than {days} days; prove against a newer root")
        today = now.astimezone(dt.UTC).date()
        if s.today_ymd not in (ymd(today), ymd(today - dt.timedelta(days=1))):
            failures.append(f"the identity proof is dated {s.today_ymd}, not {ymd(today)}")
        if s.min_age_years < MIN_AGE_YEARS:
            failures.append(
                f"the identity proof's age threshold is {s.min_age_years}, "
                f"at least {MIN_AGE_YEARS} is required"
            )
        if s.deny_list_hash != self.trust.deny_list_hash():
            failures.append("the identity proof uses another jurisdiction deny-set")
        return failures
