"""``zkredit deploy``: deploy and configure the contracts, idempotently; ``--check`` them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from zkredit.bootstrap import ZKServices
from zkredit.chain.check import check_deployment, require_matches
from zkredit.chain.client import ChainClient
from zkredit.chain.config import development_config, production_config
from zkredit.chain.connect import connect, open_issuer_registry, resolve_sender
from zkredit.chain.deployer import deploy as run_deploy
from zkredit.chain.deployment import Deployment, default_deployments_dir
from zkredit.chain.safety import require_safe
from zkredit.cli.output import console, err_console
from zkredit.settings import Environment, load_settings


def deploy(
    env: Environment = typer.Option(
        Environment.DEVELOPMENT,
        "--env",
        help="Target environment; non-development refuses dev material.",
    ),
    rpc_url: str | None = typer.Option(
        None, "--rpc-url", help="JSON-RPC node (default: RPC_URL, else `zkredit chain up`'s)."
    ),
    deployments_dir: Path | None = typer.Option(
        None,
        "--deployments-dir",
        help="Where <chainId>.json lives (default: <checkout>/deployments).",
    ),
    check: bool = typer.Option(
        False,
        "--check",
        help="Compare on-chain code and wiring with the artifacts; change nothing.",
    ),
    issuers_dir: Path | None = typer.Option(
        None, "--issuers-dir", help="Issuer registry: trust its keys, publish its KYC root."
    ),
    agent_host: str = typer.Option(
        "127.0.0.1", "--agent-host", help="Host in the agents' agent-card URLs."
    ),
    currency: str = typer.Option("NGN", "--currency", help="Currency of the default policy."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Deploy and configure the contracts; run again, it changes nothing.

    Deploys every contract in dependency order, then grants roles and sets the
    deny-set, trusted issuers, KYC root, default policy and the four agents.
    Writes deployments/<chainId>.json. --check compares on-chain code with the
    artifacts instead and exits non-zero naming any mismatch.

    Example: zkredit chain up && zkredit deploy --env development
    """
    settings = load_settings(check=False)
    directory = deployments_dir or default_deployments_dir()
    client = connect(settings, rpc_url)
    if check:
        _check(client, directory, as_json)
        return
    deployer = resolve_sender(client, settings, env)
    registry = open_issuer_registry(issuers_dir) if issuers_dir else None
    published = len(registry.kyc_provider().published) if registry else 0
    if env is Environment.DEVELOPMENT:
        config = development_config(
            settings, registry, agent_host=agent_host, currency_code=currency
        )
    else:
        config = production_config(
            settings, env, registry, agent_host=agent_host, currency_code=currency
        )
        services = ZKServices.build(settings)
        # Keys that fail their manifest cannot vouch for their setup either.
        setup_kind = services.setup_kind if services.integrity_ok else "unverified"
        require_safe(config, deployer, setup_kind)
    err_console.print(
        f"deploying to {client.describe} (chain {client.chain_id}) as {deployer.address}"
    )
    report = run_deploy(client, config, deployer, directory)
    if registry is not None and len(registry.kyc_provider().published) != published:
        registry.save()  # the KYC provider's state records the root it published
    if as_json:
        typer.echo(
            json.dumps(
                {"changed": report.changed, "changes": report.changes, "path": str(report.path)}
            )
        )
        return
    for change in report.changes:
        console.print(f"  [green]+[/] {change}", highlight=False)
    if report.changed:
        console.print(f"[green]deployed[/]: {len(report.changes)} change(s); wrote {report.path}")
    else:
        console.print(f"nothing changed: chain {client.chain_id} already matches {report.path}")
    if report.keys_path is not None:
        err_console.print(
            f"[dim]development agent keys: {report.keys_path} (0600, development only)[/]"
        )


def _check(client: ChainClient, directory: Path, as_json: bool) -> None:
    deployment = Deployment.load(directory, client.chain_id)
    report = check_deployment(client, deployment)
    if as_json:
        typer.echo(
            json.dumps({"ok": report.ok, "contracts": report.lines, "problems": report.problems})
        )
    else:
        table = Table(title=f"deployment on chain {client.chain_id} vs contracts/artifacts")
        table.add_column("contract")
        table.add_column("address")
        table.add_column("result")
        for key, line in report.lines.items():
            style = "green" if line.startswith("ok") else "bold red"
            table.add_row(key, deployment.contracts[key].address, f"[{style}]{line}[/]")
        console.print(table)
    require_matches(report)
    if not as_json:
        console.print("[green]ok[/]: on-chain code and wiring match the artifacts")
