"""``zkredit ledger``: the parties' double-entry books (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from zkredit.cli.output import ExitStatus, console

app = typer.Typer(help="The parties' double-entry books.", no_args_is_help=True)

ENV_HELP = ("Environment (environments/ENV.yml; default ZKREDIT_ENV, else development). "
            "DATABASE_URL and the data directory come from it.")


@app.command("reconcile")
def reconcile(
    env: str | None = typer.Option(None, "--env", "-e", help=ENV_HELP),
    database_url: str | None = typer.Option(
        None, "--database-url", help="PostgreSQL URL of the agents' databases (default: "
        "DATABASE_URL; unset: the SQLite files under the data directory)."),
    schema_prefix: str | None = typer.Option(
        None, "--schema-prefix", help="As `zkredit serve --schema-prefix`: the agents' "
        "PostgreSQL schemas are PREFIX_<agent>."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Data directory: <data_dir>/<agent>/<agent>.db (default: "
        "ZKREDIT_DATA_DIR, else ./data)."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object: ok, the "
                                 "parties' books, the flows and every difference."),
) -> None:
    """Check every agent's books and the money flows between the agents.

    Per party and currency the debits equal the credits and every journal entry
    balances. Between the remittance agent and the receiver: a completed transfer has
    exactly one paid-out payout, a refunded one has none, no payout is paid out for an
    unknown transfer, and per currency sent = paid out + refunded + in flight. Between
    the lender and the remittance agent: a loan booked as paid out has one disbursement
    of its principal that was not refunded, a reversed loan a refunded one, and per
    currency what was lent = what was sent for loans.

    Exits 1 on any difference (each is named with its party and transfer), 0 when clean.

    Examples:

      zkredit ledger reconcile --data-dir /tmp/zkredit-demo

      zkredit ledger reconcile --env production --json | jq '.differences'
    """
    from zkredit.ops.reconcile import reconcile as run_reconcile
    from zkredit.settings import load_settings

    app_over: dict[str, object] = {"data_dir": data_dir} if data_dir is not None else {}
    db_over: dict[str, object] = {"url": database_url} if database_url else {}
    settings = load_settings(check=False, env=env, app=app_over, database=db_over)
    report = run_reconcile(settings.database.url, Path(settings.app.data_dir),
                           schema_prefix=schema_prefix)
    if as_json:
        typer.echo(json.dumps(report.to_json(), indent=2))
    else:
        table = Table(show_edge=False, pad_edge=False)
        for column in ("party", "entries", "postings", "currency", "debits", "credits", ""):
            table.add_column(column)
        for name, books in report.parties.items():
            if not books.has_ledger or not books.currencies:
                table.add_row(name, str(books.entries), str(books.postings), "-", "-", "-",
                              "no ledger" if not books.has_ledger else "empty")
            for code, c in books.currencies.items():
                mark = "[green]ok[/]" if c["debits"] == c["credits"] else "[bold red]OFF[/]"
                table.add_row(name, str(books.entries), str(books.postings), code,
                              str(c["debits"]), str(c["credits"]), mark)
        console.print(table, highlight=False)
        flows = report.flows
        if flows:
            console.print(f"flows: {flows['transfers']} transfers, {flows['payouts']} payouts "
                          f"({flows['paid_out_payouts']} paid out)", highlight=False)
            for code, r in flows["sent"].items():
                console.print(f"  {code}: sent {r['sent']} = paid out {r['paid_out']} + "
                              f"refunded {r['refunded']} + in flight {r['in_flight']}",
                              highlight=False)
        if report.ok:
            console.print("[green]reconciled[/]: no differences", highlight=False)
        else:
            console.print(f"[bold red]{len(report.differences)} difference(s)[/]",
                          highlight=False)
            for d in report.differences:
                console.print(escape(f"  [{d.check}] {d.message}"), highlight=False)
    if not report.ok:
        # SystemExit, not typer.Exit: run() calls the app with standalone_mode=False.
        raise SystemExit(int(ExitStatus.ERROR))


@app.command("fund-float")
def fund_float(
    amount_minor: int = typer.Option(..., "--amount-minor", min=1, help="How much, in minor "
                                     "units of CURRENCY (centavos for PHP)."),
    currency_code: str = typer.Option(..., "--currency", help="ISO-4217 code of the payout "
                                      "currency the float is in, e.g. PHP."),
    reference: str = typer.Option(..., "--reference", help="The treasury transfer's "
                                  "reference: the same reference books once."),
    receiver: bool = typer.Option(True, "--receiver/--no-receiver", help="Also book the "
                                  "prefunding received in the receiver agent's books."),
    env: str | None = typer.Option(None, "--env", "-e", help=ENV_HELP),
    database_url: str | None = typer.Option(
        None, "--database-url", help="PostgreSQL URL of the agents' databases (default: "
        "DATABASE_URL; unset: the SQLite files under the data directory)."),
    schema_prefix: str | None = typer.Option(
        None, "--schema-prefix", help="As `zkredit serve --schema-prefix`."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Data directory: <data_dir>/<agent>/<agent>.db (default: "
        "ZKREDIT_DATA_DIR, else ./data)."),
    as_json: bool = typer.Option(False, "--json", help="Print what was booked as JSON."),
) -> None:
    """Prefund the payout partner: the float payouts draw on, as balanced entries.

    The remittance agent books payout_float (debit) against owner_capital (credit);
    the receiver books cash (debit) against partner_prefunding (credit). Both are
    keyed by REFERENCE: re-running the same funding books nothing more, and the same
    reference with another amount is refused.

    Examples:

      zkredit ledger fund-float --currency PHP --amount-minor 500000000 \\
          --reference TRSY-2026-12-07-PHP --data-dir /tmp/zkredit-demo
    """
    from zkredit.domain.money import Money, currency
    from zkredit.ops.reconcile import open_parties
    from zkredit.ops.treasury import fund_float as run_fund_float
    from zkredit.settings import load_settings

    amount = Money(amount_minor, currency(currency_code))
    app_over: dict[str, object] = {"data_dir": data_dir} if data_dir is not None else {}
    db_over: dict[str, object] = {"url": database_url} if database_url else {}
    settings = load_settings(check=False, env=env, app=app_over, database=db_over)
    parties = ("remittance", "receiver") if receiver else ("remittance",)
    dbs = open_parties(settings.database.url, Path(settings.app.data_dir),
                       schema_prefix=schema_prefix, parties=parties)
    try:
        done = run_fund_float(dbs["remittance"], dbs.get("receiver"), amount, reference)
    finally:
        for db in dbs.values():
            db.dispose()
    if as_json:
        typer.echo(json.dumps(done.to_json(), indent=2))
        return
    fresh = done.remittance_booked or done.receiver_booked
    console.print(escape(f"{'funded' if fresh else 'already funded'}: {amount} payout float "
                         f"under {reference}"), highlight=False)
