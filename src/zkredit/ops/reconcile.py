"""``zkredit ledger reconcile``: every agent's books, and the money flows between agents.

Five kinds of checks, each difference named by party and, where there is one, transfer:

* **books**, per party: in every currency the debits equal the credits (the trial
  balance of :class:`zkredit.store.ledger.Ledger`), and every journal entry balances on
  its own (two postings or more, positive amounts, debits = credits per currency);
* **loans**, between the lender and the remittance agent: every loan the lender books as
  paid out has exactly one disbursement of its principal that was not refunded, a loan
  it reversed has a refunded one, and the totals per currency agree (:func:`check_loans`);
* **flows**, between the remittance agent and the receiver: a ``completed`` transfer has
  exactly one ``paid_out`` payout (of the amount the recipient was owed), a ``refunded``
  transfer has none (a payout the receiver took back after a refunded dispute counts
  as refunded, not paid out: review F13), and no payout is paid out for a transfer the
  remittance agent does not know. Totals per send currency, in minor units: what was
  sent equals what was paid out (as the receiver reports it) + what was refunded + what
  is still in flight;
* **funding**, at the remittance agent: every transfer past ``quoted`` was funded by a
  collection, i.e. it has a pay-in reference and its ``:fund`` entry, and where the
  sandbox rail's record is in the same database, that pay-in is ``collected`` for
  exactly the transfer's total; a transfer never funded has no ``:fund`` entry;
* **float**: payouts draw on prefunded money, so the remittance agent's
  ``assets:payout_float:<ccy>`` never goes below zero, nor the receiver's
  ``liabilities:partner_prefunding:<ccy>`` (a payout not covered by a funding made
  with ``zkredit ledger fund-float``).

Nothing is written: the databases are only read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, inspect, select, text

from zkredit.domain.ledger import Side
from zkredit.domain.remittance import TransferState
from zkredit.errors import ZKreditError
from zkredit.store.db import Database
from zkredit.store.ledger import Ledger
from zkredit.store.models import LedgerEntryRow, LedgerPostingRow

PARTIES = ("worker", "credit", "remittance", "receiver")
LEDGER_TABLES = ("ledger_entries", "ledger_postings")
PAID_OUT = "paid_out"

_S = TransferState
#: States a transfer never took money in (a quote that was not funded).
UNFUNDED = frozenset({_S.QUOTED.value, _S.EXPIRED.value, _S.UNFUNDED.value})
#: Funded and not finished: the money is somewhere between the sender and the recipient.
IN_FLIGHT = frozenset({_S.FUNDED.value, _S.HELD.value, _S.COMPLIANCE_PASSED.value,
                       _S.SENT.value, _S.PAID_OUT.value, _S.FAILED.value})


class ReconcileError(ZKreditError):
    """Reconciliation could not read a party's books (a missing database or table)."""


@dataclass(frozen=True)
class Difference:
    """One thing that does not add up."""

    check: str
    party: str
    message: str
    transfer: str | None = None
    currency: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check": self.check, "party": self.party,
                               "message": self.message}
        if self.transfer is not None:
            out["transfer"] = self.transfer
        if self.currency is not None:
            out["currency"] = self.currency
        return out


@dataclass
class PartyBooks:
    """What one party's ledger holds."""

    party: str
    where: str
    has_ledger: bool = False
    entries: int = 0
    postings: int = 0
    currencies: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def balanced(self) -> bool:
        return all(c["debits"] == c["credits"] for c in self.currencies.values())

    def to_json(self) -> dict[str, Any]:
        return {"where": self.where, "ledger": self.has_ledger, "entries": self.entries,
                "postings": self.postings, "balanced": self.balanced,
                "currencies": self.currencies}


@dataclass
class Report:
    """The result of one reconciliation."""

    parties: dict[str, PartyBooks]
    flows: dict[str, Any]
    differences: list[Difference]

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok,
                "parties": {n: p.to_json() for n, p in self.parties.items()},
                "flows": self.flows,
                "differences": [d.to_json() for d in self.differences]}


