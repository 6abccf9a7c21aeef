"""``zkredit chain`` (a development node), ``zkredit application`` and ``zkredit attest``.

``chain up/down/status`` manage a background anvil. ``application inputs`` writes
circuit inputs that verify on the deployed chain right now; after ``zkredit
prove`` ×4, ``application submit`` (alias ``zkredit attest``) sends the proofs
through ``verifyAndAttest`` and prints the attestation.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from zkredit.chain.application import CIRCUITS, Application
from zkredit.chain.client import ChainClient
from zkredit.chain.connect import (
    connect,
    node_state_dir,
    resolve_sender,
)
from zkredit.chain.deployment import Deployment
from zkredit.chain.node import DEFAULT_PORT, AnvilNode
from zkredit.chain.submit import load_proofs, submit_application
from zkredit.chain.wallets import agent_dev_wallet
from zkredit.cli.output import console, err_console
from zkredit.errors import InputError
from zkredit.settings import Settings, load_settings

app = typer.Typer(
    help="A development chain (anvil from npm) on this machine.", no_args_is_help=True
)
application_app = typer.Typer(
    help="Loan applications on chain: inputs that verify, submission.", no_args_is_help=True
)

RPC_URL = typer.Option(None, "--rpc-url", help="JSON-RPC node (default: RPC_URL, else chain up's).")
DEPLOYMENTS_DIR = typer.Option(None, "--deployments-dir", help="Where <chainId>.json lives.")


@app.command("up")
def up(
    port: int = typer.Option(DEFAULT_PORT, "--port", "-p", help="TCP port to listen on."),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to bind."),
) -> None:
    """Start anvil (chain id 1337) in the background and print its RPC URL."""
    node = AnvilNode(node_state_dir(load_settings(check=False)))
    info, started = node.start(port, host=host)
    if started:
        err_console.print(
            f"[green]started[/] anvil (pid {info.pid}, chain {info.chain_id}); log: {info.log}"
        )
    else:
        err_console.print(f"anvil is already running (pid {info.pid}, chain {info.chain_id})")
    typer.echo(info.url)


@app.command("down")
def down() -> None:
    """Stop the anvil that `zkredit chain up` started."""
    stopped = AnvilNode(node_state_dir(load_settings(check=False))).stop()
    if stopped is None:
        console.print("no node is running")
    else:
        console.print(f"[green]stopped[/] anvil (pid {stopped.pid}) at {stopped.url}")


@app.command("status")
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Is the development node running, and where?"""
    info = AnvilNode(node_state_dir(load_settings(check=False))).info()
    block = None
    if info is not None:
        block = ChainClient.connect(info.url, dev_accounts=False).block_number()
    if as_json:
        data: dict[str, object] = {"running": info is not None}
        if info is not None:
            data |= {"url": info.url, "pid": info.pid, "chainId": info.chain_id, "block": block}
        typer.echo(json.dumps(data))
    elif info is None:
        console.print("not running (start it with `zkredit chain up`)")
    else:
        console.print(
            f"running: {info.url} (pid {info.pid}, chain {info.chain_id}, block {block})",
            highlight=False,
        )
        console.print(f"log: {info.log}", highlight=False)


def attest(
    directory: Path = typer.Option(
        Path("."), "--dir", "-d", help="Directory with <circuit>.proof.json and .public.json."
    ),
    rpc_url: str | None = RPC_URL,
    deployments_dir: Path | None = DEPLOYMENTS_DIR,
    agent_id: int = typer.Option(0, "--agent-id", help="Requesting lender agent (0: none)."),
    as_json: bool = typer.Option(False, "--json", help="Print the attestation as JSON."),
) -> None:
    """Submit four proofs through verifyAndAttest and print the attestation.

    Reads <circuit>.proof.json and <circuit>.public.json (as `zkredit prove` writes
    them) from --dir and sends them from the wallet they are bound to."""
    settings = load_settings(check=False)
    client = connect(settings, rpc_url)
    deployment = Deployment.load(deployments_dir or settings.app.deployments_dir, client.chain_id)
    proofs = load_proofs(directory)
    if set(proofs) != set(CIRCUITS):
        raise InputError(f"expected the proofs of {', '.join(CIRCUITS)} in {directory}")
    sender = _signer_for(
        client,
        settings,
        Application(deployment.policy_hash, proofs).wallet,
        deployments_dir or settings.app.deployments_dir,
    )
    system = deployment.system(client, sender=sender)
    att = submit_application(
        proofs, deployment.policy_hash, verifier=system.zk, sender=sender, agent_id=agent_id
    )
    if as_json:
        typer.echo(json.dumps(att.to_json()))
        return
    console.print(
        f"[green]attested[/] in {att.tx_hash} (block {att.block_number}, {att.gas_used:,} gas)"
    )
    console.print(f"  request hash  0x{att.request_hash.hex()}", highlight=False)
    console.print(f"  wallet        {att.wallet}", highlight=False)
    console.print(f"  tier          {att.tier}", highlight=False)
    console.print(f"  limit         {att.limit} (minor units)", highlight=False)
    console.print(f"  nullifier     {att.nullifier}", highlight=False)


application_app.command("submit")(attest)


def _signer_for(client: ChainClient, settings: Settings, wallet: str, directory: Path) -> str:
    """The proofs' wallet when this client can sign for it (PRIVATE_KEY, a development
    account, or, in development, an agent's key), else the configured sender."""
    if settings.is_development:
        for name in ("worker", "credit", "remittance", "receiver"):
            client.add_account(agent_dev_wallet(name))
    if wallet.lower() in {a.lower() for a in client.accounts}:
        return wallet
    return resolve_sender(client, settings).address
