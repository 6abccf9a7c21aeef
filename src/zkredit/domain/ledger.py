"""Double-entry bookkeeping: postings, balanced journal entries, and the standard entries.

A :class:`JournalEntry` cannot exist unbalanced: in every currency its debits
equal its credits. Currencies are never netted against each other; an FX
conversion goes through a per-currency ``fx_position`` account (the trading-account
method), so each currency balances on its own and the FX margin shows up as the
value of those positions at mid.

Account names are colon paths, ``kind:name[:qualifier]``: ``assets:cash:SGD``,
``liabilities:customer_funds:SGD``, ``assets:loans_receivable:<loan id>``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import NewType

from zkredit.domain.errors import UnbalancedEntryError
from zkredit.domain.money import Currency, Money
from zkredit.errors import InputError

Account = NewType("Account", str)


class Side(StrEnum):
    """Which column a posting goes in."""

    DEBIT = "debit"
    CREDIT = "credit"


def cash(ccy: Currency) -> Account:
    """Money the provider holds at its banks, in one currency."""
    return Account(f"assets:cash:{ccy}")


def payout_float(ccy: Currency) -> Account:
    """Prefunded money at payout partners (banks, wallets, agents)."""
    return Account(f"assets:payout_float:{ccy}")


def partner_prefunding(ccy: Currency) -> Account:
    """At a payout partner: money the remittance provider prefunded, owed back to it until
    paid out (the partner's side of the provider's :func:`payout_float`)."""
    return Account(f"liabilities:partner_prefunding:{ccy}")


def owner_capital(ccy: Currency) -> Account:
    """The owners' capital: where the treasury's money (the payout float) comes from."""
    return Account(f"equity:owner_capital:{ccy}")


def customer_funds(ccy: Currency) -> Account:
    """Money received from senders and not yet converted or returned."""
    return Account(f"liabilities:customer_funds:{ccy}")


def payout_due(ccy: Currency) -> Account:
    """Money owed to recipients, in the destination currency."""
    return Account(f"liabilities:payout_due:{ccy}")


def fx_position(ccy: Currency) -> Account:
    """The trading account through which one currency is exchanged for another."""
    return Account(f"equity:fx_position:{ccy}")


def fee_revenue(ccy: Currency) -> Account:
    """Transfer fees earned."""
    return Account(f"revenue:fees:{ccy}")


def interest_revenue(ccy: Currency) -> Account:
    """Loan interest earned."""
    return Account(f"revenue:interest:{ccy}")


def loans_receivable(loan_id: str) -> Account:
    """What one borrower owes on one loan."""
    return Account(f"assets:loans_receivable:{loan_id}")


@dataclass(frozen=True)
class Posting:
    """One line of a journal entry: a positive amount on one side of one account."""

    account: Account
    amount: Money
    side: Side

    def __post_init__(self) -> None:
        if not self.account:
            raise InputError("a posting needs an account name")
        if self.amount.minor <= 0:
            raise InputError(
                f"a posting amount is positive; reverse the side instead. Got {self.amount} "
                f"on {self.account}"
            )

    @property
    def signed_minor(self) -> int:
        """The amount with debits positive and credits negative."""
        return self.amount.minor if self.side is Side.DEBIT else -self.amount.minor


def debit(account: Account, amount: Money) -> Posting:
    """A debit posting."""
    return Posting(account, amount, Side.DEBIT)


def credit(account: Account, amount: Money) -> Posting:
    """A credit posting."""
    return Posting(account, amount, Side.CREDIT)


@dataclass(frozen=True)
class JournalEntry:
    """A balanced set of postings recorded together."""

    id: str
    postings: tuple[Posting, ...]
    memo: str

    def __post_init__(self) -> None:
        if not self.id:
            raise InputError("a journal entry needs an id")
        if len(self.postings) < 2:
            raise UnbalancedEntryError(
                f"entry {self.id!r} has {len(self.postings)} posting(s); at least two are needed"
            )
        off = {ccy: net for ccy, net in _net_by_currency(self.postings).items() if net}
        if off:
            detail = ", ".join(
                f"{ccy}: debits exceed credits by {Money(net, ccy)}"
                if net > 0
                else f"{ccy}: credits exceed debits by {Money(-net, ccy)}"
                for ccy, net in off.items()
            )
            raise UnbalancedEntryError(f"entry {self.id!r} does not balance ({detail})")


def _net_by_currency(postings: Iterable[Posting]) -> dict[Currency, int]:
    net: dict[Currency, int] = defaultdict(int)
    for p in postings:
        net[p.amount.currency] += p.signed_minor
    return dict(net)


def balances(entries: Iterable[JournalEntry]) -> dict[tuple[Account, Currency], int]:
    """Each account's balance in minor units, debits positive, over ``entries``."""
    out: dict[tuple[Account, Currency], int] = defaultdict(int)
    for entry in entries:
        for p in entry.postings:
            out[(p.account, p.amount.currency)] += p.signed_minor
    return dict(out)


def _entry(entry_id: str, memo: str, *postings: Posting) -> JournalEntry:
    return JournalEntry(entry_id, tuple(postings), memo)


# --- remittance --------------------------------------------------------------


def remittance_funded(transfer_id: str, principal: Money, fee: Money,
                      collection: str | None = None) -> JournalEntry:
    """The sender paid principal + fee into the provider's bank account (the collection
    that confirmed it, e.g. a pay-in reference, goes into the memo)."""
    total = principal + fee
    via = f" ({collection})" if collection else ""
    return _entry(
        f"{transfer_id}:fund",
        f"remittance {transfer_id}: funds received from the sender{via}",
        debit(cash(total.currency), total),
        credit(customer_funds(total.currency), total),
    )


