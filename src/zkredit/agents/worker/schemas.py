"""Request and response bodies of the worker agent's own API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from zkredit.agents.common.payloads import FieldDecimal, LaxMinorAmount
from zkredit.zk.field import FieldElement
from zkredit.zk.merkle import MAX_DEPTH, MerkleProof


class IdentityIn(BaseModel):
    label: str = Field(min_length=1, max_length=128)


class IdentityOut(BaseModel):
    identity_id: str
    commitment: str
    wallet: str


class MembershipIn(BaseModel):
    """A KYC Merkle inclusion proof: field elements as decimal strings, as circom JSON has them."""

    leaf: FieldDecimal
    index: int = Field(ge=0)
    root: FieldDecimal
    path_elements: list[FieldDecimal] = Field(max_length=MAX_DEPTH)
    path_indices: list[Literal[0, 1]] = Field(max_length=MAX_DEPTH)

    def to_proof(self) -> MerkleProof:
        return MerkleProof(
            leaf=FieldElement(self.leaf), index=self.index,
            path_elements=tuple(FieldElement(x) for x in self.path_elements),
            path_indices=tuple(self.path_indices), root=FieldElement(self.root),
        )


class LoanIn(BaseModel):
    lender: str = "credit"
    amount_minor: LaxMinorAmount
    currency: str = Field(min_length=3, max_length=3)
    months: int = Field(gt=0, le=360)
    payout: dict[str, Any]


class RemittanceIn(BaseModel):
    send_currency: str = Field(min_length=3, max_length=3)
    receive_currency: str = Field(min_length=3, max_length=3)
    route: str
    send_amount_minor: LaxMinorAmount | None = None
    receive_amount_minor: LaxMinorAmount | None = None
    recipient: dict[str, str]
    purpose: str = ""
    travel_rule: dict[str, Any] | None = None


class Accepted(BaseModel):
    id: str
    status: str = "accepted"
