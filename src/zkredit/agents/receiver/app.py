"""The receiver agent's FastAPI app and the builder of its services."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.common.runtime import PartyRuntime, utcnow
from zkredit.agents.receiver.rails import PayoutRail, sandbox_rails
from zkredit.agents.receiver.recipients import RecipientDirectory
from zkredit.agents.receiver.routes import MESSAGE_TYPES, message_handlers, router
from zkredit.agents.receiver.service import ReceiverService, ReceiverServices
from zkredit.agents.receiver.travel_rule import ALGORITHM, TravelRuleKey
from zkredit.domain.fees import Route

NAME = "receiver"
DEFAULT_URL = "http://127.0.0.1:3004"
DESCRIPTION = "Verifies recipients, pays out through rail adapters, confirms delivery, disputes."
KEY_FILE = "travel_rule_x25519.key"


def build_services(
    runtime: PartyRuntime,
    *,
    rails: Mapping[Route, PayoutRail] | None = None,
    directory: RecipientDirectory | None = None,
    travel_key: TravelRuleKey | None = None,
    clock: Callable[[], dt.datetime] = utcnow,
    public_url: str = DEFAULT_URL,
    secrets_keyring: Any = None,
) -> ReceiverServices:
    """Wire the agent's services. Without ``rails`` the deterministic sandbox rails pay;
    without ``travel_key`` the key in ``<home>/keys/`` is used (created on first start)."""
    key = travel_key or TravelRuleKey.load_or_create(runtime.home / "keys" / KEY_FILE,
                                                     secrets_keyring)
    receiver = ReceiverService(
        runtime,
        directory or RecipientDirectory(),
        rails or sandbox_rails(),
        key,
        clock=clock,
    )
    receiver.register()
    receiver.resume()  # dispute refunds a previous process did not pass on
    card = AgentCard(
        name=NAME,
        description=DESCRIPTION,
        url=public_url,
        wallet=runtime.account.address,
        chain_id=runtime.chain_id,
        services={
            "travelRuleKey": f"x25519:{key.public_hex}",
            "travelRuleAlgorithm": ALGORITHM,
            "disputes": "/disputes",
        },
        skills=list(MESSAGE_TYPES),
    )
    return ReceiverServices(runtime, receiver, key, card)


def create_app(
    runtime: PartyRuntime, services: ReceiverServices, *, capture: bool = False
) -> FastAPI:
    """The agent's app: envelope handlers on ``runtime.inbox``, its routes, ops endpoints."""
    for message_type, handler in message_handlers(services).items():
        runtime.inbox.on(message_type, handler)
    app = create_agent_app(
        NAME,
        lambda: services.card,
        [router, runtime.inbox.router(), runtime.dead_letter_router()],
        checks={"database": lambda: (True, f"{runtime.db.ping() * 1000:.1f} ms")},
        description=DESCRIPTION,
        capture_bodies=runtime.home / "logs" / "http-bodies.jsonl" if capture else None,
    )
    app.state.receiver = services

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        runtime.jobs.start()
        try:
            yield
        finally:
            runtime.jobs.stop(timeout=10.0)

    app.router.lifespan_context = lifespan
    return app
