"""``zkredit bench``: benchmarks reported as ratios against the reference tool."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.table import Table

from zkredit.cli.output import console, err_console
from zkredit.errors import InputError

app = typer.Typer(help="Benchmarks, side by side with the reference tools.", no_args_is_help=True)


@app.command("zk")
def bench_zk(
    iterations: int = typer.Option(
        5, "--iterations", "-n", min=1, help="Timed runs per circuit and tool."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    workers: int = typer.Option(2, "--workers", help="Processes for the 4-proof bundle."),
) -> None:
    """Proof generation and verification p50, ZKredit vs snarkjs fullProve, in one run.

    ZKredit's figure is the whole product path (wasmtime witness + groth16py prove +
    verify-after-prove); snarkjs's is groth16.fullProve in a warm Node process.
    The 4-proof bundle is scenario 2's application proven by the process pool.
    """
    from zkredit.bench.zk import run_zk_bench

    report = run_zk_bench(iterations, workers, progress=not as_json)
    if as_json:
        typer.echo(json.dumps(report))
        return
    table = Table(title=f"zkredit bench zk (p50 of {iterations})")
    for col in (
        "circuit",
        "constraints",
        "zkredit prove",
        "snarkjs fullProve",
        "ratio",
        "zkredit verify",
        "snarkjs verify",
    ):
        table.add_column(col, justify="right")
    for c in report["circuits"]:
        table.add_row(
            c["name"],
            f"{c['constraints']:,}",
            f"{c['groth16py']['prove_p50_s']:.3f} s",
            f"{c['snarkjs']['prove_p50_s']:.3f} s",
            f"{c['prove_ratio']:.2f}",
            f"{c['groth16py']['verify_p50_s'] * 1000:.1f} ms",
            f"{c['snarkjs']['verify_p50_s'] * 1000:.1f} ms",
        )
    console.print(table)
    console.print(f"4-proof bundle ({workers} processes): {report['bundle_wall_s']:.3f} s wall")
    err_console.print("[dim]ratio = zkredit / snarkjs; lower is better.[/]")


@app.command("gas")
def bench_gas(
    rpc_url: str | None = typer.Option(
        None, "--rpc-url", help="Measure on this node (default: a fresh embedded chain)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Gas of verifying one proof, and a whole application, on chain.

    Proves scenario 2 for the chain's date, then measures checkProof for each circuit
    (the figure is the most expensive of the four) and the four-proof verifyAndAttest,
    on a fresh system deployed to the chain measured.
    Targets: <= 320,000 gas for one proof, <= 1,200,000 for an application.
    """
    from zkredit.bench.gas import APPLICATION_TARGET, SINGLE_PROOF_TARGET, run_gas_bench

    report = run_gas_bench(rpc_url)
    if as_json:
        typer.echo(json.dumps(report.summary()))
        return
    table = Table(title=f"zkredit bench gas ({report.chain})")
    for col in ("transaction", "gas", "target"):
        table.add_column(col, justify="right")
    for name, gas in report.per_circuit.items():
        table.add_row(f"checkProof {name}", f"{gas:,}", f"{SINGLE_PROOF_TARGET:,}")
    table.add_row(
        "verifyAndAttest (4 proofs)",
        f"{report.verify_and_attest_gas:,}",
        f"{APPLICATION_TARGET:,}",
    )
    console.print(table)
    verdict = "[green]within targets[/]" if report.within_targets else "[bold red]over target[/]"
    err_console.print(verdict)


