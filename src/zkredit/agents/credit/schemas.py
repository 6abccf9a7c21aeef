"""Wire shapes of the credit agent's envelope payloads, checked before any key is read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from zkredit.agents.common.payloads import HexSignature, MinorAmount, WalletAddress

Circuit = Literal["income", "credit_history", "collateral", "identity"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpenRequest(_Strict):
    """``credit.application.open``: what the worker asks for, and the wallet it proves for."""

    worker_ref: str = Field(min_length=1, max_length=64)
    amount_minor: MinorAmount
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    months: StrictInt = Field(gt=0, le=360)
    wallet: WalletAddress


class ProofJson(BaseModel):
    """A Groth16 proof in snarkjs JSON and its public signals (decimal strings)."""

    proof: dict[str, Any]
    public: list[str | int] = Field(max_length=64)


class SubmitRequest(_Strict):
    """``credit.application.submit``: the proofs the worker could make, named by circuit."""

    application_id: str = Field(min_length=1, max_length=64)
    proofs: dict[Circuit, ProofJson] = Field(default_factory=dict)
    missing: list[Circuit] = Field(default_factory=list)
    submission: dict[str, Any] | None = None


class AcceptRequest(_Strict):
    """``credit.offer.accept``: the borrower's EIP-712 acceptance and where to pay out."""

    offer_id: str = Field(min_length=1, max_length=64)
    signature: HexSignature
    payout: dict[str, Any] | None = None


class RepaymentIn(_Strict):
    """``POST /loans/{id}/repayments``: a payment the lender received, and its reference.

    The reference (the payment processor's id of the payment) makes the call
    idempotent: the same reference again is the same repayment.
    """

    amount_minor: MinorAmount
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    reference: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:/-]+$")
