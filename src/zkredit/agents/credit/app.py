"""The credit agent's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.credit.routes import router
from zkredit.agents.credit.service import CreditService


def create_app(
    runtime: PartyRuntime, service: CreditService, card: AgentCard, *, capture: bool = False
) -> FastAPI:
    service.register()
    app = create_agent_app(
        "credit", lambda: card, [router, runtime.inbox.router(), runtime.dead_letter_router()],
        checks={"database": lambda: (True, f"{runtime.db.ping() * 1000:.1f} ms")},
        description="Publishes its policy, verifies proofs, decides, attests on chain, lends.",
        capture_bodies=runtime.home / "logs" / "http-bodies.jsonl" if capture else None,
    )
    app.state.credit = service
    return app
