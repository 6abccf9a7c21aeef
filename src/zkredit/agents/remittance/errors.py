"""Errors of the remittance agent; ``http_status`` tells the problem handler the status."""

from __future__ import annotations

from zkredit.errors import InputError, ZKreditError


class MissingIdempotencyKey(InputError):
    """Raised when a transfer request carries no ``Idempotency-Key``."""


class IdempotencyConflict(ZKreditError):
    """Raised when an ``Idempotency-Key`` (or a loan id) is reused for a different request."""

    http_status = 409


class RequestInProgress(ZKreditError):
    """Raised when the same request is still being processed under its idempotency key."""

    http_status = 409


class UnknownQuote(ZKreditError, LookupError):
    """Raised when a quote id is not one this agent issued."""

    http_status = 404


class QuoteAlreadyUsed(ZKreditError):
    """Raised when a quote already funds another transfer (each quote funds one)."""

    http_status = 409


class UnknownTransfer(ZKreditError, LookupError):
    """Raised when a transfer id is unknown."""

    http_status = 404


class UnknownWebhook(ZKreditError, LookupError):
    """Raised when a webhook subscription id is unknown."""

    http_status = 404


class SenderNotAllowed(ZKreditError):
    """Raised when an authenticated agent sends a message only another agent may send."""

    http_status = 403


class NotUnderReview(ZKreditError):
    """Raised when a review decision is given for a transfer that is not held."""

    http_status = 409


class PayoutPending(ZKreditError):
    """Raised (inside a job) when the receiver has not answered yet; the job retries."""


class RefundNotApplicable(ZKreditError):
    """Raised when a dispute refund names a transfer this agent has not seen paid out, or
    a payout or amount that is not the transfer's; the payout partner retries or stops."""

    http_status = 409


class FundingPending(ZKreditError):
    """Raised (inside a job) when the pay-in is not collected yet, or the funding rail
    did not answer; the job retries, and nothing is booked meanwhile."""
