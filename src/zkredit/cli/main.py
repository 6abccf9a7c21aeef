"""Entry point of the ``zkredit`` command."""

from __future__ import annotations

import sys

import typer

from zkredit import __version__
from zkredit.cli import (
    audit,
    bench,
    ceremony,
    chain,
    circuits,
    config,
    credential,
    deploy,
    issuer,
    jobs,
    keys,
    ledger,
    proofs,
    serve,
    users,
    worker,
)
from zkredit.cli import backup as ops_backup  # operations tools (issue 12)
from zkredit.cli import doctor as ops_doctor
from zkredit.cli import health as ops_health
from zkredit.cli import perf as ops_perf
from zkredit.cli import security as ops_security
from zkredit.cli.output import ExitStatus, Funnel

app = typer.Typer(
    name="zkredit",
    help=(
        "ZKredit: prove income, credit history, collateral and KYC status to a lender "
        "without revealing them.\n\n"
        "Start with `zkredit demo`, or `zkredit circuits list` to see the circuits."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"zkredit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    traceback: bool = typer.Option(
        False, "--traceback", help="Print the full Python traceback on errors."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """ZKredit command line."""
    Funnel.show_traceback = traceback


circuits.app.command("examples")(proofs.circuit_examples)  # scenario 2, demo data
app.add_typer(circuits.app, name="circuits")
app.add_typer(config.app, name="config")
app.add_typer(credential.app, name="credential")
app.add_typer(bench.app, name="bench")
app.add_typer(audit.app, name="audit")
app.add_typer(jobs.app, name="jobs")
app.add_typer(issuer.app, name="issuer")
app.add_typer(keys.app, name="keys")
app.add_typer(users.app, name="users")
app.add_typer(worker.app, name="worker")
app.add_typer(chain.app, name="chain")
chain.application_app.command("inputs")(proofs.application_inputs)
app.add_typer(chain.application_app, name="application")
app.add_typer(ceremony.app, name="ceremony")
app.command("prove")(proofs.prove)
app.command("verify")(proofs.verify)
app.command("demo")(proofs.demo)
app.command("serve")(serve.serve)
app.command("deploy")(deploy.deploy)
app.command("attest")(chain.attest)
app.command("health")(ops_health.health)
app.add_typer(ops_backup.app, name="backup")
app.command("doctor")(ops_doctor.doctor)
app.add_typer(ops_security.app, name="security")
app.command("perf")(ops_perf.perf)
app.add_typer(ledger.app, name="ledger")


def run() -> None:
    """Console-script entry: every error goes through the one funnel."""
    try:
        # Without standalone mode Click returns a typer.Exit's code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt) as exc:
        sys.exit(Funnel.handle(KeyboardInterrupt() if isinstance(exc, typer.Abort) else exc))
    except SystemExit:
        raise
    except BaseException as exc:  # groth16py panics derive from BaseException
        # Usage errors (bad option, missing argument) come from Typer's bundled click.
        show, code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            sys.exit(int(ExitStatus.BAD_INPUT))
        sys.exit(Funnel.handle(exc))


if __name__ == "__main__":
    run()
