"""The remittance agent's HTTP routes and envelope handlers: parse, call a service, reply.

Envelopes arrive at ``POST /a2a/messages`` (verified by the inbox); the handlers
here map each message type to a service call. Plain HTTP serves the worker's
polling and people: quotes, transfer status, review of held transfers, webhook
subscriptions and the trial balance.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from zkredit.agents.common.auth import owned_ids, principal_of, record_owner
from zkredit.agents.common.envelope import Envelope
from zkredit.agents.common.messaging import MessageHandler
from zkredit.agents.common.paging import Before, Limit, newest_first
from zkredit.agents.remittance.models import TransferRow
from zkredit.agents.remittance.schemas import (
    DisbursementLookup,
    MoneyJson,
    QuoteReply,
    QuoteRequest,
    ReviewDecision,
    TransferLookup,
    TransferStatus,
    TransferSummary,
    TrialBalanceJson,
    WebhookIn,
    WebhookOut,
    WebhookSecretOut,
    parse_payload,
)
from zkredit.agents.remittance.service import RemittanceServices
from zkredit.domain.remittance import TransferState
from zkredit.errors import ZKreditError
from zkredit.users.roles import Role

HTTP_CALLER = "http"


class ForbiddenSubscription(ZKreditError):
    """Raised when a non-operator subscribes to every transfer's events (F10)."""

    http_status = 403
MESSAGE_TYPES = (
    "remittance.quote.request",
    "remittance.transfer.request",
    "remittance.transfer.status",
    "remittance.disbursement.request",
    "remittance.disbursement.status",
    "remittance.dispute.refunded",
)


def _services(request: Request) -> RemittanceServices:
    services: RemittanceServices = request.app.state.remittance
    return services


Services = Annotated[RemittanceServices, Depends(_services)]

router = APIRouter(tags=["remittance"])


@router.post("/quotes", response_model=QuoteReply)
def create_quote(body: QuoteRequest, services: Services) -> QuoteReply:
    return services.remittance.quote(body, HTTP_CALLER)


@router.get("/transfers", response_model=list[TransferSummary])
def list_transfers(services: Services, state: TransferState | None = None,
                   limit: Limit = 50, before: Before = None) -> list[TransferSummary]:
    """Transfers, newest first, a page at a time; ``state=held`` is the review queue."""
    filters = [] if state is None else [TransferRow.state == state.value]
    with services.runtime.db.session() as s:
        return [TransferSummary(
            transfer_id=row.id, kind=row.kind, state=row.state, route=row.route,
            sent=MoneyJson(amount_minor=row.sent_minor, currency=row.send_currency),
            received=MoneyJson(amount_minor=row.received_minor,
                               currency=row.receive_currency),
            recipient_name=str((row.recipient or {}).get("name", "")),
            created_at=row.created_at)
            for row in newest_first(s, TransferRow, *filters, limit=limit, before=before)]


@router.get(
    "/transfers/{transfer_id}", response_model=TransferStatus, response_model_exclude_none=True
)
def get_transfer(transfer_id: str, services: Services) -> TransferStatus:
    return services.remittance.status(transfer_id)


@router.post(
    "/transfers/{transfer_id}/review",
    response_model=TransferStatus,
    response_model_exclude_none=True,
)
def review_transfer(transfer_id: str, body: ReviewDecision, services: Services) -> TransferStatus:
    return services.remittance.review(transfer_id, body)


@router.post("/webhooks", response_model=WebhookOut, status_code=201)
def register_webhook(body: WebhookIn, services: Services, request: Request) -> WebhookOut:
    caller = principal_of(request)
    if body.transfer_id is None and caller is not None and Role.OPERATOR not in caller.roles:
        raise ForbiddenSubscription("only an operator may subscribe to every transfer; "
                                    "name the transfer_id")
    hook = services.webhooks.register(body, caller.subject if caller else HTTP_CALLER)
    record_owner(request, "webhook", hook.id)
    return hook


@router.get("/webhooks", response_model=list[WebhookOut])
def my_webhooks(services: Services, request: Request,
                limit: Annotated[int, Query(ge=1, le=200)] = 50,
                after: Annotated[str | None, Query(max_length=40)] = None) -> list[WebhookOut]:
    """The caller's subscriptions, a page at a time (``after``: the last id of the page)."""
    return services.webhooks.describe(owned_ids(request, "webhook", limit=limit, after=after))


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: str, services: Services) -> Response:
    services.webhooks.delete(webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/secret", response_model=WebhookSecretOut)
def rotate_webhook_secret(webhook_id: str, services: Services) -> WebhookSecretOut:
    return WebhookSecretOut(id=webhook_id, secret=services.webhooks.rotate_secret(webhook_id))


@router.get("/ledger/trial-balance", response_model=TrialBalanceJson)
def trial_balance(services: Services) -> TrialBalanceJson:
    return services.remittance.trial_balance()


def message_handlers(services: RemittanceServices) -> dict[str, MessageHandler]:
    """The envelope types this agent handles, each a thin call into the service."""
    remittance = services.remittance

    def quote(envelope: Envelope, key: str | None) -> dict[str, Any]:
        request = parse_payload(QuoteRequest, envelope.payload)
        return remittance.quote(request, envelope.sender).model_dump(mode="json")

    def transfer(envelope: Envelope, key: str | None) -> dict[str, Any]:
        reply = remittance.request_transfer(envelope.payload, key, envelope.sender)
        return reply.model_dump(mode="json", exclude_none=True)

    def status(envelope: Envelope, key: str | None) -> dict[str, Any]:
        lookup = parse_payload(TransferLookup, envelope.payload)
        return remittance.status(lookup.transfer_id).model_dump(mode="json", exclude_none=True)

    def disburse(envelope: Envelope, key: str | None) -> dict[str, Any]:
        reply = remittance.disburse(envelope.payload, envelope.sender)
        return reply.model_dump(mode="json", exclude_none=True)

    def disbursement(envelope: Envelope, key: str | None) -> dict[str, Any]:
        lookup = parse_payload(DisbursementLookup, envelope.payload)
        reply = remittance.disbursement_status(lookup.loan_id, envelope.sender)
        return reply.model_dump(mode="json", exclude_none=True)

    def dispute_refunded(envelope: Envelope, key: str | None) -> dict[str, Any]:
        return services.disputes.refunded(envelope.payload, envelope.sender)

    return dict(zip(MESSAGE_TYPES, (quote, transfer, status, disburse, disbursement,
                                    dispute_refunded), strict=True))