def open_parties(url: str | None, data_dir: Path, *, schema_prefix: str | None = None,
                 parties: Iterable[str] = PARTIES) -> dict[str, Database]:
    """Every party's database, read-only in spirit: a missing SQLite file is an error."""
    dbs: dict[str, Database] = {}
    for party in parties:
        schema = f"{schema_prefix}_{party}" if schema_prefix else None
        try:
            dbs[party] = Database.open(party, url, data_dir, schema=schema, create=False)
        except ZKreditError as exc:
            for db in dbs.values():
                db.dispose()
            raise ReconcileError(
                f"cannot read the books of {party}: {exc}",
                hint="Point --data-dir / --database-url (and --schema-prefix) at the "
                     "system's databases.",
            ) from exc
    return dbs


def _tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names(schema=db.schema))


_signed = case(
    (LedgerPostingRow.side == Side.DEBIT.value, LedgerPostingRow.amount_minor),
    else_=-LedgerPostingRow.amount_minor,
)


def check_books(db: Database) -> tuple[PartyBooks, list[Difference]]:
    """Trial balance per currency and the balance of every entry of one party."""
    party = db.party
    books = PartyBooks(party, db.where)
    diffs: list[Difference] = []
    if not set(LEDGER_TABLES) <= _tables(db):
        return books, diffs
    books.has_ledger = True
    for t in Ledger(db).trial_balance().totals:
        code = t.currency.code
        books.currencies[code] = {"debits": t.debits, "credits": t.credits}
        if t.difference:
            diffs.append(Difference(
                "trial_balance", party, f"{party}: {code} debits {t.debits} != credits "
                f"{t.credits} (difference {t.difference} minor units)", currency=code))
    with db.session() as s:
        books.entries = int(s.scalar(select(func.count()).select_from(LedgerEntryRow)) or 0)
        books.postings = int(s.scalar(select(func.count()).select_from(LedgerPostingRow)) or 0)
        counts = dict(s.execute(
            select(LedgerPostingRow.entry_id, func.count()).group_by(LedgerPostingRow.entry_id)
        ).all())
        headers = set(s.scalars(select(LedgerEntryRow.id)).all())
        nets = s.execute(
            select(LedgerPostingRow.entry_id, LedgerPostingRow.currency, func.sum(_signed))
            .group_by(LedgerPostingRow.entry_id, LedgerPostingRow.currency)
            .order_by(LedgerPostingRow.entry_id, LedgerPostingRow.currency)
        ).all()
        bad_amounts = s.execute(
            select(LedgerPostingRow.entry_id, LedgerPostingRow.account,
                   LedgerPostingRow.side, LedgerPostingRow.amount_minor)
            .where((LedgerPostingRow.amount_minor <= 0)
                   | LedgerPostingRow.side.not_in([Side.DEBIT.value, Side.CREDIT.value]))
            .order_by(LedgerPostingRow.entry_id)
        ).all()
    for entry_id in sorted(headers):
        n = int(counts.get(entry_id, 0))
        if n < 2:
            diffs.append(Difference("entry", party, f"{party}: entry {entry_id!r} has {n} "
                                    "posting(s), needs at least two"))
    for entry_id in sorted(set(counts) - headers):
        diffs.append(Difference("entry", party, f"{party}: postings for entry {entry_id!r} "
                                "that has no header"))
    for entry_id, code, net in nets:
        if int(net or 0):
            diffs.append(Difference("entry", party, f"{party}: entry {entry_id!r} does not "
                                    f"balance in {code} (debits - credits = {int(net)})",
                                    currency=code))
    for entry_id, account, side, amount in bad_amounts:
        diffs.append(Difference("entry", party, f"{party}: entry {entry_id!r} posts {side} "
                                f"{amount} on {account} (must be a positive debit or credit)"))
    return books, diffs


def _rows(db: Database, table: str) -> list[Mapping[str, Any]]:
    if table not in _tables(db):
        raise ReconcileError(f"the {db.party} database at {db.where} has no table {table!r}",
                             hint=f"Run the {db.party} agent's migrations (zkredit serve).")
    # Plain SQL, no reflected types: the values are read as stored, whatever the columns.
    with db.engine.connect() as conn:
        # Text SQL is not schema-translated: name the party's PostgreSQL schema.
        name = f'"{db.schema}"."{table}"' if db.schema else f'"{table}"'
        return [dict(r._mapping) for r in conn.execute(text(f"SELECT * FROM {name}"))]


