"""``zkredit prove``, ``zkredit verify`` and the provisional ``zkredit demo``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer

from zkredit.bootstrap import ZKServices
from zkredit.cli.output import ExitStatus, console, err_console
from zkredit.errors import EncodingError, InputError, VerificationFailed
from zkredit.settings import load_settings
from zkredit.zk.proof import Proof


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{what} file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise EncodingError(f"{what} file {path} is not valid JSON: {exc}") from None


def prove(
    circuit: str = typer.Argument(
        ..., help="Circuit name: income, credit_history, collateral, identity."
    ),
    input_path: Path = typer.Option(
        ..., "--input", "-i", help="Circuit input JSON (signal -> value)."
    ),
    out: Path = typer.Option(Path("proof.json"), "--out", "-o", help="Where to write proof.json."),
    public_out: Path = typer.Option(
        Path("public.json"), "--public", "-p", help="Where to write public.json."
    ),
    calldata: Path | None = typer.Option(
        None, "--calldata", help="Also write Solidity calldata here."
    ),
) -> None:
    """Prove one statement from a circom input file.

    Writes snarkjs-compatible proof.json and public.json. The proof is verified
    before it is written; a false statement is refused with the failing check.

    Example: zkredit prove income --input circuits/examples/income.input.json
    """
    inputs = _read_json(input_path, "input")
    if not isinstance(inputs, dict):
        raise InputError(f"{input_path} must hold a JSON object of signal -> value")
    zk = ZKServices.build(load_settings())
    started = time.perf_counter()
    proof = zk.prover().prove(circuit, inputs)
    elapsed = time.perf_counter() - started
    out.write_text(json.dumps(proof.snarkjs_proof(), indent=1) + "\n")
    public_out.write_text(json.dumps(proof.snarkjs_public(), indent=1) + "\n")
    if proof.setup != "ceremony":
        err_console.print(
            f"[bold yellow]warning:[/] proved with {proof.setup} keys; "
            "the proof is marked and must not be trusted outside development"
        )
    if calldata:
        calldata.write_text(proof.solidity_calldata() + "\n")
    err_console.print(
        f"[green]proved[/] {circuit} in {elapsed:.2f} s and verified it; "
        f"wrote {out} and {public_out}"
    )


def verify(
    circuit: str = typer.Argument(..., help="Circuit name."),
    proof_path: Path = typer.Argument(..., help="snarkjs proof.json"),
    public_path: Path = typer.Argument(..., help="snarkjs public.json"),
) -> None:
    """Verify a proof against the committed verification key.

    Exit status 0: valid. 3: the proof is invalid. 2: the files are malformed.
    """
    zk = ZKServices.build(load_settings())
    spec = zk.catalog.get(circuit)
    public = _read_json(public_path, "public")
    if not isinstance(public, list):
        raise EncodingError(f"{public_path} must hold a JSON array of decimal strings")
    if len(public) != spec.n_public:
        raise InputError(
            f"{circuit} has {spec.n_public} public signals; {public_path} has {len(public)}"
        )
    proof = Proof.from_snarkjs(_read_json(proof_path, "proof"), public, circuit)
    from zkredit.zk.prover import Groth16pyBackend

    if not Groth16pyBackend(zk.catalog).verify(proof):
        raise VerificationFailed(f"the {circuit} proof is INVALID for these public signals")
    console.print(f"[green]valid[/] {circuit} proof")
    raise typer.Exit(int(ExitStatus.SUCCESS))


def demo(
    scenario: str = typer.Argument(
        "all", help="scenario1 | scenario2 | scenario3 | scenario4 | all"),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Keep every party's state under DIR/<party>/ "
        "(default: a temporary directory, removed afterwards)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    rpc_url: str | None = typer.Option(None, "--rpc-url",
                                       help="A JSON-RPC node (default: embedded py-evm)."),
    database_url: str | None = typer.Option(None, "--database-url",
                                            help="PostgreSQL URL (default: SQLite files)."),
    redis_url: str | None = typer.Option(None, "--redis-url",
                                         help="Redis URL (default: in-process job queue)."),
    serve: bool = typer.Option(
        False, "--serve", help="Then keep the system up on the seed's ports, the dashboard "
        "on http://localhost:3000, until Ctrl-C."),
) -> None:
    """Run the DOMAIN.md scenarios against real running agent services.

    Starts a chain (embedded unless --rpc-url), deploys the contracts, starts the
    worker, credit, remittance and receiver agents and the gateway on local ports,
    then plays: 1 a remittance, 2 a loan, 3 a decline, 4 a replay. Prints each step
    with its time, fees and FX, decisions, on-chain transactions and a privacy audit
    of what the other agents stored.
    """
    from zkredit.demo.run import SCENARIOS, print_report, run_scenarios
    from zkredit.telemetry import setup_telemetry

    setup_telemetry(load_settings(check=False, env="development"), "zkredit-demo")
    names = list(SCENARIOS) if scenario == "all" else [scenario]
    report = run_scenarios(names, data_dir, rpc_url=rpc_url, database_url=database_url,
                           redis_url=redis_url, progress=None if as_json else err_console,
                           hold=_hold(as_json) if serve else None)
    if serve:  # the report was printed while the system was up
        pass
    elif as_json:
        typer.echo(json.dumps(report, default=str))
    else:
        print_report(report, console)
    if any(s["status"] != "passed" for s in report["scenarios"]) or not report["privacy"]["clean"]:
        raise typer.Exit(int(ExitStatus.ERROR))


def _hold(as_json: bool) -> Any:
    """Print the report, then serve the dashboard until Ctrl-C or SIGTERM."""

    def hold(system: Any, report: dict[str, Any]) -> None:
        import contextlib
        import signal
        import threading

        from zkredit.demo.run import print_report
        from zkredit.demo.users import DEMO_USERS, demo_password

        if as_json:
            typer.echo(json.dumps(report, default=str))
        else:
            print_report(report, console)
        port = system.ports["gateway"]
        err_console.print(f"[green]dashboard[/] http://localhost:{port} — log in as "
                          + ", ".join(f"{u} ({sorted(r.value for r in roles)[0]})"
                                      for u, roles in DEMO_USERS.items())
                          + f"; the password of maria is '{demo_password('maria')}', "
                          "and so on. Ctrl-C to stop.", highlight=False)
        done = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()

    return hold


def application_inputs(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Directory for the four <circuit>.input.json."
    ),
    wallet: str | None = typer.Option(
        None, "--wallet", help="Wallet the proofs bind to (default: the sending account)."
    ),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="JSON-RPC node."),
    deployments_dir: Path | None = typer.Option(None, "--deployments-dir",
                                                help="Where <chainId>.json lives."),
    agent_id: int = typer.Option(
        0, "--agent-id", min=0,
        help="Lender agent the application is for (0: none). The proofs' scope is derived "
        "from it on chain, never chosen."),
    issuers_dir: Path | None = typer.Option(
        None, "--issuers-dir", help="Prove membership in this issuer registry's KYC tree."
    ),
) -> None:
    """Write scenario 2's four circuit inputs, valid on the deployed chain now.

    Uses the chain's date, the scope the verifier derives for --agent-id, WALLET, the
    deployed policy and the
    published KYC root, and prints the four `zkredit prove` commands to run next.
    Without --issuers-dir, in development, it first seeds the demo's issuers and KYC
    root on chain (as the deployer, who holds those roles there), since Samuel's
    credentials are signed by them."""
    from zkredit.chain.connect import connect, open_issuer_registry, resolve_sender
    from zkredit.chain.deployment import Deployment
    from zkredit.chain.inputs import chain_inputs
    from zkredit.chain.submit import proof_paths
    from zkredit.scenarios import SAMUEL, demo_kyc_tree
    from zkredit.settings import load_settings

    settings = load_settings(check=False)
    client = connect(settings, rpc_url)
    deployment = Deployment.load(deployments_dir or settings.app.deployments_dir, client.chain_id)
    if wallet is None:
        wallet = resolve_sender(client, settings).address
    tree = open_issuer_registry(issuers_dir).kyc_provider().tree if issuers_dir else None
    if tree is None and settings.is_development:
        seeded = _seed_demo_trust(deployment.system(client, resolve_sender(client, settings)))
        if seeded:
            err_console.print(f"[dim]seeded the demo on chain: {', '.join(seeded)}[/]")
    made = chain_inputs(deployment.system(client), wallet, applicant=SAMUEL,
                        kyc_tree=tree or demo_kyc_tree(), agent_id=agent_id)
    paths = made.write(out)
    for name, path in paths.items():
        proof, public = proof_paths(out, name)
        typer.echo(f"zkredit prove {name} --input {path} --out {proof} --public {public}")
    err_console.print(
        f"[green]wrote[/] {len(paths)} inputs for wallet {wallet}, scope {made.context.scope}, "
        f"date {made.context.today}; then run: zkredit attest --dir {out}"
    )


def _seed_demo_trust(system: Any) -> list[str]:
    """Trust the demo issuers and publish the demo KYC root, where the chain lacks them."""
    from zkredit.scenarios import demo_issuer_keys, demo_kyc_tree

    done = []
    for ctype, keys in demo_issuer_keys().items():
        for ax, ay in keys:
            if not system.kyc.is_trusted_issuer(ctype, ax, ay):
                system.kyc.add_issuer(ctype, ax, ay)
                done.append(f"issuer of type {ctype}")
    root = int(demo_kyc_tree().root)
    if system.kyc.root_timestamp(root) == 0:
        system.kyc.publish_root(root)
        done.append("KYC root")
    return done


def circuit_examples(
    out: Path = typer.Option(None, "--out", help="Directory (default: circuits/examples)."),
) -> None:
    """Write scenario 2's valid witness inputs, one <name>.input.json per circuit."""
    import json

    from zkredit.bootstrap import build_catalog
    from zkredit.scenarios import example_inputs

    catalog = build_catalog(load_settings())
    target = out or catalog.circuits_dir / "examples"
    target.mkdir(parents=True, exist_ok=True)
    for name, inputs in example_inputs().items():
        (target / f"{name}.input.json").write_text(json.dumps(inputs, indent=1) + "\n")
    console.print(f"wrote {len(catalog.names())} example inputs to {target}")
