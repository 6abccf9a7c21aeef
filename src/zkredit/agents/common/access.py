"""Who may call which route: the one table of every agent's HTTP routes.

Every route of every agent is a key of :data:`ROUTES`, ``(agent, method, path)``, where
``agent`` is ``"*"`` for the routes every agent serves. A route missing from the table
answers 403 to everyone (and the auth walk test names it). The OpenAPI of each agent
shows each operation's roles (``x-required-roles``), and the middleware in
:mod:`zkredit.agents.common.auth` enforces them: no token 401, a token without one of
the roles 403, a resource another user owns 404, a money move without its confirmation
403.

Public routes: health, ``/metrics`` (fixed-enum labels only, no personal data; the
shipped nginx and Ingress do not route it, Prometheus scrapes it on the private
network), the agent card, the lender's published policy, the receiver's travel-rule
public key, the envelope inbox (authenticated by the envelope's signature instead, see
``messaging.Inbox``), logins, and the API docs outside production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, Match, Router
from starlette.types import Scope

from zkredit.users.roles import ALL_ROLES, Role

W, L, C = Role.WORKER, Role.LENDER, Role.COMPLIANCE
RO, OP, AG = Role.RECEIVER_OPERATOR, Role.OPERATOR, Role.AGENT


@dataclass(frozen=True)
class Owned:
    """The route acts on a resource recorded for one user: ``kind`` named by ``param``."""

    kind: str
    param: str


@dataclass(frozen=True)
class Confirm:
    """The route moves money: it needs a single-use confirmation token for ``action`` on
    the resource named by ``param`` (and, with ``body``, for exactly this request body)."""

    action: str
    param: str
    body: bool = False


@dataclass(frozen=True)
class Rule:
    roles: frozenset[Role] = frozenset()
    public: bool = False
    owner: Owned | None = None
    confirm: Confirm | None = None
    rate: tuple[int, int] | None = None
    """A per-route limit ``(requests, window_s)`` instead of RATE_LIMIT_REQUESTS/WINDOW."""
    rate_exempt: bool = False

    @property
    def shown_roles(self) -> list[str]:
        return ["public"] if self.public else sorted(r.value for r in self.roles)


def roles(*names: Role, owner: Owned | None = None, confirm: Confirm | None = None) -> Rule:
    return Rule(roles=frozenset(names), owner=owner, confirm=confirm)


PUBLIC = Rule(public=True)
OPS = Rule(public=True, rate_exempt=True)
"""Health and metrics: polled by orchestrators and Prometheus, never rate limited."""
DOCS = Rule(public=True)
LOGIN = Rule(public=True, rate=(20, 60))
"""Password guessing is slowed per client address."""
ANY_USER = Rule(roles=ALL_ROLES)
CONFIRMING = Rule(roles=ALL_ROLES, rate=(20, 60))

IDENTITY = Owned("identity", "identity_id")
LOAN = Owned("loan", "app_id")
REMITTANCE = Owned("remittance", "rem_id")
WEBHOOK = Owned("webhook", "webhook_id")

ACCEPT_LOAN = Confirm("loan.accept", "app_id")
SEND_MONEY = Confirm("remittance.send", "identity_id", body=True)

ROUTES: dict[tuple[str, str, str], Rule] = {
    # every agent
    ("*", "GET", "/health"): OPS,
    ("*", "GET", "/health/live"): OPS,
    ("*", "GET", "/health/ready"): OPS,
    ("*", "GET", "/metrics"): OPS,
    ("*", "GET", "/.well-known/agent-card.json"): PUBLIC,
    ("*", "POST", "/a2a/messages"): Rule(public=True, rate=(6000, 60)),
    ("*", "GET", "/docs"): DOCS,
    ("*", "GET", "/docs/oauth2-redirect"): DOCS,
    ("*", "GET", "/redoc"): DOCS,
    ("*", "GET", "/openapi.json"): DOCS,
    ("*", "POST", "/auth/token"): LOGIN,
    ("*", "POST", "/auth/refresh"): LOGIN,
    ("*", "POST", "/auth/logout"): LOGIN,
    ("*", "POST", "/auth/confirm"): CONFIRMING,
    ("*", "GET", "/auth/me"): ANY_USER,
    ("*", "GET", "/jobs/dead"): roles(OP),
    ("*", "POST", "/jobs/{job_id}/retry"): roles(OP),
    # worker agent: a worker's own identities, loans and remittances
    ("worker", "POST", "/identities"): roles(W),
    ("worker", "GET", "/identities"): roles(W),
    ("worker", "POST", "/identities/{identity_id}/credentials"): roles(W, owner=IDENTITY),
    ("worker", "POST", "/identities/{identity_id}/kyc-membership"): roles(W, owner=IDENTITY),
    ("worker", "POST", "/identities/{identity_id}/loans"): roles(W, owner=IDENTITY),
    ("worker", "GET", "/loans/{app_id}"): roles(W, owner=LOAN),
    ("worker", "POST", "/loans/{app_id}/accept"): roles(W, owner=LOAN, confirm=ACCEPT_LOAN),
    ("worker", "POST", "/identities/{identity_id}/remittances"): roles(
        W, owner=IDENTITY, confirm=SEND_MONEY),
    ("worker", "GET", "/remittances/{rem_id}"): roles(W, owner=REMITTANCE),
    # credit agent: the lender's staff
    ("credit", "GET", "/policy"): PUBLIC,
    ("credit", "GET", "/applications"): roles(L, OP),
    ("credit", "GET", "/applications/{app_id}"): roles(L, OP),
    ("credit", "GET", "/loans"): roles(L, OP),
    ("credit", "POST", "/loans/{loan_id}/repayments"): roles(L, AG),
    # remittance agent
    ("remittance", "POST", "/quotes"): roles(W, AG, OP),
    ("remittance", "GET", "/transfers"): roles(C, OP),
    ("remittance", "GET", "/transfers/{transfer_id}"): roles(C, OP),
    ("remittance", "POST", "/transfers/{transfer_id}/review"): roles(C),
    ("remittance", "POST", "/webhooks"): roles(OP, AG),
    ("remittance", "GET", "/webhooks"): roles(OP, AG),
    ("remittance", "DELETE", "/webhooks/{webhook_id}"): roles(OP, AG, owner=WEBHOOK),
    ("remittance", "POST", "/webhooks/{webhook_id}/secret"): roles(OP, AG, owner=WEBHOOK),
    ("remittance", "GET", "/ledger/trial-balance"): roles(OP),
    # receiver agent
    ("receiver", "GET", "/travel-rule/key"): PUBLIC,
    ("receiver", "GET", "/payouts"): roles(RO, OP),
    ("receiver", "GET", "/payouts/{payout_id}"): roles(RO, OP),
    ("receiver", "GET", "/disputes"): roles(RO, OP),
    ("receiver", "POST", "/disputes"): roles(RO, OP),
    ("receiver", "GET", "/disputes/{dispute_id}"): roles(RO, OP),
    ("receiver", "POST", "/disputes/{dispute_id}/resolve"): roles(RO),
}

DOC_PATHS = frozenset(p for (a, _m, p), r in ROUTES.items() if a == "*" and r is DOCS)


def rule_for(agent: str, method: str, path: str) -> Rule | None:
    """The rule of ``method path`` at ``agent`` (``HEAD`` follows ``GET``), or None."""
    method = "GET" if method == "HEAD" else method
    return ROUTES.get((agent, method, path)) or ROUTES.get(("*", method, path))


def agent_routes(agent: str) -> dict[tuple[str, str], Rule]:
    """Every ``(method, path)`` the table declares for ``agent``, common ones included."""
    return {(m, p): r for (a, m, p), r in ROUTES.items() if a in ("*", agent)}


def flat_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    """Every leaf route, through FastAPI's included routers (which name no prefix here)."""
    out: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is None:
            out.append(route)
            continue
        prefix = getattr(getattr(route, "include_context", None), "prefix", "")
        if prefix:  # the role table names full paths; a prefixed include would dodge it
            raise ValueError(f"routers are included without a prefix (got {prefix!r})")
        out.extend(flat_routes(list(included.routes)))
    return out


