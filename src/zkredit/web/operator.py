"""The operator's page: health of every component, proof timings, queues, the audit
log's chain status, and dead-letter jobs with retry."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from zkredit.users.roles import Role
from zkredit.web.app import PageError, Web, redirect

PARTIES = ("worker", "credit", "remittance", "receiver")
HISTOGRAMS = {"zk_proof_generation_duration_seconds": "Proof generation",
              "zk_proof_verification_duration_seconds": "Proof verification"}
QUEUE_GAUGE = "zkredit_job_queue_depth"
CIRCUITS_EVERY_S = 30.0
DEAD_LIMIT = 50


def parse_metrics(text: str) -> dict[str, Any]:
    """Histograms (per circuit: bucket counts, count, mean) and queue depth by state."""
    from prometheus_client.parser import text_string_to_metric_families

    hist: dict[str, dict[str, dict[str, Any]]] = {}
    queue: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name in HISTOGRAMS:
            per = hist.setdefault(family.name, {})
            for s in family.samples:
                key = s.labels.get("circuit_type") or s.labels.get("circuit") or "all"
                entry = per.setdefault(key, {"buckets": [], "count": 0.0, "sum": 0.0})
                if s.name.endswith("_bucket"):
                    entry["buckets"].append((s.labels.get("le", ""), s.value))
                elif s.name.endswith("_count"):
                    entry["count"] = s.value
                elif s.name.endswith("_sum"):
                    entry["sum"] = s.value
        elif family.name == QUEUE_GAUGE:
            for s in family.samples:
                state = s.labels.get("state", "total")
                queue[state] = queue.get(state, 0.0) + s.value
    charts = []
    for name, per in hist.items():
        for circuit, e in sorted(per.items()):
            if not e["count"]:
                continue
            cumulative = [v for _, v in e["buckets"]]
            counts = [max(0.0, b - a) for a, b in zip([0.0, *cumulative], cumulative,
                                                      strict=False)]
            top = max(counts) or 1.0
            charts.append({"metric": HISTOGRAMS[name], "circuit": circuit,
                           "count": int(e["count"]),
                           "mean_ms": 1000 * e["sum"] / e["count"],
                           "bars": [{"le": le, "n": int(n), "pct": int(100 * n / top)}
                                    for (le, _), n in zip(e["buckets"], counts, strict=False)]})
    return {"charts": charts, "queue": queue}


def router(web: Web, app: FastAPI) -> APIRouter:
    r = APIRouter(prefix="/operator", include_in_schema=False)

    async def health() -> dict[str, Any]:
        prober = app.state.prober
        probes = prober.peek()
        if probes is None:
            probes = await run_in_threadpool(prober.read)
        probes = probes or {}
        now = time.time()
        ready = await asyncio.gather(*(web.agents.json_any(n, "/health/ready", timeout=1.5)
                                       for n in PARTIES))
        rows = []
        for name, body in zip(PARTIES, ready, strict=True):
            p = probes.get(name)
            fresh = p is not None and p.age_s(now) <= prober.stale_after_s
            ok = bool(p is not None and p.status == "healthy" and fresh)
            rows.append({"component": f"{name} agent", "ok": ok,
                         "detail": (p.status if p else "not probed yet")
                         + (f" ({p.error})" if p and p.error else "")
                         + (f", {p.latency_ms:.0f} ms" if p and ok else "")})
            checks = (body or {}).get("checks") if isinstance(body, dict) else None
            if not ok or not isinstance(checks, dict):
                for check in ("database", "chain", "circuits"):
                    rows.append({"component": f"{name}: {check}", "ok": False,
                                 "detail": "unknown: the agent does not answer"})
                continue
            for check, result in sorted(checks.items()):
                rows.append({"component": f"{name}: {check}",
                             "ok": result.get("status") == "ok",
                             "detail": result.get("detail", "")})
        rows += await run_in_threadpool(system_checks)
        return {"rows": rows, "all_ok": all(row["ok"] for row in rows)}

    cached: dict[str, tuple[float, Any]] = {}

    def system_checks() -> list[dict[str, Any]]:
        """Redis, the chain, the circuits' integrity manifest and each party's database,
        checked by the gateway itself with ``zkredit health``'s checks (the manifest,
        which hashes every key file, at most every CIRCUITS_EVERY_S)."""
        from zkredit.ops import health as checks

        s = web.settings
        now = time.monotonic()
        if "circuits" not in cached or now - cached["circuits"][0] > CIRCUITS_EVERY_S:
            cached["circuits"] = (now, checks.check_circuits(s))
        found = [checks.check_redis(s, 1.0), checks.check_chain(s, s.chain.rpc_url, 1.0),
                 cached["circuits"][1]]
        found += [checks.check_database(s, p, web.parties.schema_prefix) for p in PARTIES]
        return [{"component": c.name.replace(":", ": "), "ok": c.status != "fail",
                 "detail": ("not used: " if c.status == "skip" else "") + c.detail}
                for c in found]

    async def metrics() -> dict[str, Any]:
        texts = await asyncio.gather(*(web.agents.text(n, "/metrics") for n in PARTIES))
        out: dict[str, Any] = {"charts": [], "queues": {}}
        for name, text in zip(PARTIES, texts, strict=True):
            if text is None:
                out["queues"][name] = None
                continue
            parsed = parse_metrics(text)
            out["charts"] += [{**c, "agent": name} for c in parsed["charts"]]
            out["queues"][name] = parsed["queue"]
        return out

    def audit() -> list[dict[str, Any]]:
        from sqlalchemy import select

        from zkredit.store.audit import AuditLog
        from zkredit.store.auditchain import to_hex
        from zkredit.store.models import AuditRow

        out = []
        for party in PARTIES:
            try:
                db = web.parties.db(party)
                report = AuditLog(db).verify(None)
                with db.session() as s:
                    recent = [{"seq": row.seq, "actor": row.actor, "kind": row.kind,
                               "at": row.created_at.isoformat(timespec="seconds")}
                              for row in s.scalars(select(AuditRow).order_by(
                                  AuditRow.seq.desc()).limit(8))]
                out.append({"party": party, "ok": report.ok, "entries": report.entry_count,
                            "head": to_hex(report.head_hash),
                            "anchors": report.anchors_checked,
                            "break": str(report.first_break) if report.first_break else "",
                            "recent": recent})
            except Exception as exc:
                out.append({"party": party, "ok": False, "entries": 0, "head": "",
                            "anchors": 0, "break": f"cannot be read: {type(exc).__name__}",
                            "recent": []})
        return out

    async def dead(token: str) -> dict[str, Any]:
        """Each agent's dead-letter jobs, from its own ``GET /jobs/dead`` (as the operator)."""
        from zkredit.web.agents import AgentError

        async def one(party: str) -> Any:
            try:
                got = await web.agents.call(party, "GET", "/jobs/dead", token=token,
                                            params={"limit": DEAD_LIMIT}, timeout=3.0)
            except AgentError as exc:
                return {"error": exc.message}
            return [{"id": j["id"], "kind": j["kind"],
                     "attempts": f"{j['attempts']}/{j['max_attempts']}",
                     "at": j["died_at"], "error": j["last_error"][:300]}
                    for j in got["jobs"]]

        found = await asyncio.gather(*(one(p) for p in PARTIES))
        return dict(zip(PARTIES, found, strict=True))

    @r.get("")
    @web.page
    async def page(request: Request) -> Response:
        session = await web.require(request, Role.OPERATOR)
        return web.render(request, "operator/page.html", {
            "health": await health(), "metrics": await metrics(),
            "audit": await run_in_threadpool(audit), "dead": await dead(session.tokens.access),
            "retried": request.query_params.get("retried")})

    @r.get("/health")
    @web.page
    async def health_fragment(request: Request) -> Response:
        await web.require(request, Role.OPERATOR)
        return web.render(request, "operator/_health.html", {"health": await health()})

    @r.post("/jobs/{party}/{job_id}/retry")
    @web.page
    async def retry(request: Request, party: str, job_id: str) -> Response:
        from zkredit.web.agents import AgentError

        session = await web.require(request, Role.OPERATOR)
        await web.form(request, session)
        if party not in PARTIES:
            raise PageError(404, f"There is no party {party!r}.")
        try:
            done = await web.agents.call(party, "POST", f"/jobs/{quote(job_id, safe='')}/retry",
                                         token=session.tokens.access)
        except AgentError as exc:
            if exc.status == 404:
                raise PageError(404, f"{party} has no dead job {job_id}: it may have been "
                                "retried already.") from None
            if exc.status == 409:
                raise PageError(409, exc.message, "Cannot retry") from None
            raise
        return redirect(f"/operator?retried={quote(done['id'], safe='')}")

    return r
