"""Circuit inputs that verify on a given chain, and proving them.

A proof is checked on chain against the block's date (today or yesterday, UTC),
the registered policy, the registry's deny-set and a known, fresh KYC root, and
it must be bound to the submitting wallet and to the scope the verifier derives from
the requesting lender agent (``loanScope``; review F-1). :func:`chain_inputs`
reads all of that from the deployment and builds the four statements of an
application of an :class:`Applicant`, ready for ``zkredit prove`` or
:func:`prove_statements`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from zkredit.chain.deployment import System
from zkredit.chain.errors import ChainError
from zkredit.chain.policy import OnChainPolicy
from zkredit.errors import InputError, MerkleError
from zkredit.zk.merkle import MerkleTree
from zkredit.zk.proof import Proof
from zkredit.zk.prover import ProverBackend
from zkredit.zk.statements import EPOCH, ProofContext, Statement, deny_list_hash, month_index, ymd

if TYPE_CHECKING:
    from zkredit.domain.policy import CreditPolicy


class Applicant(Protocol):
    """Whoever applies: their identity commitment and the statements their credentials
    make for a policy, a proof context and a KYC tree."""

    @property
    def name(self) -> str: ...

    @property
    def subject(self) -> int: ...

    def statements(self, policy: CreditPolicy, ctx: ProofContext, tree: MerkleTree
                   ) -> dict[str, Statement]: ...


@dataclass(frozen=True)
class ChainInputs:
    """An application's statements, made for one chain at one moment."""

    statements: dict[str, Statement]
    context: ProofContext
    policy: OnChainPolicy
    kyc_root: int
    timestamp: int

    def circuit_inputs(self) -> dict[str, dict[str, Any]]:
        """circom input JSON per circuit (decimal strings, as ``zkredit prove`` reads)."""

        def enc(v: Any) -> Any:
            return [enc(x) for x in v] if isinstance(v, list | tuple) else str(v)

        return {
            name: {k: enc(v) for k, v in s.inputs.items()} for name, s in self.statements.items()
        }

    def write(self, directory: Path) -> dict[str, Path]:
        """Write ``<circuit>.input.json`` files; returns their paths."""
        directory.mkdir(parents=True, exist_ok=True)
        paths = {}
        for name, inputs in self.circuit_inputs().items():
            path = directory / f"{name}.input.json"
            path.write_text(json.dumps(inputs, indent=1) + "\n")
            paths[name] = path
        return paths


def chain_date(system: System, timestamp: int) -> dt.date:
    """The UTC date the verifier uses for ``timestamp``, cross-checked with ``dateInputs``."""
    dates = system.zk.date_inputs(timestamp)
    day = EPOCH + dt.timedelta(days=dates.today)
    if (month_index(day), ymd(day)) != (dates.current_month, dates.today_ymd):
        raise ChainError(
            f"the verifier's date encodings for day {dates.today} disagree with the prover's "
            f"({dates.current_month}/{dates.today_ymd} vs {month_index(day)}/{ymd(day)})"
        )
    return day


def deployed_policy(system: System) -> OnChainPolicy:
    """The deployment's policy as registered on chain, with the registry's deny-set."""
    codes, digest = system.kyc.deny_list()
    if digest != deny_list_hash(codes):
        raise ChainError("the KYC registry's deny-list hash is not Poseidon of its codes")
    return system.zk.get_policy(system.deployment.policy_hash, codes)


def chain_inputs(
    system: System,
    wallet: str,
    *,
    applicant: Applicant,
    kyc_tree: MerkleTree,
    agent_id: int = 0,
    timestamp: int | None = None,
) -> ChainInputs:
    """The four statements of ``applicant``'s application to lender agent ``agent_id``
    (0: none), valid on ``system`` now. The scope is the verifier's ``loanScope``."""
    ts = timestamp if timestamp is not None else system.client.now()
    policy = deployed_policy(system)
    tree = kyc_tree
    try:
        tree.index_of(applicant.subject)
    except MerkleError:
        raise InputError(
            f"{applicant.name}'s identity commitment is not in the KYC provider's tree",
            hint="The KYC provider must enroll the applicant and publish the new root.",
        ) from None
    root = int(tree.root)
    if not system.kyc.is_known_root(root):
        raise ChainError(
            f"the KYC tree's root {str(root)[:16]}… is not published on chain",
            hint="Publish it: `zkredit deploy` publishes the demo tree and the issuer "
            "registry's tree (--issuers-dir).",
        )
    age = ts - system.kyc.root_timestamp(root)
    if age > policy.terms.max_kyc_root_age_seconds:
        raise ChainError(
            f"the KYC root was published {age // 86_400} days ago; the policy accepts "
            f"{policy.terms.max_kyc_root_age_seconds // 86_400}",
            hint="The KYC provider must publish a fresh root.",
        )
    ctx = ProofContext.for_wallet(system.zk.loan_scope(agent_id), wallet, chain_date(system, ts))
    stmts = applicant.statements(policy.policy, ctx, tree)
    for stmt in stmts.values():
        stmt.require_true()
    return ChainInputs(stmts, ctx, policy, root, ts)


def prove_statements(prover: ProverBackend, inputs: ChainInputs) -> dict[str, Proof]:
    """Prove the four statements (one after another)."""
    return {name: prover.prove(name, stmt.inputs) for name, stmt in inputs.statements.items()}