def check_flows(remittance: Database, receiver: Database
                ) -> tuple[dict[str, Any], list[Difference]]:
    """Transfers against payouts, one by one and in total per currency."""
    transfers = {str(t["id"]): t for t in _rows(remittance, "remittance_transfers")}
    payouts = _rows(receiver, "receiver_payouts")
    taken_back = {str(d["payout_id"]) for d in _rows(receiver, "receiver_disputes")
                  if d["state"] == "refunded"}
    paid: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for p in payouts:
        if p["status"] == PAID_OUT and str(p["id"]) not in taken_back:
            paid[str(p["transfer_id"])].append(p)
    diffs: list[Difference] = []
    zero = {"sent": 0, "paid_out": 0, "refunded": 0, "in_flight": 0}
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict(zero))
    received: dict[str, dict[str, int]] = defaultdict(lambda: {"owed": 0, "paid_out": 0})

    for tid in sorted(transfers):
        t = transfers[tid]
        state, ccy, sent = str(t["state"]), str(t["send_currency"]), int(t["sent_minor"])
        mine = paid.get(tid, [])
        if state in UNFUNDED:
            if mine:
                diffs.append(Difference("payout", "receiver", f"transfer {tid} was never "
                                        f"funded ({state}) but the receiver paid it out",
                                        transfer=tid))
            continue
        row = totals[ccy]
        row["sent"] += sent
        if mine:
            row["paid_out"] += sent * len(mine)
        if state == _S.REFUNDED.value:
            row["refunded"] += sent
            if mine:
                diffs.append(Difference("payout", "receiver", f"transfer {tid} was refunded "
                                        f"by the remittance agent but the receiver paid it "
                                        f"out {len(mine)} time(s)", transfer=tid))
        elif state == _S.COMPLETED.value:
            if len(mine) != 1:
                diffs.append(Difference("payout", "receiver", f"transfer {tid} is completed "
                                        f"but has {len(mine)} paid-out payouts (expected "
                                        "exactly one)", transfer=tid))
        elif state in IN_FLIGHT:
            if not mine:
                row["in_flight"] += sent
            elif state != _S.PAID_OUT.value:
                diffs.append(Difference("payout", "remittance", f"transfer {tid} is {state} "
                                        f"at the remittance agent but the receiver paid it "
                                        "out", transfer=tid))
            if len(mine) > 1:
                diffs.append(Difference("payout", "receiver", f"transfer {tid} has "
                                        f"{len(mine)} paid-out payouts (at most one)",
                                        transfer=tid))
        if state in (_S.COMPLETED.value, _S.PAID_OUT.value):
            rc = str(t["receive_currency"])
            received[rc]["owed"] += int(t["received_minor"])
            for p in mine:
                amount, pc = int(p["amount_minor"]), str(p["currency"])
                received[pc]["paid_out"] += amount
                if (amount, pc) != (int(t["received_minor"]), rc):
                    diffs.append(Difference(
                        "payout", "receiver", f"payout {p['id']} of transfer {tid} paid "
                        f"{amount} {pc}, the recipient was owed {t['received_minor']} {rc}",
                        transfer=tid, currency=pc))

    for tid in sorted(set(paid) - set(transfers)):
        for p in paid[tid]:
            diffs.append(Difference("payout", "receiver", f"payout {p['id']} paid out "
                                    f"{p['amount_minor']} {p['currency']} for transfer {tid}, "
                                    "which the remittance agent does not know", transfer=tid,
                                    currency=str(p["currency"])))

    for ccy in sorted(totals):
        r = totals[ccy]
        accounted = r["paid_out"] + r["refunded"] + r["in_flight"]
        if r["sent"] != accounted:
            diffs.append(Difference(
                "totals", "remittance", f"{ccy}: sent {r['sent']} != paid out {r['paid_out']} "
                f"+ refunded {r['refunded']} + in flight {r['in_flight']} "
                f"(difference {r['sent'] - accounted} minor units)", currency=ccy))
    for ccy in sorted(received):
        r = received[ccy]
        if r["owed"] != r["paid_out"]:
            diffs.append(Difference(
                "totals", "receiver", f"{ccy}: the receiver paid out {r['paid_out']} for "
                f"transfers the remittance agent owes {r['owed']}", currency=ccy))
    flows = {"transfers": len(transfers), "payouts": len(payouts),
             "paid_out_payouts": sum(len(v) for v in paid.values()),
             "sent": {c: totals[c] for c in sorted(totals)},
             "received": {c: received[c] for c in sorted(received)}}
    return flows, diffs


