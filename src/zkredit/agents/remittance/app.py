"""The remittance agent's FastAPI app and the builder of its services."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.common.egress import EgressPolicy
from zkredit.agents.common.runtime import PartyRuntime, utcnow
from zkredit.agents.remittance.compliance import ComplianceChecks
from zkredit.agents.remittance.disputes import DisputeRefunds
from zkredit.agents.remittance.events import EventPublisher
from zkredit.agents.remittance.funding import FundingRail, SandboxFundingRail
from zkredit.agents.remittance.identity import MAX_ROOT_AGE, IdentityChecker, ProofVerifier
from zkredit.agents.remittance.metrics import RemittanceMetrics
from zkredit.agents.remittance.payouts import PayoutGateway, PeerPayoutGateway
from zkredit.agents.remittance.pipeline import TransferPipeline
from zkredit.agents.remittance.routes import MESSAGE_TYPES, message_handlers, router
from zkredit.agents.remittance.service import RemittanceService, RemittanceServices
from zkredit.agents.remittance.settlement import LedgerOnlySettlement, Settlement
from zkredit.agents.remittance.trust import TrustView
from zkredit.agents.remittance.webhooks import DELIVER_JOB, WebhookService
from zkredit.agents.worker.vault import Keyring
from zkredit.chain.scope import REMITTANCE_SCOPE_DOMAIN, derived_scope
from zkredit.domain.fees import FeeSchedule
from zkredit.domain.fx import RateProvider, SnapshotRateProvider
from zkredit.domain.sanctions import SanctionsList, WalletDenyList
from zkredit.jobs.api import WEBHOOK_QUEUE

NAME = "remittance"
DEFAULT_URL = "http://127.0.0.1:3003"
DESCRIPTION = "Quotes FX, fees and routes; runs compliance; executes transfers; keeps the ledger."


def build_services(
    runtime: PartyRuntime,
    *,
    trust: TrustView,
    verifier: ProofVerifier,
    settlement: Settlement | None = None,
    payouts: PayoutGateway | None = None,
    funding: FundingRail | None = None,
    rates: RateProvider | None = None,
    schedule: FeeSchedule | None = None,
    sanctions: SanctionsList | None = None,
    deny_list: WalletDenyList | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    max_root_age: dt.timedelta = MAX_ROOT_AGE,
    public_url: str = DEFAULT_URL,
    webhook_client: httpx.Client | None = None,
    webhook_egress: EgressPolicy | None = None,
    secrets_keyring: Keyring | None = None,
    proof_scope: int | None = None,
) -> RemittanceServices:
    """Wire the agent's services and register its job kinds on ``runtime.jobs``.

    ``verifier`` is usually ``Groth16pyBackend(catalog)`` (only the verification key
    is used); ``trust`` a :class:`~zkredit.agents.remittance.trust.JsonTrustView` or a
    chain-backed view; the packaged demo data stand in for rates, fees and lists.
    ``funding`` is the rail that collects each transfer's total before it is funded
    (default: the sandbox rail, which keeps its record in this agent's database).
    ``proof_scope`` is the scope derived from this provider's agent id on chain
    (:func:`zkredit.chain.scope.derived_scope`); without a chain it is derived from
    the agent's own wallet instead. Either way the prover never chooses it.
    """
    rates = rates or SnapshotRateProvider.packaged()
    metrics = RemittanceMetrics()
    webhooks = WebhookService(runtime, metrics, client=webhook_client, clock=clock,
                              egress=webhook_egress, keyring=secrets_keyring)
    publisher = EventPublisher(runtime, metrics, webhooks.notify)
    compliance = ComplianceChecks(
        IdentityChecker(verifier, trust, max_root_age=max_root_age, metrics=metrics),
        rates,
        sanctions or SanctionsList.packaged(),
        deny_list or WalletDenyList.packaged(),
        metrics,
    )
    pipeline = TransferPipeline(
        runtime,
        publisher,
        compliance,
        payouts or PeerPayoutGateway(runtime.peers),
        settlement or LedgerOnlySettlement(),
        clock,
        funding or SandboxFundingRail(runtime.db, clock=clock),
    )
    remittance = RemittanceService(
        runtime,
        pipeline,
        publisher,
        rates=rates,
        schedule=schedule or FeeSchedule.packaged(),
        clock=clock,
        proof_scope=proof_scope if proof_scope is not None else derived_scope(
            REMITTANCE_SCOPE_DOMAIN, runtime.chain_id, runtime.account.address, 0),
    )
    disputes = DisputeRefunds(runtime, publisher, clock)
    pipeline.register()
    disputes.register()
    runtime.jobs.register(DELIVER_JOB, webhooks.deliver, max_attempts=8,
                          queue=WEBHOOK_QUEUE)  # its own threads: never delays a transfer
    pipeline.resume()  # transfers a previous process left between two steps
    disputes.resume()  # dispute refunds whose notice a previous process did not send
    card = AgentCard(
        name=NAME,
        description=DESCRIPTION,
        url=public_url,
        wallet=runtime.account.address,
        chain_id=runtime.chain_id,
        services={"quotes": "/quotes", "transfers": "/transfers/{id}", "webhooks": "/webhooks"},
        skills=list(MESSAGE_TYPES),
    )
    return RemittanceServices(runtime, remittance, pipeline, webhooks, metrics, card, disputes)


def create_app(
    runtime: PartyRuntime, services: RemittanceServices, *, capture: bool = False
) -> FastAPI:
    """The agent's app: envelope handlers on ``runtime.inbox``, its routes, ops endpoints.

    The app's lifespan starts the job queue (a no-op when already started) and
    stops it on shutdown; servers run with ``lifespan="off"`` start it themselves.
    """
    for message_type, handler in message_handlers(services).items():
        runtime.inbox.on(message_type, handler)
    app = create_agent_app(
        NAME,
        lambda: services.card,
        [router, runtime.inbox.router(), runtime.dead_letter_router()],
        checks={"database": lambda: (True, f"{runtime.db.ping() * 1000:.1f} ms")},
        registry=services.metrics.registry,
        description=DESCRIPTION,
        capture_bodies=runtime.home / "logs" / "http-bodies.jsonl" if capture else None,
    )
    app.state.remittance = services

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.jobs.start()
        try:
            yield
        finally:
            runtime.jobs.stop(timeout=10.0)
            services.webhooks.close()

    app.router.lifespan_context = lifespan
    return app
