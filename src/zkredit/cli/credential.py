"""``zkredit credential``: issuer-side signing of credentials."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from zkredit.cli.output import console
from zkredit.errors import EncodingError, InputError
from zkredit.zk.credentials import SCHEMAS, Credential, CredentialType, issue
from zkredit.zk.eddsa import IssuerKey
from zkredit.zk.field import from_decimal

app = typer.Typer(
    help="Issue (sign) and check credentials, as an issuer would.", no_args_is_help=True
)


def _schema_help() -> str:
    return "; ".join(
        f"{t.label}: " + ", ".join(f"{a.name}{'[6]' if a.count > 1 else ''}" for a in s)
        for t, s in SCHEMAS.items()
    )


@app.command("issue")
def issue_cmd(
    type_: str = typer.Option(..., "--type", help="income | credit_history | collateral | kyc"),
    subject: str = typer.Option(
        ..., "--subject", help="The holder's identity commitment (decimal or 0x hex)."
    ),
    attr: list[str] = typer.Option(
        [],
        "--attr",
        "-a",
        help="NAME=VALUE, repeatable; lists as comma-separated values. " + _schema_help(),
    ),
    attributes_file: Path | None = typer.Option(
        None, "--attributes", help="JSON file with the attributes instead of --attr."
    ),
    key: str = typer.Option(
        ...,
        "--key",
        envvar="ZKREDIT_ISSUER_KEY",
        help="Issuer private key: 64 hex chars, or @path to a file holding them.",
    ),
    issuer_name: str = typer.Option("", "--issuer-name", help="Label stored with the credential."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write JSON here (default stdout)."),
) -> None:
    """Sign a credential with EdDSA-Poseidon and print it as JSON.

    Example:

      zkredit credential issue --type credit_history --subject 123 --key @bureau.key
        -a score=745 -a historyMonths=48 -a defaults=0 -a latePayments=1 -a debtRatioBps=2500
    """
    ctype = CredentialType.parse(type_)
    attrs: dict[str, object] = {}
    if attributes_file is not None:
        try:
            attrs.update(json.loads(attributes_file.read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"cannot read attributes from {attributes_file}: {exc}") from None
    for item in attr:
        name, sep, value = item.partition("=")
        if not sep:
            raise InputError(f"--attr expects NAME=VALUE. Got {item!r}")
        attrs[name.strip()] = [v.strip() for v in value.split(",")] if "," in value else value
    key_text = Path(key[1:]).read_text().strip() if key.startswith("@") else key
    try:
        issuer = IssuerKey.from_hex(key_text)
    except EncodingError as exc:
        raise InputError(f"--key: {exc.message}") from None
    credential = Credential.build(
        ctype,
        from_decimal(subject, name="subject"),
        {k: [int(x) for x in v] if isinstance(v, list) else _int(k, v) for k, v in attrs.items()},
    )
    signed = issue(credential, issuer, issuer_name)
    text = signed.to_json()
    if out:
        out.write_text(text + "\n")
        console.print(f"wrote {ctype.label} credential to {out}")
    else:
        typer.echo(text)


def _int(name: str, value: object) -> int:
    text = str(value).strip()
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        raise InputError(f"{name} must be an integer. Got {value!r}") from None


@app.command("keygen")
def keygen(out: Path = typer.Option(..., "--out", "-o", help="File for the private key.")) -> None:
    """Generate an issuer key; prints the public key to register on chain."""
    key = IssuerKey.generate()
    out.write_text(key.to_hex() + "\n")
    out.chmod(0o600)
    pub = key.public
    typer.echo(json.dumps({"x": str(pub.x), "y": str(pub.y)}))
