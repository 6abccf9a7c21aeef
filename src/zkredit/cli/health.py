"""``zkredit health``: check every component of a running system, each check timed."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from zkredit.cli.output import ExitStatus, console

ENV_HELP = ("Environment (environments/ENV.yml; default ZKREDIT_ENV, else development). Ports, "
            "hosts, DATABASE_URL, REDIS_URL and RPC_URL come from it.")
STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}
MARK = {"ok": "ok", "warn": "warn", "fail": "FAIL", "skip": "skip"}


def health(
    env: str | None = typer.Option(None, "--env", "-e", help=ENV_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (every check, "
                                 "with its status, detail and time in ms)."),
    exit_code: bool = typer.Option(
        False, "--exit-code", help="Exit 1 when a required component is down (for cron, "
        "monitors, CI). Without it the exit status is 0 whatever the result."),
    schema_prefix: str | None = typer.Option(
        None, "--schema-prefix", help="As `zkredit serve --schema-prefix`: the agents' "
        "PostgreSQL schemas are PREFIX_<agent>."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="JSON-RPC node (default: "
                                       "RPC_URL, else the `zkredit chain up` node)."),
    prometheus_url: str | None = typer.Option(
        None, "--prometheus-url", help="Check Prometheus' /-/healthy here (default: "
        "PROMETHEUS_URL)."),
    timeout: float = typer.Option(3.0, "--timeout", min=0.1, help="Seconds each network "
                                  "check may take."),
) -> None:
    """Check system resources, every service's /health/ready, the chain, the circuits,
    the TLS certificate, every agent's database, Redis and Prometheus.

    Each check prints its status and how long it took. A check is required when the
    system cannot serve without it (a service, the chain, the circuits, a database, Redis
    when configured); the summary names every required component that is down.

    Examples:

      zkredit health --env production

      zkredit health --env test --json | jq '.checks[] | select(.status != "ok")'

      zkredit health --exit-code || page-the-operator      # 1 when something is down
    """
    from zkredit.ops.health import Targets, run_health
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env=env)
    targets = Targets.from_settings(settings, schema_prefix=schema_prefix, rpc_url=rpc_url,
                                    prometheus_url=prometheus_url, timeout_s=timeout)
    report = run_health(settings, targets)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        table = Table(show_edge=False, pad_edge=False)
        for column, justify in (("", "left"), ("check", "left"), ("ms", "right"),
                                ("detail", "left")):
            table.add_column(column, justify=justify, overflow="fold")  # type: ignore[arg-type]
        for c in report.checks:
            style = STYLE[c.status]
            table.add_row(f"[{style}]{MARK[c.status]}[/]", c.name,
                          f"{c.seconds * 1000:.0f}", c.detail)
        console.print(table, highlight=False)
        if report.healthy:
            console.print(f"[green]{report.status}[/]: {len(report.checks)} checks in "
                          f"{report.seconds * 1000:.0f} ms ({report.environment})",
                          highlight=False)
        else:
            names = ", ".join(c.name for c in report.down)
            console.print(f"[bold red]unhealthy[/]: down: {names}", highlight=False)
            for c in report.down:
                console.print(f"  {c.name}: {c.detail}", highlight=False)
    if exit_code and not report.healthy:
        # SystemExit, not typer.Exit: run() calls the app with standalone_mode=False, where
        # click returns an Exit code instead of exiting with it.
        raise SystemExit(int(ExitStatus.ERROR))
