"""``zkredit security assess``: the seed's security checklist, scored against this system.

Six sections (network, application, blockchain, zk, compliance, monitoring). Each item is
checked against the real configuration (settings, environment document, deployment
record, keystores, circuit manifest, backup store) and, when the services run, the live
system (unauthenticated requests to every route of every agent's OpenAPI, the audit logs
walked). An item is ``pass``, ``warn`` (half its weight), ``fail``, or ``manual`` when
nothing here can verify it (an external audit, a SOC 2 report): manual items are listed
for the operator to attest and are not scored. A section scores the weight it earned out
of the weight it could earn; the total is the mean of the six sections.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from zkredit.bootstrap import AGENTS, agent_urls, build_catalog
from zkredit.ops.health import certificate_days_left, state_parties
from zkredit.settings import PLACEHOLDER_SECRETS, Settings, project_root

SECTIONS = ("network", "application", "blockchain", "zk", "compliance", "monitoring")
ItemStatus = Literal["pass", "warn", "fail", "manual"]
WEIGHTS = {"critical": 30, "high": 20, "medium": 10, "low": 5}
DEFAULT_THRESHOLD = 80.0
DEV_CHAIN_IDS = frozenset({1337, 31337})
PUBLIC_PATHS = frozenset({"/health", "/health/live", "/health/ready", "/metrics",
                          "/.well-known/agent-card.json", "/docs", "/docs/oauth2-redirect",
                          "/redoc", "/openapi.json", "/auth/token", "/auth/refresh",
                          "/auth/logout", "/a2a/messages", "/policy", "/travel-rule/key"})
"""Routes meant to be reached without a token (health, metrics, docs, login, the signed
agent-to-agent envelope endpoint, published policy and keys)."""


@dataclass
class Item:
    id: str
    section: str
    title: str
    severity: str
    status: ItemStatus
    evidence: str
    fix: str = ""

    @property
    def weight(self) -> int:
        return WEIGHTS[self.severity]

    @property
    def earned(self) -> float:
        return {"pass": 1.0, "warn": 0.5, "fail": 0.0, "manual": 0.0}[self.status] * self.weight

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "section": self.section, "title": self.title,
                "severity": self.severity, "status": self.status, "evidence": self.evidence,
                "fix": self.fix}


@dataclass
class Assessment:
    environment: str
    items: list[Item]
    threshold: float = DEFAULT_THRESHOLD
    live: bool = False
    """Whether the services answered (live checks ran)."""

    def section_score(self, section: str) -> float:
        scored = [i for i in self.items if i.section == section and i.status != "manual"]
        possible = sum(i.weight for i in scored)
        return 100.0 if not possible else 100.0 * sum(i.earned for i in scored) / possible

    @property
    def scores(self) -> dict[str, float]:
        return {s: round(self.section_score(s), 1) for s in SECTIONS}

    @property
    def score(self) -> float:
        return round(sum(self.scores.values()) / len(SECTIONS), 1)

    @property
    def passed(self) -> bool:
        return self.score >= self.threshold

    @property
    def risk(self) -> str:
        if any(i.status == "fail" and i.severity == "critical" for i in self.items):
            return "critical"
        return "low" if self.score >= 90 else "medium" if self.score >= self.threshold else "high"

    def item(self, item_id: str) -> Item:
        return next(i for i in self.items if i.id == item_id)

    def to_json(self) -> dict[str, Any]:
        return {"environment": self.environment, "score": self.score,
                "threshold": self.threshold, "passed": self.passed, "risk": self.risk,
                "live": self.live,
                "sections": {s: {"score": self.scores[s], "status": _status(self.scores[s]),
                                 "items": [i.to_json() for i in self.items if i.section == s]}
                             for s in SECTIONS}}


def _status(score: float) -> str:
    return "secure" if score >= 80 else "warning" if score >= 60 else "vulnerable"


@dataclass
class Context:
    """What the items read, gathered once."""

    settings: Settings
    deployment: Any = None
    deployment_error: str = ""
    running: dict[str, str] = field(default_factory=dict)
    """Agents that answered /health/live: name -> base URL."""
    schema_prefix: str | None = None
    backups: Any = None
    backups_error: str = ""


def _doc(settings: Settings) -> Any:
    from zkredit.config.document import EnvironmentDocument

    return settings.environment or EnvironmentDocument(name=settings.app.env.value)


def _where(settings: Settings) -> str:
    from zkredit.config.loader import display_path

    if settings.environment_file is not None:
        return display_path(settings.environment_file)
    return f"environments/{settings.app.env.value}.yml"


# -- network ---------------------------------------------------------------------------------


def network(ctx: Context) -> list[Item]:
    s, doc, where = ctx.settings, _doc(ctx.settings), _where(ctx.settings)
    sec = s.security
    items = []
    if sec.tls_enabled:
        try:
            days, subject, path = certificate_days_left(sec.tls_cert)
            status: ItemStatus = "pass" if days >= 30 else "warn" if days >= 0 else "fail"
            evidence = f"the agents serve TLS with {path} ({subject}), {days} days to expiry"
        except Exception as exc:
            status, evidence = "fail", getattr(exc, "message", str(exc))
    elif sec.tls_proxy:
        status, evidence = "pass", "TLS ends at the declared proxy (security.tls.proxy)"
    else:
        status, evidence = "fail", f"TLS is off (security.tls.enabled is false in {where})"
    items.append(Item("tls", "network", "TLS on every external connection", "critical",
                      status, evidence, "security.tls.enabled with cert and key, or "
                      "security.tls.proxy behind nginx / an Ingress"))
    exposed = [n for n in AGENTS if getattr(s.agents, f"{n}_host") in ("0.0.0.0", "::")]
    bind_ok = not exposed or sec.tls_enabled or sec.tls_proxy
    items.append(Item("bind", "network", "Plain-HTTP services bind only to private interfaces",
                      "high", "pass" if bind_ok else "fail",
                      f"{', '.join(exposed)} bind every interface" + (
                          " behind TLS" if exposed and bind_ok else "") if exposed
                      else "every agent binds to loopback",
                      "Bind to 127.0.0.1 or put TLS in front (security.tls)"))
    segmented = doc.infrastructure.vpc and doc.infrastructure.subnets > 1
    items.append(Item("segmentation", "network", "Network segmentation (VPC, subnets)",
                      "medium", "pass" if segmented else "fail",
                      f"infrastructure.vpc={doc.infrastructure.vpc}, subnets="
                      f"{doc.infrastructure.subnets} declared in {where}",
                      "Run the services in a private network; declare it in the environment"))
    items.append(Item("waf", "network", "Web application firewall in front of the gateway",
                      "low", "pass" if doc.security.waf_enabled else "fail",
                      f"security.waf_enabled={doc.security.waf_enabled} in {where}",
                      "Put a WAF in front of nginx / the Ingress"))
    items.append(Item("firewall", "network", "Host firewall and VPN for operator access",
                      "medium", "manual", "not visible from inside the process: attest it"))
    return items


# -- application -----------------------------------------------------------------------------


def _secret_item(key: str, value: str, variable: str) -> Item:
    placeholder = value.lower() in PLACEHOLDER_SECRETS
    short = len(value) < 32
    status: ItemStatus = "fail" if placeholder else "warn" if short else "pass"
    evidence = (f"{variable} is a placeholder" if placeholder else
                f"{variable} is set but shorter than 32 characters" if short else
                f"{variable} is set (not a placeholder, {len(value)} characters)")
    return Item(key, "application", f"{variable} is a real secret", "critical", status,
                evidence, f"{variable}=$(openssl rand -hex 32)")


def application(ctx: Context) -> list[Item]:
    s, doc, where = ctx.settings, _doc(ctx.settings), _where(ctx.settings)
    items = [_secret_item("jwt_secret", s.security.jwt_secret, "JWT_SECRET"),
             _secret_item("encryption_key", s.security.encryption_key, "ENCRYPTION_KEY")]
    limited = doc.security.rate_limiting.enabled and s.security.rate_limit_requests > 0
    items.append(Item("rate_limits", "application", "Rate limits configured", "medium",
                      "pass" if limited else "fail",
                      f"{s.security.rate_limit_requests} requests per "
                      f"{s.security.rate_limit_window_ms // 1000} s per client; "
                      f"security.rate_limiting.enabled={doc.security.rate_limiting.enabled} "
                      f"in {where}", "RATE_LIMIT_REQUESTS / RATE_LIMIT_WINDOW"))
    items.append(Item("log_level", "application", "Logs carry no request data (no debug)",
                      "medium", "fail" if s.app.log_level == "debug" else "pass",
                      f"LOG_LEVEL={s.app.log_level}", "LOG_LEVEL=info"))
    items.append(_auth_item(ctx))
    items.append(Item("injection", "application", "SQL injection and XSS prevention", "high",
                      "manual", "queries go through SQLAlchemy with bound parameters and the "
                      "dashboard escapes its output; a code review or scanner must attest it"))
    return items


def _auth_item(ctx: Context) -> Item:
    title = "Authentication on every non-public route"
    if not ctx.running:
        return Item("auth", "application", title, "critical", "manual",
                    "no agent answered: the live route walk did not run (start the system)")
    open_routes: list[str] = []
    walked = 0
    for name, url in ctx.running.items():
        try:
            spec = httpx.get(f"{url}/openapi.json", timeout=5).json()
        except (httpx.HTTPError, ValueError):
            continue
        for path, methods in spec.get("paths", {}).items():
            if path in PUBLIC_PATHS:
                continue
            concrete = path.replace("{", "").replace("}", "")
            for method in methods:
                walked += 1
                try:
                    r = httpx.request(method.upper(), f"{url}{concrete}", timeout=5, json={})
                except httpx.HTTPError:
                    continue
                if r.status_code not in (401, 403):
                    open_routes.append(f"{name} {method.upper()} {path} -> {r.status_code}")
    if open_routes:
        return Item("auth", "application", title, "critical", "fail",
                    f"{len(open_routes)} of {walked} routes answered without a token: "
                    + "; ".join(open_routes[:5]), "Give each route a role in the access table")
    return Item("auth", "application", title, "critical", "pass",
                f"{walked} routes of {len(ctx.running)} running agents refused a request "
                "without a token (401/403)")


# -- blockchain --------------------------------------------------------------------------------


def blockchain(ctx: Context) -> list[Item]:
    s = ctx.settings
    items = [_keystores_item(ctx)]
    d = ctx.deployment
    if d is None:
        items.append(Item("deployment", "blockchain", "A deployment record for this "
                          "environment", "high", "fail", ctx.deployment_error or
                          "no deployment record", f"zkredit deploy --env {s.app.env.value}"))
        return items
    roles: dict[str, list[str]] = d.config.get("roles", {})
    pausers = roles.get("pauser", [])
    items.append(Item("pausable", "blockchain", "Contracts pausable, pauser role held",
                      "high", "pass" if pausers else "fail",
                      f"pauser: {', '.join(pausers) or 'nobody'} (deployment record "
                      f"{d.chain_id}.json)", "zkredit deploy --role pauser=0x..."))
    admins = {r: set(h) for r, h in roles.items() if r != "anchorer"}
    holders = set().union(*admins.values()) if admins else set()
    split = len(holders | {d.deployer}) > 1 and not all(h == {d.deployer}
                                                         for h in admins.values())
    items.append(Item("roles_split", "blockchain", "Admin roles split between holders",
                      "high", "pass" if split else "fail",
                      f"{len(holders)} distinct holder(s) of {len(admins)} roles; the deployer "
                      f"{d.deployer} holds " + ", ".join(r for r, h in admins.items()
                                                         if d.deployer in h),
                      "zkredit deploy --role ROLE=0x... for each role, --admin 0x..."))
    dev_chain = d.chain_id in DEV_CHAIN_IDS
    items.append(Item("chain", "blockchain", "Not a development chain", "high",
                      "fail" if dev_chain and not s.is_development else
                      "warn" if dev_chain else "pass",
                      f"chain id {d.chain_id} ({d.environment} deployment)",
                      "Deploy on the environment's network"))
    items.append(Item("contract_audit", "blockchain", "Smart contract audit / formal "
                      "verification", "high", "manual", "attest the audit report"))
    return items


def _keystores_item(ctx: Context) -> Item:
    from zkredit.keystore import Keystore

    store = Keystore(ctx.settings.app.keystore_dir)
    found, weak = [], []
    for name in AGENTS:
        if not store.exists(name):
            continue
        path = ctx.settings.app.keystore_dir / f"{name}.json"
        found.append(name)
        mode = path.stat().st_mode & 0o777
        kdf = json.loads(path.read_text()).get("crypto", {}).get("kdf")
        if mode & 0o077 or kdf != "scrypt":
            weak.append(f"{name} (mode {mode:o}, kdf {kdf})")
    missing = [n for n in AGENTS if n not in found]
    status: ItemStatus = "fail" if missing or weak else "pass"
    evidence = (f"keystores in {ctx.settings.app.keystore_dir}: "
                + (f"missing for {', '.join(missing)} (label-derived keys)" if missing else
                   f"weak: {', '.join(weak)}" if weak else
                   f"{len(found)} agents, scrypt, mode 0600"))
    return Item("keystores", "blockchain", "Agent keys in encrypted keystores", "critical",
                status, evidence, "zkredit keys new --agent NAME")


# -- zk ----------------------------------------------------------------------------------------


def zk(ctx: Context) -> list[Item]:
    s = ctx.settings
    items = []
    catalog = build_catalog(s)
    manifest = catalog.read_manifest()
    setup = manifest.get("setup")
    phase2 = manifest.get("phase2", {})
    contributions = int(phase2.get("contributions", 0))
    ceremony = setup == "ceremony" and contributions >= 2
    items.append(Item("ceremony", "zk", "Circuit keys from a multi-party ceremony", "critical",
                      "pass" if ceremony else "fail",
                      f"setup {setup!r} in {catalog.manifest_path()}" + (
                          f": {contributions} phase-2 contributions and a beacon"
                          if setup == "ceremony" else ": a single-party development setup, "
                          "whose maker can forge any proof"), "zkredit ceremony"))
    problems = catalog.verify()
    items.append(Item("integrity", "zk", "Circuit keys match their manifest", "critical",
                      "fail" if problems else "pass",
                      problems[0] if problems else f"{len(catalog.names())} circuits hash as "
                      "recorded", "Restore circuits/keys from git"))
    items.append(Item("security_level", "zk", "ZK_SECURITY_LEVEL=high", "high",
                      "pass" if s.zk.security_level == "high" else "fail",
                      f"ZK_SECURITY_LEVEL={s.zk.security_level}"))
    missing = [spec.name for spec in catalog if not {"nullifier", "scope"} <= set(spec.public)]
    on_chain = ctx.deployment is not None and "ZKCreditVerifier" in ctx.deployment.contracts
    items.append(Item("nullifier_scope", "zk", "Nullifier and scope checks on", "critical",
                      "fail" if missing else "pass" if on_chain else "warn",
                      (f"circuits without a public nullifier and scope: {', '.join(missing)}"
                       if missing else "every circuit exposes nullifier and scope as public "
                       "inputs" + ("; ZKCreditVerifier consumes nullifiers on chain" if on_chain
                                   else "; no ZKCreditVerifier in a deployment record"))))
    encrypted = s.security.encryption_key.lower() not in PLACEHOLDER_SECRETS
    items.append(Item("vault", "zk", "Private inputs encrypted at rest (the worker's vault)",
                      "high", "pass" if encrypted else "fail",
                      "the vault key derives from ENCRYPTION_KEY" + (
                          "" if encrypted else ", a placeholder")))
    items.append(Item("circuit_audit", "zk", "Circuit audit", "high", "manual",
                      "attest the audit of circuits/src"))
    return items


# -- compliance --------------------------------------------------------------------------------


def compliance(ctx: Context) -> list[Item]:
    doc, where = _doc(ctx.settings), _where(ctx.settings)
    items = [_audit_item(ctx)]
    days = doc.services.database.backup_retention_days
    items.append(Item("retention", "compliance", "Data retention policy", "medium",
                      "pass" if days else "fail",
                      f"services.database.backup_retention_days={days} in {where}"))
    anchored = ctx.deployment is not None and "AuditAnchor" in ctx.deployment.contracts
    items.append(Item("anchoring", "compliance", "Audit log heads anchored on chain", "medium",
                      "pass" if anchored else "fail",
                      "AuditAnchor deployed" if anchored else "no AuditAnchor in the record"))
    for key in ("gdpr", "soc2", "iso27001"):
        declared = bool(getattr(doc.compliance, key))
        items.append(Item(key, "compliance", f"{key.upper()} programme", "low",
                          "pass" if declared else "fail",
                          f"compliance.{key}={declared} in {where} (declared; attest the "
                          "report)"))
    return items


def _audit_item(ctx: Context) -> Item:
    from zkredit.ops.backup.sources import open_party
    from zkredit.store.audit import AuditLog

    checked, broken, unreachable = [], [], []
    for party in state_parties():
        try:
            db = open_party(ctx.settings, party, ctx.schema_prefix)
        except Exception:
            unreachable.append(party)
            continue
        try:
            if not db.current_heads():
                unreachable.append(party)
                continue
            report = AuditLog(db).verify(None)
            checked.append(f"{party} {report.entry_count}")
            if report.first_break is not None:
                broken.append(f"{party} at seq {report.first_break.seq} "
                              f"({report.first_break.reason.value})")
        except Exception:
            unreachable.append(party)
        finally:
            db.dispose()
    title = "Audit log verifying (hash chain, signatures, anchors)"
    if broken:
        return Item("audit_log", "compliance", title, "critical", "fail",
                    "broken: " + "; ".join(broken), "zkredit audit verify --party NAME")
    if not checked:
        return Item("audit_log", "compliance", title, "critical", "manual",
                    "no database reachable: not verified")
    return Item("audit_log", "compliance", title, "critical",
                "warn" if unreachable else "pass",
                "entries verified: " + ", ".join(checked)
                + (f"; not reachable: {', '.join(unreachable)}" if unreachable else ""))


# -- monitoring ----------------------------------------------------------------------------------


def monitoring(ctx: Context) -> list[Item]:
    import yaml

    s, doc, where = ctx.settings, _doc(ctx.settings), _where(ctx.settings)
    items = []
    rules_path = project_root() / "deploy" / "prometheus" / "alerts.yml"
    names: set[str] = set()
    if rules_path.is_file():
        data = yaml.safe_load(rules_path.read_text()) or {}
        names = {r.get("alert") for g in data.get("groups", []) for r in g.get("rules", [])}
    wanted = {"AgentDown", "CircuitIntegrityFailure", "BackupAge", "ChainUnreachable"}
    missing = sorted(wanted - names)
    enabled = doc.services.monitoring.alerts
    items.append(Item("alerts", "monitoring", "Alerts configured", "high",
                      "pass" if not missing and enabled else "warn" if not missing else "fail",
                      f"{len(names)} alert rules in deploy/prometheus/alerts.yml"
                      + (f", missing {', '.join(missing)}" if missing else "")
                      + f"; services.monitoring.alerts={enabled} in {where}"))
    items.append(Item("telemetry", "monitoring", "Metrics and traces exported", "medium",
                      "pass" if s.telemetry.enabled else "fail",
                      f"ENABLE_TELEMETRY={s.telemetry.enabled}"))
    items.append(Item("security_alerts", "monitoring", "Security alerts routed", "medium",
                      "pass" if doc.security.monitoring.security_alerts else "fail",
                      f"security.monitoring.security_alerts="
                      f"{doc.security.monitoring.security_alerts} in {where}"))
    items.append(_backups_item(ctx))
    items.append(Item("intrusion", "monitoring", "Intrusion detection, vulnerability scanning, "
                      "incident response", "medium", "manual", "attest them"))
    return items


def _backups_item(ctx: Context) -> Item:
    title = "Backups recent and verified"
    try:
        entries = ctx.backups.entries("database") if ctx.backups is not None else []
    except Exception as exc:
        return Item("backups", "monitoring", title, "high", "fail", f"backup store: {exc}")
    good = [e for e in entries if e.verified_ok]
    if not good:
        where = (f"no verified database backup in {ctx.backups.store.where}"
                 if ctx.backups is not None else f"backups cannot be made: {ctx.backups_error}")
        return Item("backups", "monitoring", title, "high", "fail", where,
                    "zkredit backup create --type database; install `zkredit backup schedule`")
    newest = good[0].manifest
    age_h = (dt.datetime.now(dt.UTC) - newest.created).total_seconds() / 3600
    return Item("backups", "monitoring", title, "high", "pass" if age_h <= 26 else "warn",
                f"newest verified database backup {newest.id}, {age_h:.1f} h old "
                f"({len(good)} verified)", "Run the daily schedule (`zkredit backup schedule`)")


# -- the assessment --------------------------------------------------------------------------------

SECTION_CHECKS: dict[str, Callable[[Context], list[Item]]] = {
    "network": network, "application": application, "blockchain": blockchain, "zk": zk,
    "compliance": compliance, "monitoring": monitoring}


def context(settings: Settings, *, schema_prefix: str | None = None,
            rpc_url: str | None = None, store: Any = None) -> Context:
    from zkredit.chain.deployment import Deployment

    ctx = Context(settings, schema_prefix=schema_prefix)
    chain_id = settings.chain.chain_id
    if rpc_url or settings.chain.rpc_url:
        from zkredit.ops.health import rpc

        try:
            chain_id = int(rpc(rpc_url or settings.chain.rpc_url or "", "eth_chainId", 3), 16)
        except Exception as exc:
            ctx.deployment_error = f"chain unreachable: {exc}"
    else:
        records = sorted(settings.app.deployments_dir.glob("*.json"))
        records = [p for p in records if not p.name.endswith(".keys.json")]
        if len(records) == 1:
            chain_id = int(records[0].stem)
    try:
        ctx.deployment = Deployment.load(settings.app.deployments_dir, chain_id)
    except Exception as exc:
        ctx.deployment_error = ctx.deployment_error or getattr(exc, "message", str(exc))
    for name, url in agent_urls(settings).items():
        if name not in AGENTS:
            continue
        try:
            if httpx.get(f"{url}/health/live", timeout=1.0).json().get("agent") == name:
                ctx.running[name] = url
        except (httpx.HTTPError, ValueError, AttributeError):
            continue
    from zkredit.ops.backup.service import Backups, backup_key, default_store

    try:
        ctx.backups = Backups(settings, store or default_store(settings), backup_key(settings))
    except Exception as exc:
        ctx.backups_error = getattr(exc, "message", str(exc))
    return ctx


def assess(settings: Settings, *, threshold: float = DEFAULT_THRESHOLD,
           ctx: Context | None = None) -> Assessment:
    ctx = ctx or context(settings)
    items = [item for check in SECTION_CHECKS.values() for item in check(ctx)]
    return Assessment(settings.app.env.value, items, threshold, live=bool(ctx.running))


def env_threshold() -> float:
    return float(os.environ.get("ZKREDIT_SECURITY_THRESHOLD", DEFAULT_THRESHOLD))