def remittance_fee(transfer_id: str, fee: Money) -> JournalEntry:
    """The fee is earned once compliance passes."""
    return _entry(
        f"{transfer_id}:fee",
        f"remittance {transfer_id}: transfer fee earned",
        debit(customer_funds(fee.currency), fee),
        credit(fee_revenue(fee.currency), fee),
    )


def remittance_fx(transfer_id: str, principal: Money, received: Money) -> JournalEntry:
    """The principal is exchanged into what the recipient is owed."""
    return _entry(
        f"{transfer_id}:fx",
        f"remittance {transfer_id}: {principal} exchanged for {received}",
        debit(customer_funds(principal.currency), principal),
        credit(fx_position(principal.currency), principal),
        debit(fx_position(received.currency), received),
        credit(payout_due(received.currency), received),
    )


def remittance_payout(transfer_id: str, received: Money) -> JournalEntry:
    """The payout partner paid the recipient from the prefunded float."""
    return _entry(
        f"{transfer_id}:payout",
        f"remittance {transfer_id}: paid out to the recipient",
        debit(payout_due(received.currency), received),
        credit(payout_float(received.currency), received),
    )


def remittance_fx_reversal(transfer_id: str, principal: Money, received: Money) -> JournalEntry:
    """Undo :func:`remittance_fx` at the same rate after a failed payout (the provider
    carries any market move), so the principal can be refunded in the source currency."""
    return _entry(
        f"{transfer_id}:fx_reversal",
        f"remittance {transfer_id}: exchange reversed after a failed payout",
        debit(payout_due(received.currency), received),
        credit(fx_position(received.currency), received),
        debit(fx_position(principal.currency), principal),
        credit(customer_funds(principal.currency), principal),
    )


def remittance_payout_reversal(transfer_id: str, received: Money) -> JournalEntry:
    """Undo :func:`remittance_payout` after the payout partner upheld a dispute and took
    the payout back (review F13): the float is ours again and the recipient is owed it,
    until the exchange is reversed and the principal refunded."""
    return _entry(
        f"{transfer_id}:payout_reversal",
        f"remittance {transfer_id}: payout taken back after a dispute",
        debit(payout_float(received.currency), received),
        credit(payout_due(received.currency), received),
    )


def remittance_refund(transfer_id: str, principal: Money) -> JournalEntry:
    """The principal goes back to the sender (the fee stays earned)."""
    return _entry(
        f"{transfer_id}:refund",
        f"remittance {transfer_id}: principal refunded to the sender",
        debit(customer_funds(principal.currency), principal),
        credit(cash(principal.currency), principal),
    )


# --- payout float ------------------------------------------------------------


def float_prefunded(reference: str, amount: Money) -> JournalEntry:
    """The provider's treasury prefunded its payout partner: payouts draw on this float."""
    return _entry(
        f"float:{reference}",
        f"payout float {reference}: {amount} prefunded at the payout partner",
        debit(payout_float(amount.currency), amount),
        credit(owner_capital(amount.currency), amount),
    )


def prefunding_received(reference: str, amount: Money) -> JournalEntry:
    """At the payout partner: the provider's prefunding arrived, owed back until paid out."""
    return _entry(
        f"prefunding:{reference}",
        f"prefunding {reference}: {amount} received from the remittance provider",
        debit(cash(amount.currency), amount),
        credit(partner_prefunding(amount.currency), amount),
    )


# --- loans -------------------------------------------------------------------


def loan_disbursed(loan_id: str, principal: Money) -> JournalEntry:
    """The lender paid out the loan principal."""
    return _entry(
        f"{loan_id}:disburse",
        f"loan {loan_id}: principal disbursed",
        debit(loans_receivable(loan_id), principal),
        credit(cash(principal.currency), principal),
    )


def loan_disbursement_reversed(loan_id: str, outstanding: Money) -> JournalEntry:
    """The disbursement was refunded to the lender (its payout failed, or a dispute
    refunded it): undo :func:`loan_disbursed`, so the borrower owes nothing for money
    they never received.

    ``outstanding`` is the receivable still open: the principal less the principal
    already repaid. Repayments booked before the refund stay booked (the receivable they
    reduced is not reversed twice), so after this entry the receivable is zero.
    """
    return _entry(
        f"{loan_id}:disburse_reversal",
        f"loan {loan_id}: disbursement refunded, outstanding receivable {outstanding} "
        "reversed",
        debit(cash(outstanding.currency), outstanding),
        credit(loans_receivable(loan_id), outstanding),
    )


def loan_repaid(loan_id: str, number: int, principal: Money, interest: Money) -> JournalEntry:
    """Installment ``number`` received: principal part reduces the loan, interest is earned.

    Either part may be zero (then its posting is omitted), but not both.
    """
    total = principal + interest
    postings = [debit(cash(total.currency), total)]
    if principal.minor:
        postings.append(credit(loans_receivable(loan_id), principal))
    if interest.minor:
        postings.append(credit(interest_revenue(interest.currency), interest))
    return _entry(
        f"{loan_id}:repay:{number}",
        f"loan {loan_id}: installment {number} ({principal} principal, {interest} interest)",
        *postings,
    )


def loan_repayment(loan_id: str, reference: str, principal: Money, interest: Money
                   ) -> JournalEntry:
    """A repayment received under the payment ``reference``: principal reduces the loan,
    interest is earned. Either part may be zero (then its posting is omitted), not both."""
    total = principal + interest
    postings = [debit(cash(total.currency), total)]
    if principal.minor:
        postings.append(credit(loans_receivable(loan_id), principal))
    if interest.minor:
        postings.append(credit(interest_revenue(interest.currency), interest))
    return _entry(
        f"{loan_id}:repayment:{reference}",
        f"loan {loan_id}: repayment {reference} ({principal} principal, {interest} interest)",
        *postings,
    )
