"""The four acceptance scenarios, driven through the worker agent's HTTP API.

Each function plays the worker's own app (and the issuers, who are external
parties): it never reaches into another agent's database. Results are plain
dicts for the report and the ``--json`` output.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from zkredit.domain.money import currency
from zkredit.errors import ZKreditError
from zkredit.issuers.registry import IssuerRegistry
from zkredit.scenarios import JOHN, SAMUEL, Applicant


class DemoFailure(ZKreditError):
    """Raised when a scenario does not reach its expected outcome."""


class DemoSystem(Protocol):
    """What the flows need from the running system."""

    @property
    def worker_url(self) -> str: ...

    @property
    def registry(self) -> IssuerRegistry: ...

    def publish_kyc_root(self) -> str: ...

    def today(self) -> dt.date: ...

    def replay_onchain(self, application_id: str) -> dict[str, Any]: ...

    def replay_offchain(self, worker_app: dict[str, Any]) -> dict[str, Any]: ...

    def repay_installment(self, loan_id: str) -> dict[str, Any]: ...


@dataclass
class Step:
    name: str
    seconds: float
    detail: str = ""


@dataclass
class Outcome:
    name: str
    status: str = "running"
    steps: list[Step] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def step(
        self, name: str, fn: Callable[[], Any], detail: Callable[[Any], str] | None = None
    ) -> Any:
        t = time.perf_counter()
        result = fn()
        self.steps.append(Step(name, time.perf_counter() - t, detail(result) if detail else ""))
        return result


@dataclass(frozen=True)
class Sender:
    name: str
    birth: tuple[int, int, int]
    jurisdiction: int
    level: int


MARIA = Sender("Maria Rodriguez", (1990, 6, 2), 608, 1)


def _idempotency(key: str | None) -> dict[str, str]:
    return {"Idempotency-Key": key or uuid.uuid4().hex}


class WorkerClient:
    """The worker's own app talking to the worker agent, logged in as one worker.

    :meth:`act_as` logs in as another user (each scenario's person is their own demo
    user); an expired access token is refreshed once, then the login is repeated.
    Sending money and accepting a loan first confirm the action with the password.
    """

    def __init__(self, base: str, username: str | None = None,
                 password: str | None = None) -> None:
        self.http = httpx.Client(base_url=base, timeout=180.0)
        self.username = username
        self._password = password
        self._tokens: dict[str, Any] | None = None

    def act_as(self, username: str, password: str | None = None) -> None:
        if username != self.username:
            self.username, self._password, self._tokens = username, password, None

    @property
    def password(self) -> str:
        from zkredit.demo.users import demo_password

        assert self.username is not None, "WorkerClient.act_as(user) first"
        return self._password or demo_password(self.username)

    def _login(self) -> None:
        assert self.username is not None, "WorkerClient.act_as(user) first"
        r = self.http.post("/auth/token", json={"username": self.username,
                                                "password": self.password})
        self._tokens = self._ok(r)

    def _refresh(self) -> None:
        if self._tokens is not None:
            r = self.http.post("/auth/refresh",
                               json={"refresh_token": self._tokens["refresh_token"]})
            if r.status_code == 200:
                self._tokens = r.json()
                return
        self._login()

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self._tokens is None:
            self._login()
        for attempt in (1, 2):
            assert self._tokens is not None
            headers = {**kwargs.pop("headers", {}),
                       "Authorization": f"Bearer {self._tokens['access_token']}"}
            r = self.http.request(method, path, headers=headers, **kwargs)
            if r.status_code != 401 or attempt == 2:
                return r
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Authorization"}
            self._refresh()
        raise AssertionError("unreachable")

    def confirm(self, action: str, resource: str,
                details: dict[str, Any] | None = None) -> dict[str, str]:
        """Re-enter the password for one money-moving action: the header that carries it."""
        r = self._call("POST", "/auth/confirm", json={
            "password": self.password, "action": action, "resource": resource,
            "details": details})
        return {"X-Confirmation-Token": self._ok(r)["confirmation_token"]}

    def _ok(self, r: httpx.Response) -> dict[str, Any]:
        if r.status_code >= 400:
            raise DemoFailure(
                f"worker agent {r.request.method} {r.request.url.path} -> "
                f"{r.status_code}: {r.text[:400]}"
            )
        data: dict[str, Any] = r.json()
        return data

    def identity(self, label: str) -> dict[str, Any]:
        return self._ok(self._call("POST", "/identities", json={"label": label}))

    def credential(self, identity_id: str, cred: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self._call("POST", f"/identities/{identity_id}/credentials", json=cred))

    def membership(self, identity_id: str, m: dict[str, Any]) -> dict[str, Any]:
        return self._ok(self._call("POST", f"/identities/{identity_id}/kyc-membership", json=m))

    def apply(self, identity_id: str, body: dict[str, Any],
              key: str | None = None) -> dict[str, Any]:
        """Apply for a loan; pass the same ``key`` to retry one application safely."""
        return self._ok(self._call("POST", f"/identities/{identity_id}/loans", json=body,
                                   headers=_idempotency(key)))

    def loan(self, app_id: str, wait: float = 120) -> dict[str, Any]:
        return self._ok(self._call("GET", f"/loans/{app_id}", params={"wait": wait}))

    def accept(self, app_id: str) -> dict[str, Any]:
        """Accept the offer: the worker confirms it (password), then the agent signs it."""
        consent = self.confirm("loan.accept", app_id)
        return self._ok(self._call("POST", f"/loans/{app_id}/accept", headers=consent))

    def remit(self, identity_id: str, body: dict[str, Any],
              key: str | None = None) -> dict[str, Any]:
        """Send money; pass the same ``key`` to retry one remittance safely. The worker
        confirms exactly this request (password) before it is sent."""
        consent = self.confirm("remittance.send", identity_id, body)
        return self._ok(self._call("POST", f"/identities/{identity_id}/remittances", json=body,
                                   headers={**_idempotency(key), **consent}))

    def remittance(self, rem_id: str, wait: float = 120) -> dict[str, Any]:
        return self._ok(self._call("GET", f"/remittances/{rem_id}", params={"wait": wait}))


def _ymd(y: int, m: int, d: int) -> int:
    return y * 10000 + m * 100 + d


def onboard(
    system: DemoSystem,
    client: WorkerClient,
    name: str,
    birth: tuple[int, int, int],
    jurisdiction: int,
    level: int,
    out: Outcome,
) -> dict[str, Any]:
    """Identity at the worker agent, KYC at the provider, root on chain, KYC credential."""
    from zkredit.demo.users import username_for

    client.act_as(username_for(name))  # each person logs in as themselves
    ident: dict[str, Any] = out.step(
        "worker agent creates identity and wallet",
        lambda: client.identity(name),
        lambda r: f"commitment {r['commitment'][:12]}..., wallet {r['wallet']}",
    )
    kyc = system.registry.kyc_provider()
    commitment = int(ident["commitment"])
    kyc.enroll(commitment)
    system.registry.save()
    tx = out.step(
        "KYC provider checks documents, publishes Merkle root on chain",
        system.publish_kyc_root,
        lambda tx: f"tx {tx}",
    )
    out.data.setdefault("tx", {})["kyc_root"] = tx
    cred = system.registry.get("kyc").sign(
        commitment, {"birthDate": _ymd(*birth), "jurisdiction": jurisdiction, "kycLevel": level}
    )
    client.credential(ident["identity_id"], cred.to_dict())
    proof = kyc.membership(commitment)
    client.membership(
        ident["identity_id"],
        {
            "leaf": str(proof.leaf),
            "index": proof.index,
            "root": str(proof.root),
            "path_elements": [str(x) for x in proof.path_elements],
            "path_indices": list(proof.path_indices),
        },
    )
    return ident


def issue_applicant(
    system: DemoSystem,
    client: WorkerClient,
    ident: dict[str, Any],
    a: Applicant,
    today: dt.date,
    out: Outcome,
) -> None:
    subject = int(ident["commitment"])
    cur = currency(a.currency).numeric
    month = today.year * 12 + today.month - 1
    day = (today - dt.date(1970, 1, 1)).days
    creds: list[tuple[str, dict[str, Any]]] = [
        (
            "employer",
            {
                "currency": cur,
                "monthlyIncome": list(a.monthly_income_minor),
                "employmentStartMonth": month - a.months_employed,
            },
        ),
        (
            "bureau",
            {
                "score": a.score,
                "historyMonths": a.history_months,
                "defaults": a.defaults,
                "latePayments": a.late_payments,
                "debtRatioBps": a.debt_ratio_bps,
            },
        ),
        (
            "custodian",
            {
                "currency": cur,
                "assetValue": a.collateral_minor,
                "assetType": 1,
                "lienFlag": 0,
                "valuationDay": day - 30,
            },
        ),
    ]

    def issue_all() -> int:
        for role, attrs in creds:
            signed = system.registry.get(role).sign(subject, attrs)
            client.credential(ident["identity_id"], signed.to_dict())
        return len(creds)

    out.step(
        "employer, bureau and custodian sign credentials; worker imports them",
        issue_all,
        lambda n: f"{n} credentials verified on import and sealed in the vault",
    )


def scenario1(system: DemoSystem, client: WorkerClient) -> Outcome:
    out = Outcome("scenario1")
    ident = onboard(system, client, MARIA.name, MARIA.birth, MARIA.jurisdiction, MARIA.level, out)
    rem = out.step(
        "worker asks to send PHP 15,000 to Juan Rodriguez (bank transfer)",
        lambda: client.remit(
            ident["identity_id"],
            {
                "send_currency": "SGD",
                "receive_currency": "PHP",
                "route": "bank_transfer",
                "receive_amount_minor": 1_500_000,
                "recipient": {
                    "name": "Juan Rodriguez",
                    "account": "1234567890",
                    "bank": "Banco de Oro",
                    "country": "PH",
                },
                "purpose": "education",
            },
        ),
    )
    final = out.step(
        "quote, KYC proof, compliance, payout, confirmation",
        lambda: client.remittance(rem["id"], wait=180),
        lambda r: f"state {r['status']}",
    )
    receipt = final.get("receipt") or {}
    quote = (final.get("quote") or {}).get("quote", {})
    out.data.update(
        state=final["status"],
        receipt=receipt,
        quote=quote,
        total_cost_bps=quote.get("total_cost_bps"),
    )
    out.status = "passed" if final["status"] == "completed" else "failed"
    return out


def _loan(
    system: DemoSystem, client: WorkerClient, a: Applicant, out: Outcome, accept: bool
) -> dict[str, Any]:
    birth = (a.birth_date.year, a.birth_date.month, a.birth_date.day)
    ident = onboard(system, client, a.name, birth, a.jurisdiction, a.kyc_level, out)
    issue_applicant(system, client, ident, a, system.today(), out)
    applied = out.step(
        f"worker applies for {a.currency} {a.loan_minor // 100:,} over {a.loan_months} months",
        lambda: client.apply(
            ident["identity_id"],
            {
                "lender": "credit",
                "amount_minor": a.loan_minor,
                "currency": a.currency,
                "months": a.loan_months,
                "payout": {
                    "route": "bank_transfer",
                    "recipient": {
                        "name": a.name,
                        "account": "0123456789",
                        "bank": "Zenith Bank",
                        "country": "NG",
                    },
                },
            },
        ),
    )
    result: dict[str, Any] = out.step(
        "proofs generated, verified off chain, decided, attested on chain",
        lambda: client.loan(applied["id"], wait=240),
        lambda r: f"decision {r['status']}",
    )
    decision = result.get("decision") or {}
    out.data.update(application=result, decision=decision.get("status"), tier=decision.get("tier"))
    if accept and decision.get("status") == "approved":
        client.accept(applied["id"])
        active = out.step(
            "worker signs the offer (EIP-712); lender disburses via remittance",
            lambda: _poll_active(client, applied["id"]),
            lambda r: f"loan {r['status']}",
        )
        out.data["loan"] = active.get("loan")
        loan_id = (active.get("loan") or {}).get("loan_id")
        if loan_id:
            paid = out.step("first installment repaid; lender posts repayment feedback on chain",
                            lambda: system.repay_installment(str(loan_id)),
                            lambda r: f"installments paid {r['installments_paid']}, "
                                      f"{r['feedback_tx']}")
            out.data["repayment"] = paid
    return result


def pay_next_installment(credit_url: str, headers: dict[str, str],
                         loan_id: str) -> dict[str, Any]:
    """Book the loan's next installment at the lender, as a payment processor would.

    The amount is the scheduled payment (``next_installment_minor`` of ``GET /loans``);
    the reference names the installment, so a retry books it once.
    """
    loans = httpx.get(f"{credit_url}/loans", headers=headers, timeout=60)
    loans.raise_for_status()
    loan = next(item for item in loans.json() if item["loan_id"] == loan_id)
    if loan["next_installment_minor"] is None:
        raise DemoFailure(f"loan {loan_id} has no installment left to pay")
    number = int(loan["repaid_installments"]) + 1
    r = httpx.post(f"{credit_url}/loans/{loan_id}/repayments", headers=headers, timeout=60,
                   json={"amount_minor": loan["next_installment_minor"],
                         "currency": loan["currency"], "reference": f"{loan_id}-{number}"})
    r.raise_for_status()
    data: dict[str, Any] = r.json()
    return data


def _poll_active(client: WorkerClient, app_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while True:
        current = client.loan(app_id, wait=0)
        if current["status"] in ("active", "disbursement_refunded") or \
                time.monotonic() > deadline:
            return current
        time.sleep(0.2)


def scenario2(system: DemoSystem, client: WorkerClient) -> Outcome:
    out = Outcome("scenario2")
    result = _loan(system, client, SAMUEL, out, accept=True)
    decision = result.get("decision") or {}
    out.data["attestation_tx"] = (decision.get("attestation") or {}).get("tx_hash")
    ok = decision.get("status") == "approved" and decision.get("tier") == 2
    out.status = "passed" if ok and out.data.get("loan") else "failed"
    return out


def scenario3(system: DemoSystem, client: WorkerClient) -> Outcome:
    out = Outcome("scenario3")
    result = _loan(system, client, JOHN, out, accept=False)
    decision = result.get("decision") or {}
    out.data.update(
        reasons=decision.get("reasons", []),
        alternatives=decision.get("alternatives", []),
        explained_locally=(result.get("explanation") or {}).get("failing_conditions"),
    )
    ok = decision.get("status") == "declined" and bool(out.data["reasons"])
    out.status = "passed" if ok else "failed"
    return out


def scenario4(system: DemoSystem, client: WorkerClient, scenario2_data: dict[str, Any]) -> Outcome:
    out = Outcome("scenario4")
    app = scenario2_data.get("application") or {}
    off = out.step(
        "re-submit scenario 2's proofs to the lender (new application)",
        lambda: system.replay_offchain(app),
        lambda r: r.get("summary", ""),
    )
    on = out.step(
        "re-submit scenario 2's proofs to ZKCreditVerifier on chain",
        lambda: system.replay_onchain(app.get("application_id", "")),
        lambda r: r.get("summary", ""),
    )
    out.data.update(
        rejected_offchain=bool(off.get("rejected")),
        rejected_onchain=bool(on.get("rejected")),
        offchain=off,
        onchain=on,
    )
    out.status = (
        "passed" if out.data["rejected_offchain"] and out.data["rejected_onchain"] else "failed"
    )
    return out
