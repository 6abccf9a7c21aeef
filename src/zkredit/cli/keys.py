"""``zkredit keys``: the agents' encrypted signing keys."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from zkredit.cli.output import console, err_console
from zkredit.keystore import AGENT_NAMES, PASSWORD_ENV, PASSWORD_FILE_ENV, Keystore, read_password

app = typer.Typer(
    help=(
        "The agents' signing keys, in encrypted keystores (one file per agent).\n\n"
        f"The password comes from {PASSWORD_FILE_ENV} (a secret file) or {PASSWORD_ENV}; "
        "it is never an argument.\n\n"
        "Example:\n\n"
        "  export ZKREDIT_KEYSTORE_PASSWORD_FILE=/run/secrets/keystore\n\n"
        "  for a in worker credit remittance receiver; do zkredit keys new --agent $a; done\n\n"
        "  zkredit keys list"
    ),
    no_args_is_help=True,
)

_DIR_HELP = "Keystore directory (default: the environment's keystore_dir)."


def _keystore(directory: Path | None, env: str | None) -> Keystore:
    if directory is not None:
        return Keystore(directory)
    from zkredit.settings import load_settings

    return Keystore(load_settings(check=False, env=env).app.keystore_dir)


@app.command("new")
def new(
    agent: str = typer.Option(..., "--agent", help=f"One of: {', '.join(AGENT_NAMES)}."),
    directory: Path | None = typer.Option(None, "--dir", help=_DIR_HELP),
    env: str | None = typer.Option(None, "--env", help="Environment whose settings to use."),
    force: bool = typer.Option(False, "--force", help="Replace an existing keystore."),
) -> None:
    """Make a fresh random key for AGENT and store it encrypted; prints its address.

    The agent's wallet must then be registered on chain: `zkredit deploy` does it.
    """
    store = _keystore(directory, env)
    address = store.create(agent, read_password(), overwrite=force)
    err_console.print(f"wrote {store.path(agent)} (0600)", highlight=False)
    console.print(f"{agent} {address}", highlight=False)


@app.command("list")
def list_keys(
    directory: Path | None = typer.Option(None, "--dir", help=_DIR_HELP),
    env: str | None = typer.Option(None, "--env", help="Environment whose settings to use."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The agents' addresses (never their keys); no password needed."""
    store = _keystore(directory, env)
    addresses = store.addresses()
    if as_json:
        typer.echo(json.dumps({"directory": str(store.directory), "agents": addresses}))
        return
    for agent in AGENT_NAMES:
        console.print(f"{agent:10s} {addresses.get(agent, '(no keystore)')}", highlight=False)
