"""Wire shapes of the remittance agent: envelope payloads, replies and HTTP bodies.

Amounts are integers in minor units with their ISO 4217 alpha code,
``{"amount_minor": 33429, "currency": "SGD"}``; rates are decimal strings for
display, instants are ISO 8601 UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
    model_validator,
)

from zkredit.agents.common.payloads import InvalidPayload as InvalidPayload
from zkredit.agents.common.payloads import MinorAmount
from zkredit.agents.common.payloads import parse_payload as parse_payload
from zkredit.domain.fees import Route
from zkredit.domain.money import MAX_MINOR, Money, currency
from zkredit.domain.quote import Quote

RATE_PLACES = 6
"""Decimal places of the rates shown in quotes and receipts (display only)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoneyJson(_Strict):
    """An amount in minor units and its currency."""

    amount_minor: StrictInt = Field(le=MAX_MINOR)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")

    @classmethod
    def of(cls, money: Money) -> MoneyJson:
        return cls(amount_minor=money.minor, currency=money.currency.code)

    def to_money(self) -> Money:
        return Money(self.amount_minor, currency(self.currency))


class Recipient(_Strict):
    """Who is paid, and where."""

    name: str = Field(min_length=1, max_length=200)
    account: str = Field(min_length=1, max_length=64)
    bank: str = Field(min_length=1, max_length=128)
    country: str = Field(pattern=r"^[A-Za-z]{2}$")

    @field_validator("name", "account", "bank")
    @classmethod
    def _strip(cls, value: str) -> str:
        stripped = value.strip()
        if not stripped:
            raise ValueError("must not be blank")
        return stripped

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class TravelRule(_Strict):
    """Originator and beneficiary data, encrypted to the receiver (never opened here)."""

    ciphertext: str = Field(pattern=r"^(0x)?[0-9a-fA-F]+$", max_length=65536)
    encrypted_to: str = Field(min_length=1, max_length=64)


# --- quotes --------------------------------------------------------------------


class QuoteRequest(_Strict):
    """``remittance.quote.request``: exactly one of the two amounts."""

    send_currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    receive_currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    route: Route
    send_amount_minor: MinorAmount | None = None
    receive_amount_minor: MinorAmount | None = None

    @model_validator(mode="after")
    def _one_amount(self) -> QuoteRequest:
        if (self.send_amount_minor is None) == (self.receive_amount_minor is None):
            raise ValueError("give exactly one of send_amount_minor and receive_amount_minor")
        return self


class FeeJson(_Strict):
    flat: MoneyJson
    percentage: MoneyJson
    pct_bps: int
    total: MoneyJson


class QuoteJson(_Strict):
    """Everything DOMAIN.md says a quote shows."""

    direction: str
    sent: MoneyJson
    fee: FeeJson
    mid_rate: str
    markup_bps: int
    customer_rate: str
    received: MoneyJson
    route: Route
    eta_seconds: int
    fx_cost: MoneyJson
    total_cost_bps: int
    total_debit: MoneyJson
    created_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, q: Quote) -> QuoteJson:
        return cls(
            direction=q.direction.value,
            sent=MoneyJson.of(q.sent),
            fee=FeeJson(
                flat=MoneyJson.of(q.fee.flat),
                percentage=MoneyJson.of(q.fee.percentage),
                pct_bps=q.fee.pct_bps,
                total=MoneyJson.of(q.fee.total),
            ),
            mid_rate=q.mid_rate.decimal(RATE_PLACES),
            markup_bps=q.markup_bps,
            customer_rate=q.customer_rate.decimal(RATE_PLACES),
            received=MoneyJson.of(q.received),
            route=q.route,
            eta_seconds=int(q.eta.total_seconds()),
            fx_cost=MoneyJson.of(q.fx_cost),
            total_cost_bps=q.total_cost_bps,
            total_debit=MoneyJson.of(q.total_debit),
            created_at=q.created_at,
            expires_at=q.expires_at,
        )


