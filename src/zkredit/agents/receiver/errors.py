"""Errors of the receiver agent; ``http_status`` tells the problem handler the status."""

from __future__ import annotations

from zkredit.errors import ZKreditError


class SenderNotAllowed(ZKreditError):
    """Raised when an authenticated agent sends a message only another agent may send."""

    http_status = 403


class PayoutConflict(ZKreditError):
    """Raised when a transfer id is paid again with a different request."""

    http_status = 409


class UnknownPayout(ZKreditError, LookupError):
    """Raised when no payout matches the given payout or transfer id."""

    http_status = 404


class UnknownDispute(ZKreditError, LookupError):
    """Raised when a dispute id is unknown."""

    http_status = 404


class DisputeNotAllowed(ZKreditError):
    """Raised when a dispute is opened on a payout that was not paid, or is already disputed,
    or resolved when it is no longer open."""

    http_status = 409
