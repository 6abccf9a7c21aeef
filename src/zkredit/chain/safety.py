"""What a non-development deployment refuses.

Outside development (test: on a test chain, see :func:`deployment_problems`) a
deployment must not rest on anything anyone can reproduce: verifiers generated from
single-party development keys, a deployer key that is public (anvil's or eth-tester's
accounts), demo issuer keys, derived agent wallets, the unbacked test token, or a zero
address anywhere.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from zkredit.chain.config import DeployConfig
from zkredit.chain.errors import UnsafeDeployment
from zkredit.chain.wallets import agent_dev_wallet, well_known_dev_addresses
from zkredit.issuers.registry import label_derived_public_keys
from zkredit.settings import Environment

ZERO_ADDRESS = "0x" + "00" * 20


def deployment_problems(config: DeployConfig, deployer: LocalAccount, setup_kind: str) -> list[str]:
    """Every reason ``config`` is unsafe outside development (empty: safe).

    The test environment runs on a test chain: its deployer may be a public development
    account that funds the agents. Everything else is refused there too."""
    if config.environment is Environment.DEVELOPMENT:
        return []
    strict = config.environment is not Environment.TEST
    problems = []
    if setup_kind != "ceremony":
        problems.append(
            f"the circuit keys come from a {setup_kind!r} setup, so the verifiers would accept "
            "proofs forged by whoever ran it; use the ceremony keys"
        )
    if strict and deployer.address.lower() in well_known_dev_addresses():
        problems.append(
            f"the deployer {deployer.address} is a public development account "
            "(anvil/eth-tester): set PRIVATE_KEY to a key of your own"
        )
    demo = label_derived_public_keys()
    if any(k in demo for keys in config.issuers.values() for k in keys):
        problems.append("the configuration trusts label-derived (demo) issuer keys, whose "
                        "secrets are public")
    if config.demo_material:
        problems.append("the configuration uses derived development wallets")
    if not any(config.issuers.values()):
        problems.append("no issuer keys to trust: pass the issuer registry (--issuers-dir)")
    if any(k == (0, 0) for keys in config.issuers.values() for k in keys):
        problems.append("an issuer key is the zero point")
    if config.with_zkusd:
        problems.append("zkUSD is an unbacked test token and is never deployed outside development")
    for agent in config.agents:
        if agent.wallet is not None and agent.wallet.address in (ZERO_ADDRESS, deployer.address):
            problems.append(f"agent {agent.name} has a zero or deployer wallet")
        if agent.wallet is not None and _is_derived(agent.name, agent.wallet):
            problems.append(f"agent {agent.name}'s wallet is a derived development wallet")
    if strict and config.fund_agents_wei:
        problems.append("funding agent wallets from the deployer is a development convenience")
    return problems


def _is_derived(name: str, wallet: LocalAccount) -> bool:
    return agent_dev_wallet(name).address == wallet.address


def require_safe(config: DeployConfig, deployer: LocalAccount, setup_kind: str) -> None:
    """Raise :class:`UnsafeDeployment` listing every problem, if there is any."""
    problems = deployment_problems(config, deployer, setup_kind)
    if problems:
        raise UnsafeDeployment(
            f"refusing to deploy to {config.environment.value!r}:\n  " + "\n  ".join(problems),
            hint="Fix the items above, or deploy with --env development to a development chain.",
        )