class QuoteReply(_Strict):
    quote_id: str
    scope: str
    quote: QuoteJson


# --- transfers -----------------------------------------------------------------


class TransferRequest(_Strict):
    """``remittance.transfer.request`` (with an ``Idempotency-Key``)."""

    quote_id: str = Field(min_length=1, max_length=40)
    identity_proof: dict[str, Any]
    sender_wallet: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    recipient: Recipient
    purpose: str = Field(default="", max_length=64)
    travel_rule: TravelRule | None = None


class TransferReply(BaseModel):
    transfer_id: str
    state: str
    receipt: dict[str, Any] | None = None


class HistoryItem(BaseModel):
    state: str
    event: str
    at: datetime
    reason: str | None = None


class TransferStatus(BaseModel):
    """``remittance.transfer.status`` and ``GET /transfers/{id}``."""

    transfer_id: str
    kind: str
    state: str
    route: str
    sent: MoneyJson
    received: MoneyJson
    history: list[HistoryItem]
    reasons: list[str] = Field(default_factory=list)
    receipt: dict[str, Any] | None = None
    payin_reference: str | None = None
    """The reference the payer quotes on the pay-in (set once the funding step opened it)."""


class TransferSummary(BaseModel):
    """A row of ``GET /transfers``: enough to pick a transfer to review (the recipient's
    name is what sanctions screening matched; the account and the sender stay out)."""

    transfer_id: str
    kind: str
    state: str
    route: str
    sent: MoneyJson
    received: MoneyJson
    recipient_name: str
    created_at: datetime


class TransferLookup(_Strict):
    transfer_id: str = Field(min_length=1, max_length=40)


class DisbursementLookup(_Strict):
    """``remittance.disbursement.status`` from the credit agent: its loan's transfer."""

    loan_id: str = Field(min_length=1, max_length=100)


class DisputeRefundNotice(_Strict):
    """``remittance.dispute.refunded`` from the payout partner: it upheld a dispute and
    took the payout of ``transfer_id`` back (review F13)."""

    transfer_id: str = Field(min_length=1, max_length=40)
    payout_id: str = Field(min_length=1, max_length=64)
    dispute_id: str = Field(min_length=1, max_length=64)
    amount: MoneyJson
    reason: str | None = Field(default=None, max_length=500)


class DisbursementRequest(_Strict):
    """``remittance.disbursement.request`` from the credit agent: one currency, no proof."""

    loan_id: str = Field(min_length=1, max_length=100)
    amount: MoneyJson
    recipient: Recipient
    route: Route = Route.BANK_TRANSFER
    purpose: str = Field(default="loan disbursement", max_length=64)
    travel_rule: TravelRule | None = None


class ReviewDecision(_Strict):
    """A compliance officer's verdict on a held transfer."""

    decision: Literal["approve", "reject"]
    reviewer: str = Field(min_length=1, max_length=64)
    note: str = Field(default="", max_length=500)


# --- webhooks and books --------------------------------------------------------


class WebhookIn(_Strict):
    """Subscribe ``url`` to state changes of every transfer, or of ``transfer_id`` only."""

    url: str = Field(pattern=r"^https?://", max_length=2048)
    secret: str = Field(min_length=16, max_length=128)
    """Sealed at rest; 128 characters keep the sealed form within the column."""
    transfer_id: str | None = Field(default=None, max_length=40)


class WebhookOut(BaseModel):
    id: str
    url: str
    transfer_id: str | None = None
    created_at: datetime


class WebhookSecretOut(BaseModel):
    """A rotated secret: shown once, never again."""

    id: str
    secret: str


class CurrencyTotalsJson(BaseModel):
    currency: str
    debits_minor: int
    credits_minor: int


class TrialBalanceJson(BaseModel):
    balanced: bool
    currencies: list[CurrencyTotalsJson]