#: Loan states the lender is in once it has asked for the disbursement.
LOAN_PAID_OUT = frozenset({"disbursed", "repaid"})
LOAN_REVERSED = "disbursement_refunded"


def check_loans(credit: Database, remittance: Database
                ) -> tuple[dict[str, Any], list[Difference]]:
    """The lender's loans against the disbursements the remittance agent made for them.

    A loan the lender books as paid out (disbursed or repaid) has exactly one
    disbursement transfer of its principal, in its currency, that was not refunded; a
    loan the lender reversed (``disbursement_refunded``) has a refunded one; and no
    disbursement pays a loan the lender does not know. Totals per currency: what the
    lender disbursed equals what the remittance agent sent for its loans, less refunds.
    """
    loans = {str(r["id"]): r for r in _rows(credit, "credit_loans")}
    sent: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for t in _rows(remittance, "remittance_transfers"):
        if t["kind"] == "disbursement" and t["loan_id"] is not None:
            sent[str(t["loan_id"])].append(t)
    diffs: list[Difference] = []
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"lent": 0, "sent": 0})
    for loan_id in sorted(loans):
        loan = loans[loan_id]
        status, ccy, principal = str(loan["status"]), str(loan["currency"]), \
            int(loan["principal_minor"])
        mine = sent.get(loan_id, [])
        if status not in LOAN_PAID_OUT and status != LOAN_REVERSED:
            continue  # not asked for yet: any transfer is still in the lender's hands
        if len(mine) != 1:
            diffs.append(Difference("loan", "remittance", f"loan {loan_id} is {status} at "
                                    f"the lender but has {len(mine)} disbursement "
                                    "transfer(s) (expected exactly one)"))
            continue
        t = mine[0]
        tid, state = str(t["id"]), str(t["state"])
        if (int(t["sent_minor"]), str(t["send_currency"])) != (principal, ccy):
            diffs.append(Difference("loan", "remittance", f"loan {loan_id} lent {principal} "
                                    f"{ccy} but its disbursement {tid} sent "
                                    f"{t['sent_minor']} {t['send_currency']}", transfer=tid,
                                    currency=ccy))
        refunded = state == _S.REFUNDED.value
        if status in LOAN_PAID_OUT and refunded:
            diffs.append(Difference("loan", "credit", f"loan {loan_id} is {status} at the "
                                    f"lender, but its disbursement {tid} was refunded: the "
                                    "receivable was not reversed", transfer=tid))
        elif status == LOAN_REVERSED and not refunded:
            diffs.append(Difference("loan", "credit", f"loan {loan_id} was reversed by the "
                                    f"lender, but its disbursement {tid} is {state}",
                                    transfer=tid))
        if status in LOAN_PAID_OUT:
            totals[ccy]["lent"] += principal
        if not refunded and state not in UNFUNDED:
            totals[ccy]["sent"] += int(t["sent_minor"])
    for loan_id in sorted(set(sent) - set(loans)):
        for t in sent[loan_id]:
            diffs.append(Difference("loan", "remittance", f"disbursement {t['id']} pays loan "
                                    f"{loan_id}, which the lender does not know",
                                    transfer=str(t["id"])))
    for ccy in sorted(totals):
        r = totals[ccy]
        if r["lent"] != r["sent"]:
            diffs.append(Difference("totals", "credit", f"{ccy}: the lender disbursed "
                                    f"{r['lent']}, the remittance agent sent {r['sent']} for "
                                    "its loans", currency=ccy))
    return {"loans": len(loans), "disbursements": sum(len(v) for v in sent.values()),
            "lent": {c: totals[c] for c in sorted(totals)}}, diffs


SANDBOX_PAYINS = "remittance_sandbox_payins"


