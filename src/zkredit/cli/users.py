"""``zkredit users``: the accounts that may call the agents' APIs, and the token key."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import typer

from zkredit.cli.output import console, err_console
from zkredit.errors import InputError

app = typer.Typer(
    help=(
        "Accounts of the people and services who call the agents' HTTP APIs, with their "
        "roles (worker, lender, compliance, receiver_operator, operator, agent).\n\n"
        "Passwords are read from standard input (--password-stdin) or a hidden prompt, "
        "never from arguments; they are stored as argon2 hashes.\n\n"
        "Example:\n\n"
        "  zkredit users keygen --env production       # once: the token-signing key\n\n"
        "  printf '%s\\n' \"$PW\" | zkredit users add maria --role worker --password-stdin\n\n"
        "  zkredit users list\n\n"
        "  zkredit users disable maria"
    ),
    no_args_is_help=True,
)

_ENV = typer.Option(None, "--env", help="Environment whose settings to use.")
_DATA = typer.Option(None, "--data-dir", help="State directory (ZKREDIT_DATA_DIR).")
_DB = typer.Option(None, "--database-url", help="PostgreSQL URL (DATABASE_URL).")
_PREFIX = typer.Option(None, "--schema-prefix",
                       help="Prefix of the PostgreSQL schemas, as given to `zkredit serve`.")


def _settings(env: str | None, data_dir: Path | None, database_url: str | None) -> Any:
    from zkredit.settings import load_settings

    return load_settings(check=False, env=env,
                         app={"data_dir": data_dir} if data_dir else {},
                         database={"url": database_url} if database_url else {})


def _store(env: str | None, data_dir: Path | None, database_url: str | None,
           prefix: str | None) -> Any:
    from zkredit.bootstrap import build_access_store

    return build_access_store(_settings(env, data_dir, database_url), prefix)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline().rstrip("\r\n")
        if not line:
            raise InputError("no password on standard input")
        return line
    if not sys.stdin.isatty():
        raise InputError("no terminal to prompt for the password",
                         hint="Pipe it in with --password-stdin.")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@app.command("add")
def add(
    username: str = typer.Argument(..., help="The login name."),
    role: str = typer.Option(..., "--role", help="Comma-separated roles, e.g. worker or "
                             "lender,operator."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
    env: str | None = _ENV, data_dir: Path | None = _DATA,
    database_url: str | None = _DB, schema_prefix: str | None = _PREFIX,
) -> None:
    """Create a user with ROLE(s); prints its id."""
    from zkredit.users.roles import parse_roles

    try:
        roles = parse_roles(role)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    store = _store(env, data_dir, database_url, schema_prefix)
    try:
        account = store.add_user(username, _password(password_stdin), roles)
    finally:
        store.db.dispose()
    err_console.print(f"added {account.username} ({', '.join(sorted(roles))})", highlight=False)
    console.print(account.id, highlight=False)


@app.command("list")
def list_users(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    env: str | None = _ENV, data_dir: Path | None = _DATA,
    database_url: str | None = _DB, schema_prefix: str | None = _PREFIX,
) -> None:
    """Every user: name, roles, disabled or not (never a password or token)."""
    store = _store(env, data_dir, database_url, schema_prefix)
    try:
        accounts = store.users()
    finally:
        store.db.dispose()
    if as_json:
        typer.echo(json.dumps({"users": [a.to_json() for a in accounts]}))
        return
    for a in accounts:
        state = "disabled" if a.disabled else "active"
        console.print(f"{a.username:24s} {','.join(sorted(a.roles)):32s} {state}",
                      highlight=False)


@app.command("disable")
def disable(
    username: str = typer.Argument(...),
    env: str | None = _ENV, data_dir: Path | None = _DATA,
    database_url: str | None = _DB, schema_prefix: str | None = _PREFIX,
) -> None:
    """Refuse USERNAME's logins and refresh tokens from now on (access tokens end within
    ZKREDIT_ACCESS_TOKEN_TTL_S, 600 s by default)."""
    store = _store(env, data_dir, database_url, schema_prefix)
    try:
        store.disable(username)
    finally:
        store.db.dispose()
    console.print(f"disabled {username}", highlight=False)


@app.command("keygen")
def keygen(
    env: str | None = _ENV,
    force: bool = typer.Option(False, "--force", help="Replace the key: every token it "
                               "signed stops working."),
) -> None:
    """Make the Ed25519 key that signs access tokens (encrypted with the keystore
    password, 0600, at ZKREDIT_JWT_KEY_FILE or <keystore_dir>/jwt-signing.pem)."""
    from zkredit.keystore import read_password
    from zkredit.users.tokens import key_path, write_private_key

    settings = _settings(env, None, None)
    path = key_path(settings)
    public = write_private_key(path, settings.app.read_keystore_password() or read_password(),
                               overwrite=force)
    err_console.print(f"wrote {path} (0600, encrypted)", highlight=False)
    console.print(public.strip(), highlight=False)
