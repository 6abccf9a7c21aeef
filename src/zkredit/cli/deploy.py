"""``zkredit deploy``: deploy an environment in phases, idempotently; ``--check`` it."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from zkredit.chain.check import check_deployment, require_matches
from zkredit.chain.client import ChainClient
from zkredit.chain.deployment import Deployment
from zkredit.cli.output import console, err_console
from zkredit.errors import ConfigurationError, InputError


def _roles(values: list[str]) -> dict[str, list[str]]:
    from zkredit.chain.configure import ROLE_NAMES

    roles: dict[str, list[str]] = {}
    for value in values:
        name, sep, address = value.partition("=")
        if not sep or name not in ROLE_NAMES or not address.startswith("0x"):
            raise InputError(f"--role {value!r}: expected ROLE=0xADDRESS with ROLE one of "
                             f"{', '.join(ROLE_NAMES)}")
        roles.setdefault(name, []).append(address)
    return roles


def deploy(
    env: str | None = typer.Option(
        None, "--env", help="Environment to deploy (environments/ENV.yml; default "
        "ZKREDIT_ENV, else development). Outside development, dev material is refused."),
    rpc_url: str | None = typer.Option(
        None, "--rpc-url", help="JSON-RPC node (default: RPC_URL, else `zkredit chain up`'s)."),
    deployments_dir: Path | None = typer.Option(
        None, "--deployments-dir", help="Where <chainId>.json lives (ZKREDIT_DEPLOYMENTS_DIR)."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="The agents' state (their SQLite databases; ZKREDIT_DATA_DIR)."),
    check: bool = typer.Option(
        False, "--check", help="Compare on-chain code and wiring with the artifacts; change "
        "nothing."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; send nothing."),
    issuers_dir: Path | None = typer.Option(
        None, "--issuers-dir", help="Issuer registry: trust its keys, publish its KYC root "
        "(development: <data_dir>/issuers, created if missing)."),
    agent_host: str = typer.Option(
        "127.0.0.1", "--agent-host", help="Host in the agents' agent-card URLs."),
    role: list[str] = typer.Option(
        [], "--role", help="ROLE=0xADDRESS, repeatable: kyc_provider, issuer_admin, "
        "kyc_policy_admin, policy_admin, pauser, anchorer (default: the deployer)."),
    admin: str | None = typer.Option(
        None, "--admin", help="Hand the admin role over to this address (it accepts after "
        "the delay)."),
    schema_prefix: str | None = typer.Option(None, "--schema-prefix",
                                             help="As `zkredit serve --schema-prefix`."),
    currency: str = typer.Option("NGN", "--currency", help="Currency of the default policy."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Deploy an environment: preflight, circuits, contracts, roles, database migrations,
    agent registration, validation. Each phase is timed and reported.

    Every phase reads before it writes: run twice, the second run sends no transaction.
    A failed phase rolls back what can be undone (role grants, an admin hand-over) and
    says what cannot. The record deployments/<chainId>.json (addresses, roles, agent ids;
    never keys) is written once validation passes. Outside development the agents' keys
    come from their keystores (`zkredit keys new`), the issuers from --issuers-dir.

    Examples:

      zkredit chain up && zkredit deploy --env development

      zkredit deploy --env production --rpc-url $RPC_URL --issuers-dir issuers --dry-run
    """
    from zkredit.bootstrap import AGENTS, ZKServices, agent_account
    from zkredit.chain.config import development_config, production_config
    from zkredit.chain.connect import connect, open_issuer_registry, resolve_sender
    from zkredit.ops.deploy import DeployFailed, DeployManager, PhaseReport
    from zkredit.settings import load_settings

    app: dict[str, object] = {}
    if deployments_dir is not None:
        app["deployments_dir"] = deployments_dir
    if data_dir is not None:
        app["data_dir"] = data_dir
    settings = load_settings(check=False, env=env, app=app)
    directory = settings.app.deployments_dir
    client = connect(settings, rpc_url)
    if check:
        _check(client, directory, as_json)
        return
    environment = settings.app.env
    deployer = resolve_sender(client, settings, environment)
    from zkredit.issuers.registry import IssuerRegistry

    registry: IssuerRegistry | None
    if settings.is_development:
        registry = IssuerRegistry.open(issuers_dir or settings.app.data_dir / "issuers")
    else:
        registry = open_issuer_registry(issuers_dir) if issuers_dir else None
    published = len(registry.kyc_provider().published) if registry else 0
    wallets, key_problems = {}, []
    for name in AGENTS:
        try:
            wallets[name] = agent_account(settings, name)
        except ConfigurationError as exc:  # reported with every other refusal, in preflight
            key_problems.append(f"the {name} agent's key: {exc.message}")
    if settings.is_development:
        config = development_config(settings, registry, agent_host=agent_host,
                                    currency_code=currency, wallets=wallets)
    else:
        config = production_config(settings, environment, registry, agent_host=agent_host,
                                   currency_code=currency, wallets=wallets,
                                   roles=_roles(role), admin=admin)

    def show(report: PhaseReport) -> None:
        if as_json:
            return
        style = {"ok": "green", "failed": "bold red"}.get(report.status, "yellow")
        console.print(f"[{style}]{report.status:7s}[/] {report.name:11s} "
                      f"{report.seconds:7.2f} s  {len(report.changes)} change(s)",
                      highlight=False)
        for change in report.changes:
            console.print(f"          + {change}", highlight=False)
        if report.error:
            err_console.print(f"          {report.error}", highlight=False)

    manager = DeployManager(settings, client, deployer, config, directory,
                            zk=ZKServices.build(settings), schema_prefix=schema_prefix,
                            on_phase=show, known_problems=key_problems)
    err_console.print(f"deploying {environment.value} to {client.describe} (chain "
                      f"{client.chain_id}) as {deployer.address}", highlight=False)
    if dry_run:
        plan = manager.plan()
        if as_json:
            typer.echo(json.dumps({"dryRun": True, **plan.to_json()}))
            return
        for phase in plan.phases:
            console.print(f"[bold]{phase.name}[/]", highlight=False)
            for line in phase.changes:
                console.print(f"  - {line}", highlight=False)
        console.print("dry run: nothing sent, nothing written")
        return
    try:
        run = manager.run()
    except DeployFailed as exc:
        if as_json:
            typer.echo(json.dumps(exc.run.to_json()))
        for line in exc.run.rolled_back:
            err_console.print(f"rolled back: {line}", highlight=False)
        for line in exc.run.not_undone:
            err_console.print(f"could not undo: {line}", highlight=False)
        raise
    if registry is not None and len(registry.kyc_provider().published) != published:
        registry.save()  # the KYC provider's state records the root it published
    elif registry is not None and settings.is_development:
        registry.save()
    if as_json:
        typer.echo(json.dumps(run.to_json()))
        return
    if run.changed:
        console.print(f"[green]deployed[/]: {run.transactions} transaction(s); wrote {run.path}",
                      highlight=False)
    else:
        console.print(f"nothing changed: chain {client.chain_id} already matches {run.path} "
                      f"({run.transactions} transactions)", highlight=False)


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
