"""``zkredit worker prover``: processes that prove the worker agent's statements."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from zkredit.cli.output import err_console

app = typer.Typer(help="Background workers that consume the Redis job queue.",
                  no_args_is_help=True)


@app.command("prover")
def prover(
    env: str | None = typer.Option(None, "--env", help="Environment (default ZKREDIT_ENV)."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="ZKREDIT_DATA_DIR."),
    deployments_dir: Path | None = typer.Option(None, "--deployments-dir",
                                                help="ZKREDIT_DEPLOYMENTS_DIR."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="RPC_URL."),
    database_url: str | None = typer.Option(None, "--database-url", help="DATABASE_URL."),
    redis_url: str | None = typer.Option(None, "--redis-url", help="REDIS_URL."),
    processes: int = typer.Option(2, "--processes", min=1,
                                  help="Warm proving processes in this worker."),
    schema_prefix: str | None = typer.Option(None, "--schema-prefix",
                                             help="As `zkredit serve --schema-prefix`."),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve /metrics here (default METRICS_PORT, 9090; "
        "0: none, e.g. for a second worker on one host)."),
) -> None:
    """Prove the worker agent's statements from the `prove` queue, until SIGTERM.

    Start the worker agent with `zkredit serve worker --external-provers`; then any
    number of these share the proofs of concurrent applications. Each reads the
    statement from the worker's vault (same database and ENCRYPTION_KEY as the worker
    agent): it is on the worker's side of the privacy line.
    """
    from zkredit.bootstrap import (
        AgentOptions,
        ZKServices,
        agent_account,
        build_prover_worker,
        open_chain,
        require_startable,
    )
    from zkredit.cli.serve import ServeOptions

    opts = ServeOptions(env, data_dir, deployments_dir, rpc_url, database_url, redis_url,
                        None, None, 0, schema_prefix, True)
    from zkredit.telemetry import serve_process_metrics, setup_telemetry

    settings = opts.settings()
    zk = ZKServices.build(settings)
    setup_telemetry(settings, "prover", catalog=zk.catalog)
    require_startable(settings, zk, "a prover worker")
    host = build_prover_worker(
        settings, open_chain(settings), agent_account(settings, "worker"), zk,
        AgentOptions(schema_prefix=schema_prefix, prover_processes=processes,
                     inprocess_workers=processes))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    port = settings.telemetry.metrics_port if metrics_port is None else metrics_port
    metrics = serve_process_metrics(port) if port else None
    host.start()
    err_console.print(f"prover worker ({settings.app.env.value}) consuming the prove queue",
                      highlight=False)
    try:
        stop.wait()
    finally:
        host.stop(timeout=30)
        if metrics is not None:
            metrics[0].shutdown()
