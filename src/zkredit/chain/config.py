"""What a deployment should look like: contracts to use and what to configure.

:func:`development_config` and :func:`production_config` build it from settings;
tests build their own (mock verifiers, other policies).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount

from zkredit.chain.deployment import BATCH, VERIFIER_SLOTS
from zkredit.chain.policy import OnChainPolicy
from zkredit.chain.wallets import agent_dev_wallet
from zkredit.domain.policy import CreditPolicy
from zkredit.issuers.registry import IssuerRegistry, KycProvider
from zkredit.scenarios import ISSUER_ROLES, JOHN, SAMUEL, demo_issuer
from zkredit.settings import Environment, Settings
from zkredit.zk.merkle import MerkleTree

ADMIN_DELAY = 3 * 86_400
AGENTS = ("worker", "credit", "remittance", "receiver")
DEV_AGENT_FUNDING = 10 * 10**18  # wei
AGENT_CARD_PATH = "/.well-known/agent-card.json"


@dataclass(frozen=True)
class AgentSpec:
    """One agent to register: its name, agent card URI and wallet (None: the registrant)."""

    name: str
    uri: str
    wallet: LocalAccount | None = None


@dataclass(frozen=True)
class DeployConfig:
    """The target state of a deployment."""

    environment: Environment = Environment.DEVELOPMENT
    admin_delay: int = ADMIN_DELAY
    verifier_artifacts: tuple[str, str, str, str] = VERIFIER_SLOTS
    batch_artifact: str | None = BATCH
    with_zkusd: bool = False
    with_anchor: bool = True
    policy: OnChainPolicy | None = None
    issuers: Mapping[int, Sequence[tuple[int, int]]] = field(default_factory=dict)
    """Credential type (1 income ... 4 kyc) -> trusted BabyJubJub keys (x, y)."""
    kyc_roots: Sequence[int] = ()
    kyc_provider: KycProvider | None = field(default=None, compare=False)
    """A KYC provider whose tree's root the deployer publishes (recorded in its state)."""
    agents: Sequence[AgentSpec] = ()
    fund_agents_wei: int = 0
    demo_material: bool = False
    """True when the config trusts demo issuers or uses derived wallets."""

    @property
    def deny_list(self) -> tuple[int, ...] | None:
        return self.policy.policy.denied_jurisdictions if self.policy else None


def demo_kyc_tree() -> MerkleTree:
    """The demo KYC provider's tree: the scenario applicants, in a fixed order."""
    tree = MerkleTree(depth=20)
    for person in (SAMUEL, JOHN):
        tree.insert(person.subject)
    return tree


def demo_issuer_keys() -> dict[int, list[tuple[int, int]]]:
    return {
        int(ctype): [(demo_issuer(role).public.x, demo_issuer(role).public.y)]
        for ctype, role in ISSUER_ROLES.items()
    }


def registry_issuer_keys(registry: IssuerRegistry) -> dict[int, list[tuple[int, int]]]:
    keys: dict[int, list[tuple[int, int]]] = {}
    for issuer in registry.issuers.values():
        keys.setdefault(int(issuer.credential_type), []).append((issuer.public.x, issuer.public.y))
    return keys


def agent_uri(host: str, port: int) -> str:
    return f"http://{host}:{port}{AGENT_CARD_PATH}"


def agent_ports(settings: Settings) -> dict[str, int]:
    a = settings.agents
    return {
        "worker": a.worker_port,
        "credit": a.credit_port,
        "remittance": a.remittance_port,
        "receiver": a.receiver_port,
    }


def _merge(*sources: Mapping[int, Sequence[tuple[int, int]]]) -> dict[int, list[tuple[int, int]]]:
    merged: dict[int, list[tuple[int, int]]] = {}
    for source in sources:
        for ctype, keys in source.items():
            for key in keys:
                if key not in merged.setdefault(ctype, []):
                    merged[ctype].append(key)
    return merged


def development_config(
    settings: Settings,
    registry: IssuerRegistry | None = None,
    *,
    agent_host: str = "127.0.0.1",
    currency_code: str = "NGN",
) -> DeployConfig:
    """Demo issuers (plus the registry's), the demo KYC tree's root (plus the registry's),
    the default policy, zkUSD, and four agents with derived, funded wallets."""
    keys = _merge(demo_issuer_keys(), registry_issuer_keys(registry) if registry else {})
    ports = agent_ports(settings)
    return DeployConfig(
        environment=Environment.DEVELOPMENT,
        with_zkusd=True,
        policy=OnChainPolicy(CreditPolicy.default_for(currency_code)),
        issuers=keys,
        kyc_roots=(int(demo_kyc_tree().root),),
        kyc_provider=registry.kyc_provider() if registry else None,
        agents=tuple(
            AgentSpec(name, agent_uri(agent_host, ports[name]), agent_dev_wallet(name))
            for name in AGENTS
        ),
        fund_agents_wei=DEV_AGENT_FUNDING,
        demo_material=True,
    )


def production_config(
    settings: Settings,
    environment: Environment,
    registry: IssuerRegistry | None,
    *,
    agent_host: str = "127.0.0.1",
    currency_code: str = "NGN",
) -> DeployConfig:
    """Only the issuer registry's keys and root; agents keep the deployer as wallet
    until their operators set one; no test token."""
    ports = agent_ports(settings)
    return DeployConfig(
        environment=environment,
        with_zkusd=False,
        policy=OnChainPolicy(CreditPolicy.default_for(currency_code)),
        issuers=registry_issuer_keys(registry) if registry else {},
        kyc_provider=registry.kyc_provider() if registry else None,
        agents=tuple(AgentSpec(name, agent_uri(agent_host, ports[name])) for name in AGENTS),
    )
