"""The EIP-712 loan-offer acceptance both sides agree on (borrower signs, lender checks).

The acceptance covers the offer's terms and where the loan is paid out: ``payoutHash``
is the keccak of the payout (route and recipient) as canonical JSON, so the lender can
disburse only to the account the borrower signed for.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_keys.exceptions import BadSignature
from eth_utils.crypto import keccak

from zkredit.agents.common.envelope import canonical_json
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
        {"name": "payoutHash", "type": "bytes32"},
    ],
}


def payout_hash(payout: dict[str, Any] | None) -> bytes:
    """What the acceptance signs of the payout: keccak of its canonical JSON."""
    return keccak(canonical_json(payout or {}))


def offer_typed_data(offer: dict[str, Any], chain_id: int,
                     payout: dict[str, Any] | None = None) -> dict[str, Any]:
    """The typed data of accepting ``offer`` (its terms, as the lender sent them), to be
    paid out to ``payout``."""
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
            "payoutHash": payout_hash(payout),
        },
    }


def sign_offer(account: LocalAccount, offer: dict[str, Any], chain_id: int,
               payout: dict[str, Any] | None = None) -> str:
    typed = offer_typed_data(offer, chain_id, payout)
    sig = account.sign_message(encode_typed_data(full_message=typed))
    return "0x" + sig.signature.hex().removeprefix("0x")


def offer_signer(offer: dict[str, Any], chain_id: int, signature: str,
                 payout: dict[str, Any] | None = None) -> str:
    """The address that signed the acceptance of ``offer`` paid out to ``payout`` (a
    signature for another payout recovers another address).

    Raises :class:`SignatureError` when ``signature`` is not a recoverable signature.
    """
    try:
        return str(Account.recover_message(
            encode_typed_data(full_message=offer_typed_data(offer, chain_id, payout)),
            signature=bytes.fromhex(signature.removeprefix("0x")),
        ))
    except (BadSignature, ValueError) as exc:
        raise SignatureError(f"the acceptance signature is malformed: {exc}") from None
