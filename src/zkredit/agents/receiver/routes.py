"""The receiver agent's HTTP routes and envelope handlers: parse, call a service, reply."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from zkredit.agents.common.envelope import Envelope
from zkredit.agents.common.messaging import MessageHandler
from zkredit.agents.common.paging import Before, Limit
from zkredit.agents.receiver.schemas import (
    DisputeOpen,
    DisputeOut,
    DisputeResolve,
    PayoutLookup,
    PayoutReply,
    PayoutSummary,
    TravelRuleKeyOut,
    parse_payload,
)
from zkredit.agents.receiver.service import ReceiverServices
from zkredit.agents.receiver.travel_rule import ALGORITHM

HTTP_CALLER = "http"
MESSAGE_TYPES = ("receiver.payout.request", "receiver.payout.status", "receiver.dispute.open")


def _services(request: Request) -> ReceiverServices:
    services: ReceiverServices = request.app.state.receiver
    return services


Services = Annotated[ReceiverServices, Depends(_services)]

router = APIRouter(tags=["receiver"])


@router.get("/travel-rule/key", response_model=TravelRuleKeyOut)
def travel_rule_key(services: Services) -> TravelRuleKeyOut:
    return TravelRuleKeyOut(
        agent=services.runtime.name, algorithm=ALGORITHM, public_key=services.travel_key.public_hex
    )


@router.get("/payouts", response_model=list[PayoutSummary])
def list_payouts(services: Services, limit: Limit = 50,
                 before: Before = None) -> list[PayoutSummary]:
    return services.receiver.payouts(limit, before)


@router.get("/disputes", response_model=list[DisputeOut])
def list_disputes(services: Services, limit: Limit = 50,
                  before: Before = None) -> list[DisputeOut]:
    return services.receiver.disputes(limit, before)


@router.get("/payouts/{payout_id}", response_model=PayoutReply, response_model_exclude_none=True)
def get_payout(payout_id: str, services: Services) -> PayoutReply:
    return services.receiver.payout_status(PayoutLookup(payout_id=payout_id))


@router.post("/disputes", response_model=DisputeOut, status_code=201)
def open_dispute(body: DisputeOpen, services: Services) -> DisputeOut:
    return services.receiver.open_dispute(body, HTTP_CALLER)


@router.get("/disputes/{dispute_id}", response_model=DisputeOut)
def get_dispute(dispute_id: str, services: Services) -> DisputeOut:
    return services.receiver.dispute(dispute_id)


@router.post("/disputes/{dispute_id}/resolve", response_model=DisputeOut)
def resolve_dispute(dispute_id: str, body: DisputeResolve, services: Services) -> DisputeOut:
    return services.receiver.resolve_dispute(dispute_id, body)


def message_handlers(services: ReceiverServices) -> dict[str, MessageHandler]:
    """The envelope types this agent handles, each a thin call into the service."""
    receiver = services.receiver

    def payout(envelope: Envelope, key: str | None) -> dict[str, Any]:
        reply = receiver.payout(envelope.payload, envelope.sender)
        return reply.model_dump(mode="json", exclude_none=True)

    def status(envelope: Envelope, key: str | None) -> dict[str, Any]:
        lookup = parse_payload(PayoutLookup, envelope.payload)
        return receiver.payout_status(lookup).model_dump(mode="json", exclude_none=True)

    def dispute(envelope: Envelope, key: str | None) -> dict[str, Any]:
        request = parse_payload(DisputeOpen, envelope.payload)
        return receiver.open_dispute(request, envelope.sender).model_dump(mode="json")

    return dict(zip(MESSAGE_TYPES, (payout, status, dispute), strict=True))
