"""``zkredit perf``: measure the live system against the seed's performance targets."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from zkredit.cli.output import console, progress_bar

VERDICT = {"met": "[green]met[/]", "degraded": "[yellow]degraded[/]",
           "missed": "[bold red]MISSED[/]", "not measured": "[dim]not measured[/]"}


def perf(
    env: str | None = typer.Option(None, "--env", "-e", help="Environment (default "
                                   "ZKREDIT_ENV, else development)."),
    samples: int = typer.Option(3, "--samples", min=1, max=50, help="Runs of each active "
                                "measurement (proofs per circuit, queries per table)."),
    no_prove: bool = typer.Option(False, "--no-prove", help="Do not prove here; use only "
                                  "what the services recorded."),
    schema_prefix: str | None = typer.Option(None, "--schema-prefix",
                                             help="As `zkredit serve --schema-prefix`."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="JSON-RPC node."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Measure proof generation, verification, database queries, API responses and chain
    transactions against the seed's PERFORMANCE_TARGETS, and say what to change.

    Targets (target / max): proof generation 5 s / 10 s, verification 100 / 500 ms,
    database query 100 / 500 ms, API response 200 / 1000 ms, blockchain transaction
    30 s / 120 s. Each is measured now (proving the committed example inputs, counting
    every table, calling every service) and read from what the running services recorded
    on /metrics; the worse figure decides met, degraded (under max) or missed.
    Recommendations follow from the figures (the slowest circuit, table or service, and
    the prover queue's depth).

    Examples:

      zkredit perf --env production

      zkredit perf --no-prove --json | jq .recommendations
    """
    from zkredit.ops.perf import TITLES, run_perf
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env=env)
    if as_json:
        report = run_perf(settings, samples=samples, schema_prefix=schema_prefix,
                          rpc_url=rpc_url, prove=not no_prove)
        typer.echo(json.dumps(report.to_json(), indent=2))
        return
    with progress_bar("measuring", 6) as bar:
        task = bar.tasks[0].id
        report = run_perf(settings, samples=samples, schema_prefix=schema_prefix,
                          rpc_url=rpc_url, prove=not no_prove,
                          step=lambda m: bar.update(task, description=m, advance=1))
        bar.update(task, description="measured", completed=6)
    table = Table(show_edge=False, pad_edge=False)
    for column, justify in (("target", "left"), ("", "left"), ("figure", "right"),
                            ("target / max", "right"), ("now", "right"),
                            ("observed", "right"), ("slowest", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for m in report.measurements:
        def ms(v: float | None) -> str:
            return "-" if v is None else f"{v:.1f} ms"
        table.add_row(TITLES[m.key], VERDICT[m.verdict], ms(m.figure_ms),
                      f"{m.target_ms:.0f} / {m.max_ms:.0f} ms", ms(m.active_ms),
                      ms(m.observed_ms) + (f" ({m.observed_count})" if m.observed_count else ""),
                      m.worst)
    console.print(table, highlight=False)
    console.print(f"score {report.score:.0f}/100 in {report.seconds:.1f} s", highlight=False)
    for line in report.recommendations:
        console.print(f"  * {line}", highlight=False)
