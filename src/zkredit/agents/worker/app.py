"""The worker agent's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from zkredit.agents.common.app import AgentCard, create_agent_app
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.worker.routes import router
from zkredit.agents.worker.service import WorkerService


def create_app(runtime: PartyRuntime, service: WorkerService, card: AgentCard) -> FastAPI:
    app = create_agent_app(
        "worker", lambda: card, [router, runtime.inbox.router(), runtime.dead_letter_router()],
        checks={"database": lambda: (True, f"{runtime.db.ping() * 1000:.1f} ms")},
        description="Holds the worker's identity, credentials and proofs; nothing private "
        "leaves it.",
    )
    app.state.worker = service
    return app
