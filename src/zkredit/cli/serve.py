"""``zkredit serve``: run one agent in this process, or all of them under a supervisor."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer

from zkredit.cli.output import console, err_console
from zkredit.errors import InputError
from zkredit.settings import Settings

NAMES = ("all", "gateway", "worker", "credit", "remittance", "receiver")
OFFSETS = {"gateway": 0, "worker": 1, "credit": 2, "remittance": 3, "receiver": 4}
GRACE_S = 30.0
RESTART_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class ServeOptions:
    """What ``zkredit serve`` was asked for, passed unchanged from supervisor to agents."""

    env: str | None
    data_dir: Path | None
    deployments_dir: Path | None
    rpc_url: str | None
    database_url: str | None
    redis_url: str | None
    port_base: int | None
    host: str | None
    rail_latency_ms: int
    schema_prefix: str | None
    external_provers: bool
    rail_fail_accounts: str | None = None

    def settings(self, *, check: bool = False) -> Settings:
        from zkredit.settings import load_settings

        app: dict[str, Any] = {}
        agents: dict[str, Any] = {}
        if self.data_dir is not None:
            app["data_dir"] = self.data_dir
        if self.deployments_dir is not None:
            app["deployments_dir"] = self.deployments_dir
        if self.port_base is not None:
            app["port"] = self.port_base
            agents = {f"{n}_port": self.port_base + o for n, o in OFFSETS.items() if o}
        return load_settings(
            check=check, env=self.env, app=app, agents=agents,
            chain={"rpc_url": self.rpc_url} if self.rpc_url else {},
            database={"url": self.database_url} if self.database_url else {},
            queue={"redis_url": self.redis_url} if self.redis_url else {},
        )

    def argv(self, name: str, settings: Settings) -> list[str]:
        """The command line that runs agent ``name`` alone with these options."""
        args = [sys.executable, "-m", "zkredit.cli.main", "serve", name,
                "--env", settings.app.env.value,
                "--data-dir", str(settings.app.data_dir),
                "--deployments-dir", str(settings.app.deployments_dir),
                "--rail-latency-ms", str(self.rail_latency_ms)]
        for flag, value in (("--rpc-url", settings.chain.rpc_url),
                            ("--database-url", self.database_url),
                            ("--redis-url", self.redis_url),
                            ("--port-base", self.port_base),
                            ("--host", self.host),
                            ("--schema-prefix", self.schema_prefix),
                            ("--rail-fail-accounts", self.rail_fail_accounts)):
            if value is not None:
                args += [flag, str(value)]
        if self.external_provers:
            args.append("--external-provers")
        return args


def serve(
    what: str = typer.Argument("all", help="all | gateway | worker | credit | remittance | "
                               "receiver"),
    env: str | None = typer.Option(
        None, "--env", help="Environment (environments/ENV.yml); default ZKREDIT_ENV, else "
        "development."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="State of every party under DIR/<party>/ (ZKREDIT_DATA_DIR)."),
    deployments_dir: Path | None = typer.Option(
        None, "--deployments-dir", help="Where deployments/<chainId>.json lives "
        "(ZKREDIT_DEPLOYMENTS_DIR)."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="JSON-RPC node (RPC_URL)."),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="PostgreSQL URL (DATABASE_URL)."),
    redis_url: str | None = typer.Option(None, "--redis-url", help="Redis URL (REDIS_URL)."),
    rail_latency_ms: int = typer.Option(0, "--rail-latency-ms",
                                        help="Sandbox payout rail latency (testing)."),
    rail_fail_accounts: str | None = typer.Option(
        None, "--rail-fail-accounts", help="Regex: the sandbox rail reports these recipient "
        "accounts closed, so their payouts fail and are refunded (testing)."),
    port_base: int | None = typer.Option(
        None, "--port-base", help="Gateway port; the agents take the next four "
        "(default: the environment's ports, 3000-3004)."),
    host: str | None = typer.Option(None, "--host", help="Bind address (default 127.0.0.1; "
                                    "0.0.0.0 in a container)."),
    schema_prefix: str | None = typer.Option(
        None, "--schema-prefix",
        help="Prefix of the PostgreSQL schemas (<prefix>_<party>) and Redis namespaces, so "
             "several systems can share one server (testing)."),
    external_provers: bool = typer.Option(
        False, "--external-provers",
        help="Send the worker agent's proofs to `zkredit worker prover` processes (Redis)."),
) -> None:
    """Run the agents: one per process, or all of them under a small supervisor.

    `zkredit serve credit --env test` builds the credit agent from the environment, the
    deployment record and its keystore, refuses to start on unsafe settings or keys
    (outside development), migrates its database, then listens on its port. SIGTERM
    stops taking requests, lets in-flight work finish or park, then exits.

    `zkredit serve all` starts the gateway and the four agents as separate processes and
    restarts any that dies. In development it also brings the chain up (anvil, unless
    --rpc-url) and deploys the contracts; elsewhere deploy first with `zkredit deploy`.

    Examples:

      zkredit serve all                                   # development, on 3000-3004

      zkredit deploy --env test --rpc-url $RPC_URL && zkredit serve all --env test
    """
    if what not in NAMES:
        raise InputError(f"unknown service {what!r}; choose one of {', '.join(NAMES)}")
    opts = ServeOptions(env, data_dir, deployments_dir, rpc_url, database_url, redis_url,
                        port_base, host, rail_latency_ms, schema_prefix, external_provers,
                        rail_fail_accounts)
    if what == "all":
        Supervisor(opts).run()
    else:
        serve_one(what, opts)


# -- one agent, in the foreground ------------------------------------------------------------


def serve_one(name: str, opts: ServeOptions) -> None:
    import uvicorn

    from zkredit.bootstrap import (
        AgentOptions,
        ZKServices,
        agent_account,
        agent_urls,
        build_agent,
        build_gateway,
        open_chain,
        require_startable,
    )
    from zkredit.telemetry import setup_telemetry

    settings = opts.settings()
    zk = ZKServices.build(settings)
    setup_telemetry(settings, name, catalog=zk.catalog)
    require_startable(settings, zk, f"the {name} agent")
    hosted = None
    if name == "gateway":
        app = build_gateway(settings)
    else:
        account = agent_account(settings, name)  # refuses a label-derived key by name
        chain = open_chain(settings)
        options = AgentOptions(rail_latency_s=opts.rail_latency_ms / 1000,
                               rail_fail_accounts=opts.rail_fail_accounts,
                               schema_prefix=opts.schema_prefix,
                               external_provers=opts.external_provers)
        hosted = build_agent(name, settings, chain, account, zk, options)
        app = hosted.app
    url = agent_urls(settings)[name]
    port = int(url.rsplit(":", 1)[1])
    bind = opts.host or bind_address(getattr(settings.agents, f"{name}_host", "127.0.0.1"))
    tls: dict[str, Any] = {}
    if settings.security.tls_enabled:
        tls = {"ssl_certfile": str(settings.security.tls_cert),
               "ssl_keyfile": str(settings.security.tls_key)}
    config = uvicorn.Config(app, host=bind, port=port, log_level="warning", lifespan="off",
                            access_log=False, log_config=None,
                            timeout_graceful_shutdown=int(GRACE_S), **tls)
    server = _DrainingServer(config, app)
    if hosted is not None:
        hosted.start()
    err_console.print(f"{name} agent ({settings.app.env.value}) on http://{bind}:{port}",
                      highlight=False)
    try:
        server.run()
    finally:
        if hosted is not None:
            hosted.stop(timeout=GRACE_S)
        else:
            app.state.prober.stop()
    err_console.print(f"{name} agent stopped", highlight=False)


def bind_address(host: str) -> str:
    """Where to listen for a configured host: an address as given; a name (a compose or
    Kubernetes service others reach us by) on every interface."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "0.0.0.0"
    return host


