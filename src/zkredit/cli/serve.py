"""``zkredit serve``: run the agent services."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from zkredit.cli.output import console
from zkredit.errors import InputError

NAMES = ("all", "worker", "credit", "remittance", "receiver", "gateway")


def serve(
    what: str = typer.Argument("all", help="all | worker | credit | remittance | receiver | "
                               "gateway"),
    data_dir: Path = typer.Option(Path("data"), "--data-dir",
                                  help="State of every party under DIR/<party>/."),
    rpc_url: str | None = typer.Option(
        None, "--rpc-url", envvar="RPC_URL",
        help="JSON-RPC node (required to run agents in separate processes)."),
    database_url: str | None = typer.Option(None, "--database-url", envvar="DATABASE_URL"),
    redis_url: str | None = typer.Option(None, "--redis-url", envvar="REDIS_URL"),
    rail_latency_ms: int = typer.Option(0, "--rail-latency-ms",
                                        help="Sandbox payout rail latency (testing)."),
    port_base: int = typer.Option(3000, "--port-base",
                                  help="Gateway port; agents take the next four."),
    schema_prefix: str | None = typer.Option(
        None, "--schema-prefix",
        help="Prefix of the PostgreSQL schemas (<prefix>_<party>) and Redis namespaces, so "
             "several systems can share one server (testing)."),
) -> None:
    """Run the agents on the seed's ports (3000 gateway, 3001-3004 agents).

    `zkredit serve all` runs everything in one process (embedded chain unless --rpc-url).
    A single agent needs --rpc-url, since the embedded chain lives in one process; the
    contracts are deployed (idempotently) on first start. Stop with Ctrl-C.
    """
    from zkredit.demo.system import SEED_PORTS, LiveSystem

    if what not in NAMES:
        raise InputError(f"unknown service {what!r}; choose one of {', '.join(NAMES)}")
    if what != "all" and not rpc_url:
        raise InputError(
            f"`zkredit serve {what}` needs --rpc-url: agents in separate processes share a "
            "real chain", hint="Start one with `zkredit chain up`, or run `zkredit serve all`.")
    only = frozenset(SEED_PORTS) if what == "all" else frozenset({what})
    system = LiveSystem(data_dir, rpc_url=rpc_url, database_url=database_url,
                        redis_url=redis_url,
                        ports={n: p - 3000 + port_base for n, p in SEED_PORTS.items()}, only=only,
                        capture_bodies=False, rail_latency_s=rail_latency_ms / 1000,
                        schema_prefix=schema_prefix)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    system.start()
    try:
        for name in sorted(system.servers):
            console.print(f"{name:10s} http://127.0.0.1:{system.ports[name]}")
        console.print("[green]serving[/] (Ctrl-C to stop)")
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        system.stop()
