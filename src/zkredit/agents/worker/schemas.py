"""Request and response bodies of the worker agent's own API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class IdentityIn(BaseModel):
    label: str = Field(min_length=1, max_length=128)


class IdentityOut(BaseModel):
    identity_id: str
    commitment: str
    wallet: str


class MembershipIn(BaseModel):
    leaf: str
    index: int
    root: str
    path_elements: list[str]
    path_indices: list[int]


class LoanIn(BaseModel):
    lender: str = "credit"
    amount_minor: int = Field(gt=0)
    currency: str = Field(min_length=3, max_length=3)
    months: int = Field(gt=0, le=360)
    payout: dict[str, Any]


class RemittanceIn(BaseModel):
    send_currency: str = Field(min_length=3, max_length=3)
    receive_currency: str = Field(min_length=3, max_length=3)
    route: str
    send_amount_minor: int | None = Field(default=None, gt=0)
    receive_amount_minor: int | None = Field(default=None, gt=0)
    recipient: dict[str, str]
    purpose: str = ""
    travel_rule: dict[str, Any] | None = None


class Accepted(BaseModel):
    id: str
    status: str = "accepted"