MATCHED = "zkredit.route_match"
"""Where :class:`RouteIndex` leaves a request's match in its ASGI scope."""


class RouteIndex:
    """Finds the route a request will reach, the way the router does (first full match)."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self._routes: list[BaseRoute] | None = None

    def match(self, scope: Scope) -> tuple[BaseRoute | None, dict[str, Any]]:
        """The route and its path parameters; found once per request (the rate limit and
        the access check both ask: the second reads what the first found)."""
        found_before = scope.get(MATCHED)
        if found_before is not None and found_before[0] is self.router:
            return found_before[1], dict(found_before[2])
        route, params = self._match(scope)
        scope[MATCHED] = (self.router, route, params)
        return route, dict(params)

    def _match(self, scope: Scope) -> tuple[BaseRoute | None, dict[str, Any]]:
        if self._routes is None:  # routes are all added before the first request
            self._routes = flat_routes(list(self.router.routes))
        for route in self._routes:
            found, child = route.matches(scope)
            if found is Match.FULL:
                return route, dict(child.get("path_params", {}))
        return None, {}


MESSAGE_SENDERS: dict[str, frozenset[str]] = {
    "credit.application.open": frozenset({"worker"}),
    "credit.application.submit": frozenset({"worker"}),
    "credit.offer.accept": frozenset({"worker"}),
    "remittance.quote.request": frozenset({"worker"}),
    "remittance.transfer.request": frozenset({"worker"}),
    "remittance.transfer.status": frozenset({"worker"}),
    "remittance.disbursement.request": frozenset({"credit"}),
    "remittance.disbursement.status": frozenset({"credit"}),
    "remittance.dispute.refunded": frozenset({"receiver"}),
    "receiver.payout.request": frozenset({"remittance"}),
    "receiver.payout.status": frozenset({"remittance"}),
    "receiver.dispute.open": frozenset({"remittance"}),
    "credit.disbursement.refunded": frozenset({"remittance"}),
    "worker.loan.refunded": frozenset({"credit"}),
    "worker.remittance.refunded": frozenset({"remittance"}),
}
"""Which agent may send which envelope type: every type an agent handles is here, and
an envelope from any other (registered, correctly signed) agent is refused (403)."""
