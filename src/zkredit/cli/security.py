"""``zkredit security assess``: the seed's security checklist, scored against this system."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from zkredit.cli.output import ExitStatus, console

app = typer.Typer(help="Security: the seed's checklist scored against the real system.",
                  no_args_is_help=True)
MARK = {"pass": "[green]pass[/]", "warn": "[yellow]warn[/]", "fail": "[bold red]FAIL[/]",
        "manual": "[dim]attest[/]"}


@app.callback()
def security() -> None:
    """Assess the configuration and the running system against the security checklist."""


@app.command("assess")
def assess(
    env: str | None = typer.Option(None, "--env", "-e", help="Environment (default "
                                   "ZKREDIT_ENV, else development)."),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0, max=100, help="Exit 1 below this total score (default "
        "ZKREDIT_SECURITY_THRESHOLD, else 80)."),
    schema_prefix: str | None = typer.Option(None, "--schema-prefix",
                                             help="As `zkredit serve --schema-prefix`."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="JSON-RPC node (to find the "
                                       "deployment record of its chain)."),
    store: str | None = typer.Option(None, "--store", help="Backup store to check (as "
                                     "`zkredit backup --store`)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Score network, application, blockchain, zk, compliance and monitoring.

    Checks the real configuration (secrets, TLS and its certificate, bind addresses, rate
    limits, log level, keystores, the deployment record's roles, the circuit manifest's
    ceremony, nullifier and scope signals, retention, alert rules, the newest verified
    backup) and, when the agents run, the live system: every route of every agent's
    OpenAPI is called without a token and must refuse, every audit log is walked. Items
    nothing here can verify (audits, SOC 2) are listed to attest, and not scored.

    Examples:

      zkredit security assess --env production

      zkredit security assess --env test --threshold 70 --json | jq .sections.zk
    """
    from zkredit.ops.backup.service import default_store
    from zkredit.ops.security import assess as run
    from zkredit.ops.security import context, env_threshold
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env=env)
    ctx = context(settings, schema_prefix=schema_prefix, rpc_url=rpc_url,
                  store=default_store(settings, store) if store else None)
    result = run(settings, threshold=threshold if threshold is not None else env_threshold(),
                 ctx=ctx)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        table = Table(show_edge=False, pad_edge=False)
        for column in ("section", "", "item", "severity", "evidence"):
            table.add_column(column, overflow="fold")
        for item in result.items:
            table.add_row(item.section, MARK[item.status], item.title, item.severity,
                          item.evidence)
        console.print(table, highlight=False)
        console.print("  ".join(f"{s} {v:.0f}" for s, v in result.scores.items()),
                      highlight=False)
        verdict = "[green]passes[/]" if result.passed else "[bold red]below the threshold[/]"
        console.print(f"score {result.score:.1f}/100 ({result.risk} risk): {verdict} "
                      f"{result.threshold:.0f} ({result.environment}"
                      + (", live checks ran" if result.live else ", services not running")
                      + ")", highlight=False)
    if not result.passed:
        raise SystemExit(int(ExitStatus.ERROR))
