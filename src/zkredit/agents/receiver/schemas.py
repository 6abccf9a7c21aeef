"""Wire shapes of the receiver agent."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from zkredit.agents.remittance.schemas import MoneyJson, Recipient, TravelRule, parse_payload
from zkredit.domain.fees import Route

__all__ = [
    "DisputeOpen",
    "DisputeOut",
    "DisputeResolve",
    "PayoutLookup",
    "PayoutReply",
    "PayoutRequest",
    "TravelRuleKeyOut",
    "parse_payload",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PayoutRequest(_Strict):
    """``receiver.payout.request`` from the remittance agent."""

    transfer_id: str = Field(min_length=1, max_length=64)
    amount: MoneyJson
    recipient: Recipient
    route: Route
    purpose: str = Field(default="", max_length=64)
    travel_rule: TravelRule | None = None


class PayoutReply(BaseModel):
    """The delivery confirmation (or the reason it failed)."""

    payout_id: str
    transfer_id: str
    status: str
    reason: str | None = None
    confirmation: str | None = None
    paid_at: datetime | None = None


class PayoutSummary(PayoutReply):
    """A row of ``GET /payouts``: the payout and its amount (the recipient stays out)."""

    amount_minor: int
    currency: str
    route: str
    created_at: datetime


class PayoutLookup(_Strict):
    """``receiver.payout.status``: by transfer id or payout id."""

    transfer_id: str | None = Field(default=None, max_length=64)
    payout_id: str | None = Field(default=None, max_length=40)

    @model_validator(mode="after")
    def _one(self) -> PayoutLookup:
        if (self.transfer_id is None) == (self.payout_id is None):
            raise ValueError("give exactly one of transfer_id and payout_id")
        return self


class DisputeOpen(PayoutLookup):
    """``POST /disputes`` and ``receiver.dispute.open``."""

    reason: str = Field(min_length=1, max_length=1000)


class DisputeResolve(_Strict):
    outcome: Literal["resolved", "refunded"]
    note: str = Field(default="", max_length=1000)
    by: str = Field(default="operator", min_length=1, max_length=64)


class DisputeOut(BaseModel):
    dispute_id: str
    payout_id: str
    transfer_id: str
    state: str
    reason: str
    opened_by: str
    resolution: str | None = None
    created_at: datetime
    updated_at: datetime


class TravelRuleKeyOut(BaseModel):
    agent: str
    algorithm: str
    public_key: str
