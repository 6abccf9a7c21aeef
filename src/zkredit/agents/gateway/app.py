"""Gateway: ``/api/health`` over every agent, and a small status dashboard."""

from __future__ import annotations

import html
from collections.abc import Callable

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse

from zkredit import __version__
from zkredit.agents.common import problems


def create_app(agents: Callable[[], dict[str, str]]) -> FastAPI:
    """``agents`` maps agent name -> base URL (resolved at request time)."""
    app = FastAPI(title="ZKredit gateway", version=__version__)
    problems.install(app)

    def check_all() -> dict[str, dict[str, object]]:
        results: dict[str, dict[str, object]] = {}
        with httpx.Client(timeout=5.0) as client:
            for name, url in sorted(agents().items()):
                try:
                    r = client.get(url.rstrip("/") + "/health")
                    results[name] = {"status": r.json().get("status", "unknown"), "url": url}
                except (httpx.HTTPError, ValueError) as exc:
                    results[name] = {"status": "unreachable", "url": url, "error": str(exc)}
        return results

    @app.get("/api/health")
    def health() -> JSONResponse:
        agents_status = check_all()
        healthy = all(a["status"] == "healthy" for a in agents_status.values())
        return JSONResponse(
            {"status": "healthy" if healthy else "unhealthy", "version": __version__,
             "agents": agents_status},
            status_code=200 if healthy else 503,
        )

    @app.get("/health")
    def own_health() -> dict[str, str]:
        return {"status": "healthy", "agent": "gateway"}

    @app.get("/", response_class=HTMLResponse)
    def dashboard() -> str:
        rows = "".join(
            f"<tr><td>{html.escape(n)}</td><td>{html.escape(str(a['status']))}</td>"
            f"<td><a href='{html.escape(str(a['url']))}/docs'>{html.escape(str(a['url']))}</a>"
            f"</td></tr>"
            for n, a in check_all().items()
        )
        return (
            "<!doctype html><html><head><title>ZKredit</title><style>"
            "body{font-family:system-ui;margin:2rem}td,th{padding:.3rem 1rem;"
            "border-bottom:1px solid #ddd}</style></head><body>"
            f"<h1>ZKredit {__version__}</h1><p>Privacy-preserving credit and remittance.</p>"
            f"<table><tr><th>agent</th><th>status</th><th>API</th></tr>{rows}</table>"
            "</body></html>"
        )

    return app
