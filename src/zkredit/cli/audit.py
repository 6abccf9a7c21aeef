"""``zkredit audit``: check a party's hash-chained, signed audit log."""

from __future__ import annotations

from pathlib import Path

import typer
from eth_utils.address import is_address

from zkredit.cli.output import console
from zkredit.errors import InputError
from zkredit.settings import load_settings
from zkredit.store.audit import AuditLog
from zkredit.store.auditchain import to_hex
from zkredit.store.db import Database
from zkredit.store.errors import AuditChainBroken, NotMigrated

app = typer.Typer(help="Verify a party's hash-chained audit log.", no_args_is_help=True)


@app.callback()
def audit() -> None:
    """Check a party's hash-chained, signed audit log and its on-chain anchors."""


def _trusted(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    trusted: dict[str, str] = {}
    for pair in pairs:
        party, sep, address = pair.partition("=")
        if not sep or not party or not is_address(address):
            raise InputError(
                f"--trust expects PARTY=ADDRESS with a 20-byte hex address. Got {pair!r}",
                hint="For example: --trust credit=0x5B38Da6a701c568545dCfcB03FcB875f56beddC4",
            )
        trusted[party] = address
    return trusted


@app.command("verify")
def verify(
    party: str = typer.Option(..., "--party", help="Whose log: worker, credit, remittance ..."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Where SQLite files live (default: ZKREDIT_DATA_DIR or ./data)."
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help="PostgreSQL URL (default: DATABASE_URL; pass '' to force SQLite).",
    ),
    schema: str | None = typer.Option(
        None, "--schema", help="PostgreSQL schema of the party (default: the party name)."
    ),
    trust: list[str] = typer.Option(
        [],
        "--trust",
        help="PARTY=ADDRESS: require entries of PARTY to be signed by ADDRESS (repeatable).",
    ),
) -> None:
    """Walk the log from seq 1; print OK with the entry count and head, or the first break."""
    trusted = _trusted(trust)
    settings = load_settings(check=False)
    url = settings.database.url if database_url is None else database_url
    db = Database.open(party, url, data_dir or settings.app.data_dir, schema=schema, create=False)
    try:
        if not db.current_heads():
            raise NotMigrated(
                f"the database of party {party!r} ({db.where}) has no ZKredit tables",
                hint="Check --party, --data-dir and --database-url; agents migrate on start.",
            )
        report = AuditLog(db).verify(trusted)
    finally:
        db.dispose()
    if report.first_break is None:
        console.print(
            f"OK: audit log of party {party!r}: {report.entry_count} entries, "
            f"head {to_hex(report.head_hash)}, {report.anchors_checked} anchor(s) matched"
            + ("" if trusted is None else ", signers trusted"),
            highlight=False,
        )
        return
    broken = report.first_break
    raise AuditChainBroken(
        f"audit log of party {party!r} is broken at seq {broken.seq}: {broken.reason.value} "
        f"({broken.detail})",
        hint=f"The {report.entry_count} entries before it verify. Compare with the on-chain "
        "anchors and restore the party's database from a backup.",
    )
