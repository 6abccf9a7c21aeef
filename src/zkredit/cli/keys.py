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


rotate_app = typer.Typer(help="Rotate keys: the worker's vault key, an agent's wallet.",
                         no_args_is_help=True)
app.add_typer(rotate_app, name="rotate")


@rotate_app.command("vault")
def rotate_vault(
    env: str | None = typer.Option(None, "--env", help="Environment whose settings to use."),
    data_dir: Path | None = typer.Option(None, "--data-dir", help="ZKREDIT_DATA_DIR."),
    database_url: str | None = typer.Option(None, "--database-url", help="DATABASE_URL."),
    schema_prefix: str | None = typer.Option(None, "--schema-prefix",
                                             help="As given to `zkredit serve`."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Re-seal every vault item under ENCRYPTION_KEY.

    First set the new key as ENCRYPTION_KEY and the old one as ENCRYPTION_KEY_PREVIOUS
    (both open items meanwhile), then run this. Each item is re-sealed in its own
    transaction: interrupted, it loses nothing, and running it again finishes. When it
    reports 0 re-sealed, remove ENCRYPTION_KEY_PREVIOUS.
    """
    from zkredit.agents.worker.rotation import reseal_vault
    from zkredit.agents.worker.vault import Keyring
    from zkredit.errors import ConfigurationError
    from zkredit.settings import load_settings
    from zkredit.store.db import Database

    settings = load_settings(check=False, env=env,
                             app={"data_dir": data_dir} if data_dir else {},
                             database={"url": database_url} if database_url else {})
    sec = settings.security
    if not sec.encryption_key_previous.strip():
        raise ConfigurationError(
            "ENCRYPTION_KEY_PREVIOUS is not set: there is no old key to rotate from",
            hint="Set the new key as ENCRYPTION_KEY and the old one as ENCRYPTION_KEY_PREVIOUS.")
    keyring = Keyring.from_settings(sec.encryption_key, sec.encryption_key_previous,
                                    development=settings.is_development)
    db = Database.open("worker", settings.database.url, settings.app.data_dir,
                       schema=f"{schema_prefix}_worker" if schema_prefix else None,
                       create=False)
    try:
        report = reseal_vault(db, keyring)
    finally:
        db.dispose()
    if as_json:
        typer.echo(json.dumps(report.to_json()))
        return
    console.print(f"re-sealed {report.resealed} blobs of {report.identities} identities and "
                  f"{report.items} vault items under the current ENCRYPTION_KEY",
                  highlight=False)


@rotate_app.command("agent")
def rotate_agent(
    agent: str = typer.Argument(..., help=f"One of: {', '.join(AGENT_NAMES)}."),
    env: str | None = typer.Option(None, "--env", help="Environment whose settings to use."),
    rpc_url: str | None = typer.Option(None, "--rpc-url", help="JSON-RPC node (RPC_URL)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Give AGENT a fresh signing key: the registry's owner (PRIVATE_KEY) points the agent
    at it with setAgentWallet, the deployment record and the keystore follow.

    Interrupted, run it again: it finishes with the same new key. Restart the agent
    afterwards; its peers refuse the old key within 30 s.
    """
    from eth_account import Account

    from zkredit.bootstrap import open_chain
    from zkredit.ops.agent_keys import rotate_agent_key
    from zkredit.settings import load_settings

    settings = load_settings(check=False, env=env,
                             chain={"rpc_url": rpc_url} if rpc_url else {})
    chain = open_chain(settings)
    owner = Account.from_key(settings.chain.private_key)
    chain.client.add_account(owner)
    done = rotate_agent_key(agent, Keystore(settings.app.keystore_dir), read_password(), chain,
                            owner, settings.app.deployments_dir)
    if as_json:
        typer.echo(json.dumps(done.to_json()))
        return
    console.print(f"{agent}: {done.old_wallet} -> {done.new_wallet}; restart the agent",
                  highlight=False)
