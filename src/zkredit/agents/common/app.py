"""The app factory every agent uses: health, metrics, agent card, error mapping."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from zkredit import __version__
from zkredit.agents.common import problems
from zkredit.agents.common.health import HealthCheck, Readiness, health_router
from zkredit.telemetry import install_telemetry


def install_body_capture(app: FastAPI, path: Path) -> None:
    """Record request bodies as received, for audits of what reached this agent."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = threading.Lock()

    @app.middleware("http")
    async def capture(request: Request, call_next: Callable[[Request], Awaitable[Response]]
                      ) -> Response:
        body = await request.body()
        if body:
            line = json.dumps({"ts": time.time(), "method": request.method,
                               "path": request.url.path,
                               "body": body.decode("utf-8", "replace")})
            with lock, path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        return await call_next(request)


@dataclass
class AgentCard:
    """An ERC-8004 agent card (registration file, January 2026 revision): who the agent
    is, the services it offers, whether it takes x402 payments, whether it is active, and
    its on-chain registrations. ``services`` are extra (name -> endpoint) entries after
    the A2A endpoint and the wallet."""

    name: str
    description: str
    url: str
    wallet: str
    agent_id: int | None = None
    registry: str | None = None
    chain_id: int | None = None
    services: dict[str, str] = field(default_factory=dict)
    skills: list[str] = field(default_factory=list)
    x402_support: bool = False
    active: bool = True

    def to_json(self) -> dict[str, Any]:
        registrations = []
        if self.agent_id is not None and self.registry:
            registrations.append(
                {
                    "agentId": self.agent_id,
                    "agentRegistry": f"eip155:{self.chain_id}:{self.registry}",
                }
            )
        return {
            "type": "https://eips.ethereum.org/EIPS/eip-8004#registration-v1",
            "name": self.name,
            "description": self.description,
            "image": None,
            "services": [
                {"name": "A2A", "endpoint": self.url},
                {"name": "agentWallet", "endpoint": f"eip155:{self.chain_id}:{self.wallet}"},
                *({"name": k, "endpoint": v} for k, v in sorted(self.services.items())),
            ],
            "x402Support": self.x402_support,
            "active": self.active,
            "registrations": registrations,
            "supportedTrust": ["reputation", "validation"],
            "skills": self.skills,
            "version": __version__,
        }


def create_agent_app(
    name: str,
    card: Callable[[], AgentCard],
    routers: list[APIRouter],
    *,
    checks: dict[str, HealthCheck] | None = None,
    registry: CollectorRegistry | None = None,
    description: str = "",
    capture_bodies: Path | None = None,
    check_timeout_s: float = 2.0,
) -> FastAPI:
    """A FastAPI app with the endpoints every agent serves, plus ``routers``.

    ``capture_bodies``: append every HTTP request body this agent receives to that
    JSON-lines file (the demo's privacy audit reads it back).

    ``checks`` are the readiness checks of ``/health/ready``, each given
    ``check_timeout_s``; ``app.state.readiness.drain()`` turns the app not-ready on shutdown.
    """
    app = FastAPI(title=f"ZKredit {name} agent", version=__version__, description=description)
    problems.install(app)
    if capture_bodies is not None:
        install_body_capture(app, capture_bodies)
    metrics_registry = registry or CollectorRegistry()
    install_telemetry(app, name, metrics_registry)
    readiness = Readiness(checks, timeout_s=check_timeout_s)
    app.include_router(health_router(name, readiness))

    @app.get("/metrics", tags=["ops"])
    def metrics() -> Response:
        return Response(generate_latest(metrics_registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/.well-known/agent-card.json", tags=["ops"])
    def agent_card() -> JSONResponse:
        return JSONResponse(card().to_json())

    for router in routers:
        app.include_router(router)
    app.state.agent_name = name
    app.state.readiness = readiness
    return app