@app.command("e2e")
def bench_e2e(
    runs: int = typer.Option(3, "--runs", "-n", min=1, help="Timed scenario-2 runs per chain."),
    requests: int = typer.Option(200, "--requests", min=10,
                                 help="Requests per endpoint for the latency figures."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    anvil: bool = typer.Option(True, "--anvil/--no-anvil", help="Measure on anvil."),
    pyevm: bool = typer.Option(True, "--pyevm/--no-pyevm", help="Measure on py-evm."),
    telemetry: bool = typer.Option(
        True, "--telemetry-cost/--no-telemetry-cost",
        help="Also measure quote latency with ENABLE_TELEMETRY=false and =true."),
    baseline_ref: str | None = typer.Option(
        None, "--baseline-ref", metavar="REF",
        help="With --telemetry-cost: also time the quote endpoint on REF (the commit before "
             "telemetry), from a throwaway git worktree, in rounds interleaved with off "
             "and on; reports off_vs_baseline_p50 and on_vs_baseline_p50."),
    baseline_rounds: int = typer.Option(
        5, "--baseline-rounds", min=1,
        help="Rounds of (REF, off, on), a fresh system each, --requests quotes each."),
    current_ref: str | None = typer.Option(
        None, "--current-ref", metavar="REF",
        help="With --baseline-ref: measure off and on at REF (another throwaway worktree) "
             "instead of the code this command runs from, e.g. HEAD when the working "
             "tree holds unfinished changes."),
) -> None:
    """Scenario 2 wall time (application to on-chain attestation) and endpoint latency.

    Starts the whole system (agents, chain, deployment) on anvil from npm and on the
    embedded py-evm chain; reports the median of --runs scenario-2 applications on each,
    and p50/p99 of the remittance quote and health endpoints. Target: <= 3 s on anvil.
    """
    from zkredit.bench.e2e import run_e2e_bench

    if (baseline_ref or current_ref) and not telemetry:
        raise InputError("--baseline-ref and --current-ref measure the telemetry cost",
                         hint="Drop --no-telemetry-cost.")
    if current_ref and not baseline_ref:
        raise InputError("--current-ref needs --baseline-ref",
                         hint="Name the commit to compare with, e.g. --baseline-ref REF.")
    report = run_e2e_bench(runs, requests, anvil=anvil, pyevm=pyevm, telemetry_cost=telemetry,
                           baseline_ref=baseline_ref, baseline_rounds=baseline_rounds,
                           current_ref=current_ref)
    if as_json:
        typer.echo(json.dumps(report))
        return
    table = Table(title="zkredit bench e2e")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for key in ("scenario2_anvil_s", "scenario2_pyevm_s"):
        if key in report:
            table.add_row(key, f"{report[key]:.3f} s")
    for name, lat in report.get("latency", {}).items():
        table.add_row(f"{name} p50 / p99", f"{lat['p50_ms']} / {lat['p99_ms']} ms")
    cost = report.get("telemetry") or {}
    for label in ("off", "on"):
        lat = cost.get(f"quote_telemetry_{label}")
        if lat:
            table.add_row(f"quote, telemetry {label}, p50 / p99",
                          f"{lat['p50_ms']} / {lat['p99_ms']} ms")
    if cost.get("quote_baseline"):
        lat = cost["quote_baseline"]
        table.add_row(f"quote, {cost['baseline_commit'][:12]}, p50 / p99",
                      f"{lat['p50_ms']} / {lat['p99_ms']} ms")
    if cost.get("on_vs_off_p50") is not None:
        table.add_row("quote p50, telemetry on / off", f"{cost['on_vs_off_p50']:.3f}")
    for label in ("off", "on"):
        ratio = cost.get(f"{label}_vs_baseline_p50")
        if ratio is not None:
            table.add_row(f"quote p50, telemetry {label} / baseline", f"{ratio:.3f}")
    console.print(table)


@app.command("http")
def bench_http(
    duration: int = typer.Option(10, "--duration", "-d", min=1,
                                 help="Seconds of load per endpoint."),
    connections: int = typer.Option(32, "--connections", "-c", min=1,
                                    help="Concurrent keep-alive connections."),
    url: str | None = typer.Option(
        None, "--url",
        help="Gateway base URL of a running system; the agents it lists in /api/health "
             "are reached at their configured addresses (agents.* settings, e.g. "
             "REMITTANCE_AGENT_PORT). Default: start a system in this process."),
    tool: str = typer.Option("auto", "--tool",
                             help="Load generator: auto (wrk when on PATH), wrk or builtin."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Req/s, p50, p99 and errors of the gateway's /api/health, an agent's /health and
    the remittance agent's POST /quotes, under a closed loop of --connections.

    Each req/s is also given as a ratio to the same server's /health/live (no work),
    loaded just before it in the same run: the figure to compare across machines.
    Errors are answers >= 400, connection errors and timeouts.
    """
    from zkredit.bench.http import run_http_bench

    def say(message: str) -> None:
        err_console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {message}", highlight=False)

    report = run_http_bench(url, duration_s=duration, connections=connections, tool=tool,
                            say=None if as_json else say)
    if as_json:
        typer.echo(json.dumps(report))
        return
    table = Table(title=f"zkredit bench http ({report['tool']}, {connections} connections, "
                        f"{duration} s each, {report['system']})")
    for col in ("endpoint", "req/s", "ratio", "p50", "p99", "errors"):
        table.add_column(col, justify="left" if col == "endpoint" else "right")
    for t in report["targets"].values():
        ratio = ("ref" if t["reference"] is None else "-" if t["rps_ratio"] is None
                 else f"{t['rps_ratio']:.2f}")
        table.add_row(t["label"], f"{t['rps']:,.0f}", ratio, f"{t['p50_ms']:.1f} ms",
                      f"{t['p99_ms']:.1f} ms",
                      f"[red]{t['errors']:,}[/]" if t["errors"] else "0")
    console.print(table)
    err_console.print("[dim]ratio = req/s / req/s of the same server's /health/live (ref), "
                      "loaded just before; higher is better.[/]")


@app.command("chaos")
def bench_chaos(
    flows: int = typer.Option(10, "--flows", min=1, help="Money flows to run under faults."),
    seed: int = typer.Option(1, "--seed", help="Same seed, same faults at the same moments."),
    database_url: str = typer.Option(
        "postgresql://postgres@127.0.0.1:5432/test", "--database-url", envvar="TEST_DATABASE_URL",
        help="PostgreSQL the drill may use (its schemas are dropped at the end)."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep the drill's state and logs here (default: a temporary "
        "directory, removed afterwards)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The fault drill: N flows (remittances, refunds, loans) while processes, Redis, the
    chain and database connections fail at seeded moments; then exactly-once checks.

    Needs anvil (npm), redis-server and PostgreSQL. Exits non-zero on any duplicate, any
    lost record, an unbalanced ledger, a failed reconciliation or audit check, or a flow
    that did not reach its end.

    Example: zkredit bench chaos --flows 50 --seed 7 --json
    """
    import shutil
    import tempfile

    from zkredit.bench.chaos import Drill

    root = data_dir or Path(tempfile.mkdtemp(prefix="zkredit-chaos-"))
    say = (lambda _m: None) if as_json else (lambda m: err_console.print(m, highlight=False))
    try:
        report = Drill(root, flows, seed, database_url, say=say).run()
    finally:
        if data_dir is None:
            shutil.rmtree(root, ignore_errors=True)
    if as_json:
        typer.echo(json.dumps({k: v for k, v in report.items() if k != "outcomes"}))
    else:
        for key in ("flows", "completed", "faults", "duplicates", "lost", "reconciliation",
                    "audit", "wall_s"):
            console.print(f"{key:15s} {report[key]}", highlight=False)
        for problem in report["problems"]:
            err_console.print(f"problem: {problem}", highlight=False)
    if report["problems"] or report["duplicates"] or report["lost"]:
        raise typer.Exit(1)
