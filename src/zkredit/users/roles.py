"""The roles a user can hold."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user is to the system; routes name the roles they admit (``access.ROUTES``)."""

    WORKER = "worker"
    """A migrant worker: their own identities, loans and remittances at the worker agent."""
    LENDER = "lender"
    """A credit officer: applications, loans and recorded repayments at the credit agent."""
    COMPLIANCE = "compliance"
    """Reviews held transfers and reads transfers at the remittance agent."""
    RECEIVER_OPERATOR = "receiver_operator"
    """Payouts and disputes at the receiver agent."""
    OPERATOR = "operator"
    """Runs the deployment: ledgers, webhooks, payouts, disputes (no worker's private data)."""
    AGENT = "agent"
    """A machine caller over plain HTTP (a payment processor, an integrator)."""


ALL_ROLES = frozenset(Role)


def parse_roles(text: str) -> frozenset[Role]:
    """``"worker,lender"`` -> the roles; an unknown name raises ``ValueError``."""
    out = set()
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            out.add(Role(part))
        except ValueError:
            raise ValueError(
                f"unknown role {part!r}; the roles are {', '.join(r.value for r in Role)}"
            ) from None
    if not out:
        raise ValueError("name at least one role")
    return frozenset(out)
