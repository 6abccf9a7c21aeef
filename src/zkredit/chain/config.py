"""What a deployment should look like: contracts to use and what to configure.

:func:`development_config` and :func:`production_config` build it from settings;
tests build their own (mock verifiers, other policies). Nothing here knows the demo:
the demo seeds its issuers and KYC tree from above.
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
from zkredit.settings import Environment, Settings

ADMIN_DELAY = 3 * 86_400
VERIFIER_DELAY = ADMIN_DELAY
"""Seconds between proposing a new ZKCreditVerifier to the credit registry and accepting it."""
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
    verifier_delay: int = VERIFIER_DELAY
    """The credit registry's delay before a proposed verifier can be accepted (the first
    verifier is accepted at once); 0 lets a development chain repoint at once."""
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
    """True when the config uses derived wallets (development)."""
    roles: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Role (kyc_provider, issuer_admin, kyc_policy_admin, policy_admin, pauser, anchorer)
    -> holders; a role not named goes to the deployer. Agents also anchor."""
    admin: str | None = None
    """Hand ``DEFAULT_ADMIN_ROLE`` over to this address (it accepts after the delay)."""
    zkusd_float: Mapping[str, int] = field(default_factory=dict)
    """Development: agent -> minimum zkUSD balance, minted by the deployment."""

    @property
    def deny_list(self) -> tuple[int, ...] | None:
        return self.policy.policy.denied_jurisdictions if self.policy else None


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
    kyc_roots: Sequence[int] = (),
    wallets: Mapping[str, LocalAccount] | None = None,
) -> DeployConfig:
    """The registry's issuers and KYC root (plus ``kyc_roots``), the default policy, zkUSD
    with a float for the remittance agent, and four funded agents (keystore wallets when
    given, else derived development wallets)."""
    ports = agent_ports(settings)
    wallets = wallets or {}
    return DeployConfig(
        environment=Environment.DEVELOPMENT,
        verifier_delay=0,
        with_zkusd=True,
        policy=OnChainPolicy(CreditPolicy.default_for(currency_code)),
        issuers=registry_issuer_keys(registry) if registry else {},
        kyc_roots=tuple(kyc_roots),
        kyc_provider=registry.kyc_provider() if registry else None,
        agents=tuple(
            AgentSpec(name, agent_uri(agent_host, ports[name]),
                      wallets.get(name) or agent_dev_wallet(name))
            for name in AGENTS
        ),
        fund_agents_wei=DEV_AGENT_FUNDING,
        demo_material=True,
        zkusd_float={"remittance": 10**9},
    )


def production_config(
    settings: Settings,
    environment: Environment,
    registry: IssuerRegistry | None,
    *,
    agent_host: str = "127.0.0.1",
    currency_code: str = "NGN",
    wallets: Mapping[str, LocalAccount] | None = None,
    roles: Mapping[str, Sequence[str]] | None = None,
    admin: str | None = None,
) -> DeployConfig:
    """Only the issuer registry's keys and root, the agents' keystore wallets, no test
    token. The test environment funds the agents from the deployer (a test chain)."""
    ports = agent_ports(settings)
    wallets = wallets or {}
    return DeployConfig(
        environment=environment,
        with_zkusd=False,
        policy=OnChainPolicy(CreditPolicy.default_for(currency_code)),
        issuers=registry_issuer_keys(registry) if registry else {},
        kyc_provider=registry.kyc_provider() if registry else None,
        agents=tuple(AgentSpec(name, agent_uri(agent_host, ports[name]), wallets.get(name))
                     for name in AGENTS),
        fund_agents_wei=DEV_AGENT_FUNDING if environment is Environment.TEST else 0,
        roles=dict(roles or {}),
        admin=admin,
    )