class _DrainingServer:
    """uvicorn, with readiness turned off the moment SIGTERM arrives."""

    def __init__(self, config: Any, app: Any) -> None:
        import uvicorn

        app_state = app.state

        class Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                # uvicorn re-raises the signal after its graceful stop; we still have
                # background work to stop, and a graceful stop exits 0.
                for sig in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(sig, self.handle_exit)
                yield

            def handle_exit(self, sig: int, frame: Any) -> None:
                readiness = getattr(app_state, "readiness", None)
                if readiness is not None:
                    readiness.drain()
                super().handle_exit(sig, frame)

        self.server = Server(config)

    def run(self) -> None:
        self.server.run()
        if not self.server.started:
            from zkredit.errors import ZKreditError

            raise ZKreditError(
                f"could not listen on {self.server.config.host}:{self.server.config.port}",
                hint="Is the port in use? `zkredit serve --port-base N` moves every service.")


# -- all agents, supervised ---------------------------------------------------------------


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the supervisor dies, however it dies (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
    except OSError:
        pass


@dataclass
class Child:
    name: str
    argv: list[str]
    popen: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                      preexec_fn=_die_with_parent)


@dataclass
class Supervisor:
    """Starts the gateway and the four agents as separate ``zkredit serve NAME`` processes."""

    opts: ServeOptions
    children: dict[str, Child] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        settings = self.opts.settings()
        if settings.is_development:
            settings = self._prepare_development(settings)
        else:
            from zkredit.bootstrap import open_chain

            open_chain(settings)  # fails early, naming what is missing
        for name in ("worker", "credit", "remittance", "receiver", "gateway"):
            self.children[name] = Child(name, self.opts.argv(name, settings))
        signal.signal(signal.SIGTERM, lambda *_: self._stop.set())
        signal.signal(signal.SIGINT, lambda *_: self._stop.set())
        from zkredit.bootstrap import agent_urls

        urls = agent_urls(settings)
        for child in self.children.values():
            child.start()
            console.print(f"{child.name:10s} {urls[child.name]}  (pid {child.popen.pid})"
                          if child.popen else child.name, highlight=False)
        console.print("[green]serving[/] (Ctrl-C or SIGTERM to stop)")
        try:
            self._watch()
        finally:
            self._shutdown()

    def _prepare_development(self, settings: Settings) -> Settings:
        """The development chain (anvil unless given), the issuers, and the deployment."""
        import dataclasses

        from zkredit.bootstrap import ZKServices
        from zkredit.chain.client import ChainClient
        from zkredit.chain.config import development_config
        from zkredit.chain.connect import node_state_dir
        from zkredit.chain.node import AnvilNode
        from zkredit.issuers.registry import IssuerRegistry
        from zkredit.ops.deploy import DeployManager

        rpc_url = settings.chain.rpc_url
        if not rpc_url:
            node = AnvilNode(node_state_dir(settings))
            info, _started = node.start()  # the running one when `zkredit chain up` ran
            rpc_url = info.url
            err_console.print(f"development chain: anvil at {rpc_url}", highlight=False)
            self.opts = dataclasses.replace(self.opts, rpc_url=rpc_url)
            settings = self.opts.settings()
        client = ChainClient.connect(rpc_url)
        registry = IssuerRegistry.open(settings.app.data_dir / "issuers")
        config = development_config(settings, registry)
        run = DeployManager(settings, client, client.dev_accounts()[0], config,
                            settings.app.deployments_dir, zk=ZKServices.build(settings),
                            schema_prefix=self.opts.schema_prefix).run()
        registry.save()
        err_console.print(
            f"deployment: {run.path} ({run.transactions} transactions)", highlight=False)
        return settings

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            for child in self.children.values():
                assert child.popen is not None
                code = child.popen.poll()
                if code is None:
                    continue
                delay = RESTART_BACKOFF_S[min(child.restarts, len(RESTART_BACKOFF_S) - 1)]
                if time.monotonic() - child.started_at > 60:
                    child.restarts = 0  # it ran a while: a new failure, not a crash loop
                err_console.print(f"{child.name} exited with {code}; restarting in "
                                  f"{delay:g} s", highlight=False)
                if self._stop.wait(delay):
                    return
                child.restarts += 1
                child.start()

    def _shutdown(self) -> None:
        alive = [c.popen for c in self.children.values()
                 if c.popen is not None and c.popen.poll() is None]
        for popen in alive:
            popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S + 5
        for popen in alive:
            try:
                popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                popen.kill()
                popen.wait()
        err_console.print("stopped", highlight=False)

