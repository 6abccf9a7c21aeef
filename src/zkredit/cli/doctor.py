"""``zkredit doctor``: diagnose this machine's ZKredit and say how to fix it."""

from __future__ import annotations

import json

import typer

from zkredit.cli.output import ExitStatus, console

STYLE = {"critical": "bold red", "warning": "yellow", "info": "dim"}


def doctor(
    error: str | None = typer.Option(
        None, "--error", help="An error message to explain (gas estimation, circom, "
        "ECONNREFUSED, timeouts, the system's own refusals); matched against the seed's "
        "patterns and corroborated by the live checks."),
    env: str | None = typer.Option(None, "--env", "-e", help="Environment (default "
                                   "ZKREDIT_ENV, else development)."),
    schema_prefix: str | None = typer.Option(None, "--schema-prefix",
                                             help="As `zkredit serve --schema-prefix`."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="JSON-RPC node (default "
                                       "RPC_URL, else the `zkredit chain up` node)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    timeout: float = typer.Option(3.0, "--timeout", min=0.1,
                                  help="Seconds each network check may take."),
) -> None:
    """Diagnose: services down, ports held by other processes (and which), the database
    stopped, the chain unreachable or the wrong chain, circuits missing or altered,
    migrations behind, disk and memory, the clock against the chain's.

    Each diagnosis gives its evidence, immediate / short-term / long-term fixes, the steps
    that verify them, and a confidence. Exits 1 when a critical problem is found.

    Examples:

      zkredit doctor --env production

      zkredit doctor --error "connect ECONNREFUSED 127.0.0.1:3002"

      zkredit doctor --json | jq '.diagnoses[] | {id, confidence}'
    """
    from zkredit.ops.doctor import diagnose
    from zkredit.ops.health import Targets
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env=env)
    targets = Targets.from_settings(settings, schema_prefix=schema_prefix, rpc_url=rpc_url,
                                    timeout_s=timeout)
    report = diagnose(settings, targets, error)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        if not report.diagnoses:
            console.print(f"[green]no problem found[/] ({len(report.health.checks)} checks, "
                          f"environment {report.environment})", highlight=False)
        for d in report.diagnoses:
            console.print(f"[{STYLE[d.severity]}]{d.severity.upper()}[/] {d.title}  "
                          f"[dim](confidence {d.confidence:.2f}, {d.id})[/]", highlight=False)
            for line in d.evidence:
                console.print(f"  - {line}", highlight=False)
            for label, items in (("immediate", d.fixes.immediate),
                                 ("short term", d.fixes.short_term),
                                 ("long term", d.fixes.long_term),
                                 ("verify", d.fixes.verify)):
                console.print(f"  [bold]{label}[/]:", highlight=False)
                for item in items:
                    console.print(f"    * {item}", highlight=False)
            console.print()
    if report.critical:
        raise SystemExit(int(ExitStatus.ERROR))
