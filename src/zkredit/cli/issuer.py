"""``zkredit issuer``: the external issuers and the KYC provider (not part of any agent)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from zkredit.cli.output import console
from zkredit.errors import InputError
from zkredit.issuers.registry import ROLES, IssuerRegistry
from zkredit.settings import load_settings
from zkredit.zk.field import from_decimal

app = typer.Typer(help="Issuers (employer, bureau, custodian, KYC provider) and their state.",
                  no_args_is_help=True)

DataDir = typer.Option(None, "--data-dir", help="State directory (default: $ZKREDIT_DATA_DIR).")


def _registry(data_dir: Path | None, demo_keys: bool = False) -> IssuerRegistry:
    settings = load_settings(check=False)
    base = data_dir or settings.app.data_dir
    seed = None
    if demo_keys:
        if not settings.is_development:
            raise InputError("--demo-keys are label-derived: refused outside development")
        from zkredit.issuers.registry import Issuer, label_derived_key

        seed = {r: Issuer(f"demo {r}", r, label_derived_key(r)) for r in ROLES}
    return IssuerRegistry.open(base / "issuers", seed=seed)


@app.command("init")
def init(data_dir: Path | None = DataDir,
         demo_keys: bool = typer.Option(False, "--demo-keys",
                                        help="Use the fixed demo keys (development only).")
         ) -> None:
    """Create one issuer per role (fresh keys unless --demo-keys) and an empty KYC tree."""
    reg = _registry(data_dir, demo_keys)
    console.print(f"issuers ready in {reg.directory}")


@app.command("list")
def list_issuers(data_dir: Path | None = DataDir) -> None:
    """Issuers, their credential types and public keys (to register on chain)."""
    reg = _registry(data_dir)
    table = Table(title="Issuers")
    for col in ("role", "name", "credential type", "public key x", "public key y"):
        table.add_column(col)
    for role, issuer in reg.issuers.items():
        table.add_row(role, issuer.name, issuer.credential_type.label,
                      str(issuer.public.x)[:20] + "...", str(issuer.public.y)[:20] + "...")
    console.print(table)
    kyc = reg.kyc_provider()
    console.print(f"KYC tree: {len(kyc.tree)} members, root {kyc.tree.root}")


@app.command("sign")
def sign(
    role: str = typer.Argument(..., help=f"One of: {', '.join(ROLES)}"),
    subject: str = typer.Option(..., "--subject", help="Identity commitment of the holder."),
    attributes: Path = typer.Option(..., "--attributes", help="JSON file of attributes."),
    data_dir: Path | None = DataDir,
) -> None:
    """Sign a credential as the issuer of ROLE; prints the credential JSON."""
    reg = _registry(data_dir)
    try:
        attrs = json.loads(attributes.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read {attributes}: {exc}") from None
    signed = reg.get(role).sign(from_decimal(subject, name="subject"), attrs)
    typer.echo(signed.to_json())


@app.command("kyc-enroll")
def kyc_enroll(
    commitment: str = typer.Argument(..., help="Identity commitment whose documents passed."),
    data_dir: Path | None = DataDir,
) -> None:
    """Add a checked identity commitment to the KYC tree; prints its membership proof."""
    reg = _registry(data_dir)
    kyc = reg.kyc_provider()
    value = int(from_decimal(commitment, name="commitment"))
    kyc.enroll(value)
    reg.save()
    proof = kyc.membership(value)
    typer.echo(json.dumps({"leaf": str(proof.leaf), "index": proof.index,
                           "root": str(proof.root),
                           "path_elements": [str(x) for x in proof.path_elements],
                           "path_indices": list(proof.path_indices)}))