def check_funding(remittance: Database) -> tuple[dict[str, int], list[Difference]]:
    """Every funded transfer was collected; no unfunded one booked cash."""
    transfers = _rows(remittance, "remittance_transfers")
    entries = (_rows(remittance, "ledger_entries")
               if "ledger_entries" in _tables(remittance) else [])
    funded_entries = {str(e["id"]) for e in entries if str(e["id"]).endswith(":fund")}
    payins = ({str(p["reference"]): p for p in _rows(remittance, SANDBOX_PAYINS)}
              if SANDBOX_PAYINS in _tables(remittance) else None)
    diffs: list[Difference] = []
    collected = 0
    for t in sorted(transfers, key=lambda r: str(r["id"])):
        tid, state = str(t["id"]), str(t["state"])
        booked = f"{tid}:fund" in funded_entries
        if state in UNFUNDED:
            if booked:
                diffs.append(Difference("funding", "remittance", f"transfer {tid} is {state} "
                                        "but its funding was booked", transfer=tid))
            continue
        reference = t.get("payin_reference")
        if not booked or not reference:
            missing = "funding entry" if not booked else "pay-in reference"
            diffs.append(Difference("funding", "remittance", f"transfer {tid} is {state} "
                                    f"without a {missing} (money never collected)",
                                    transfer=tid))
            continue
        if payins is None:
            continue
        total = int(t["sent_minor"]) + int(t["fee_minor"])
        p = payins.get(str(reference))
        if p is None or p["status"] != "collected" or (
                int(p["collected_minor"] or 0), str(p["currency"])) != (
                total, str(t["send_currency"])):
            found = ("no such pay-in" if p is None else
                     f"{p['status']} {p['collected_minor']} {p['currency']}")
            diffs.append(Difference("funding", "remittance", f"transfer {tid} is funded but "
                                    f"its pay-in {reference} is {found}, not collected "
                                    f"{total} {t['send_currency']}", transfer=tid,
                                    currency=str(t["send_currency"])))
            continue
        collected += 1
    return {"collected": collected}, diffs


#: Per party, the accounts payouts draw on, and the sign their balance must keep
#: (debits positive: an asset stays >= 0, a liability <= 0).
FLOAT_ACCOUNTS = {"remittance": ("assets:payout_float:", 1),
                  "receiver": ("liabilities:partner_prefunding:", -1)}


def check_float(db: Database) -> tuple[dict[str, int], list[Difference]]:
    """The float balances of one party (as funded minus drawn), and any overdrawn one."""
    prefix, sign = FLOAT_ACCOUNTS[db.party]
    if not set(LEDGER_TABLES) <= _tables(db):
        return {}, []
    left: dict[str, int] = {}
    diffs: list[Difference] = []
    for (account, ccy), net in sorted(Ledger(db).balances().items()):
        if not account.startswith(prefix):
            continue
        left[ccy.code] = left.get(ccy.code, 0) + sign * net
    for code, amount in sorted(left.items()):
        if amount < 0:
            diffs.append(Difference(
                "float", db.party, f"{db.party}: {prefix}{code} is overdrawn by {-amount} "
                "minor units (payouts not covered by a float funding)", currency=code))
    return left, diffs


def reconcile_databases(dbs: Mapping[str, Database]) -> Report:
    """Reconcile already opened party databases (the keys are the party names)."""
    parties: dict[str, PartyBooks] = {}
    diffs: list[Difference] = []
    for name in PARTIES:
        if name in dbs:
            books, found = check_books(dbs[name])
            parties[name] = books
            diffs.extend(found)
    flows: dict[str, Any] = {}
    if "remittance" in dbs and "receiver" in dbs:
        flows, found = check_flows(dbs["remittance"], dbs["receiver"])
        diffs.extend(found)
    if "credit" in dbs and "remittance" in dbs:
        flows["credit"], found = check_loans(dbs["credit"], dbs["remittance"])
        diffs.extend(found)
    if "remittance" in dbs and "remittance_transfers" in _tables(dbs["remittance"]):
        funding, found = check_funding(dbs["remittance"])
        diffs.extend(found)
        if flows:
            flows = {**flows, "funding": funding}
    floats: dict[str, dict[str, int]] = {}
    for name in FLOAT_ACCOUNTS:
        if name in dbs:
            floats[name], found = check_float(dbs[name])
            diffs.extend(found)
    if floats:
        flows = {**flows, "float": floats}
    return Report(parties, flows, diffs)


def reconcile(url: str | None, data_dir: Path, *, schema_prefix: str | None = None) -> Report:
    """Open every party's database, reconcile, close."""
    dbs = open_parties(url, data_dir, schema_prefix=schema_prefix)
    try:
        return reconcile_databases(dbs)
    finally:
        for db in dbs.values():
            db.dispose()
