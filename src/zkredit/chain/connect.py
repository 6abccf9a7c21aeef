"""Choosing the chain and the signing account from settings and command-line options.

The node is, in order: an explicit ``--rpc-url``, ``RPC_URL``, the node
``zkredit chain up`` started, and (where a throwaway chain makes sense, such as
benchmarks) the embedded py-evm chain. The sender is ``PRIVATE_KEY``; in
development, when it is unset, the node's first funded development account.
"""

from __future__ import annotations

from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from zkredit.chain.client import ChainClient
from zkredit.chain.errors import ChainError, DeploymentError
from zkredit.chain.node import AnvilNode
from zkredit.errors import ConfigurationError
from zkredit.issuers.registry import IssuerRegistry
from zkredit.settings import Environment, Settings


def node_state_dir(settings: Settings) -> Path:
    """Where ``zkredit chain up`` keeps the node's pid, URL and log."""
    return settings.app.data_dir / "chain"


def rpc_url_for(settings: Settings, rpc_url: str | None) -> str | None:
    if rpc_url:
        return rpc_url
    if settings.chain.rpc_url:
        return settings.chain.rpc_url
    running = AnvilNode(node_state_dir(settings)).info()
    return running.url if running else None


def connect(
    settings: Settings, rpc_url: str | None = None, *, embedded_ok: bool = False
) -> ChainClient:
    """A client for the chosen node (see the module docstring)."""
    url = rpc_url_for(settings, rpc_url)
    if url:
        return ChainClient.connect(url)
    if embedded_ok:
        return ChainClient.embedded()
    raise ChainError(
        "no chain to use: no --rpc-url, no RPC_URL, and no node from `zkredit chain up`",
        hint="Start a development chain with `zkredit chain up`, or pass --rpc-url.",
    )


def resolve_sender(
    client: ChainClient, settings: Settings, environment: Environment | None = None
) -> LocalAccount:
    """The account that signs: ``PRIVATE_KEY``, else (development only) the first
    funded development account of the node."""
    env = environment or settings.app.env
    key = settings.chain.private_key
    try:
        is_zero = int(key, 16) == 0
    except ValueError:
        raise ConfigurationError("PRIVATE_KEY is not a hex private key") from None
    if not is_zero:
        return client.add_account(Account.from_key(key))
    if env is Environment.DEVELOPMENT:
        dev = client.dev_accounts()
        if dev:
            return client.add_account(dev[0])
    raise ConfigurationError(
        f"PRIVATE_KEY is not set, and {client.describe} has no development accounts"
        if env is Environment.DEVELOPMENT
        else f"PRIVATE_KEY is not set: a {env.value} deployment needs the deployer's key",
        hint="Set PRIVATE_KEY (hex) in the environment or .env.",
    )


def open_issuer_registry(directory: Path) -> IssuerRegistry:
    """An existing issuer registry (its ``state.json``); never creates one."""
    if not (directory / "state.json").is_file():
        raise DeploymentError(
            f"no issuer registry in {directory} (state.json is missing)",
            hint="Point --issuers-dir at the directory that holds the issuers' state.json.",
        )
    return IssuerRegistry.open(directory)
