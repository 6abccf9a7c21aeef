"""The EIP-712 loan-offer acceptance both sides agree on (borrower signs, lender checks)."""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_keys.exceptions import BadSignature

from zkredit.errors import SignatureError

ACCEPTANCE_TYPES = {
    "EIP712Domain": [
        {"name": "name", "type": "string"},
        {"name": "version", "type": "string"},
        {"name": "chainId", "type": "uint256"},
    ],
    "LoanOfferAcceptance": [
        {"name": "offerId", "type": "string"},
        {"name": "principalMinor", "type": "uint256"},
        {"name": "currency", "type": "string"},
        {"name": "aprBps", "type": "uint256"},
        {"name": "months", "type": "uint256"},
        {"name": "monthlyPaymentMinor", "type": "uint256"},
    ],
}


def offer_typed_data(offer: dict[str, Any], chain_id: int) -> dict[str, Any]:
    """The typed data of accepting ``offer`` (its terms, as the lender sent them)."""
    return {
        "types": ACCEPTANCE_TYPES,
        "primaryType": "LoanOfferAcceptance",
        "domain": {"name": "ZKredit Loans", "version": "1", "chainId": chain_id},
        "message": {
            "offerId": str(offer["offer_id"]),
            "principalMinor": int(offer["principal_minor"]),
            "currency": str(offer["currency"]),
            "aprBps": int(offer["apr_bps"]),
            "months": int(offer["months"]),
            "monthlyPaymentMinor": int(offer["monthly_payment_minor"]),
        },
    }


def sign_offer(account: LocalAccount, offer: dict[str, Any], chain_id: int) -> str:
    sig = account.sign_message(encode_typed_data(full_message=offer_typed_data(offer, chain_id)))
    return "0x" + sig.signature.hex().removeprefix("0x")


def offer_signer(offer: dict[str, Any], chain_id: int, signature: str) -> str:
    """The address that signed the acceptance of ``offer``.

    Raises :class:`SignatureError` when ``signature`` is not a recoverable signature.
    """
    try:
        return str(Account.recover_message(
            encode_typed_data(full_message=offer_typed_data(offer, chain_id)),
            signature=bytes.fromhex(signature.removeprefix("0x")),
        ))
    except (BadSignature, ValueError) as exc:
        raise SignatureError(f"the acceptance signature is malformed: {exc}") from None
