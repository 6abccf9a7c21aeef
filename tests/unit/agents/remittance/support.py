"""Test material shared by the remittance and receiver tests: runtimes, senders, real proofs.

Senders are :class:`~zkredit.scenarios.Applicant` records (only their KYC
credential matters here); :class:`KycWorld` is the KYC provider's tree and the
trust configuration the remittance agent is given; :func:`prove_identity` makes a
real Groth16 identity proof bound to a quote's scope and the sender's wallet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from zkredit.agents.common.envelope import StaticDirectory
from zkredit.agents.common.messaging import Inbox, PeerError, Peers
from zkredit.agents.common.runtime import PartyRuntime
from zkredit.agents.receiver.schemas import PayoutLookup
from zkredit.agents.receiver.service import ReceiverService
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import ZKreditError
from zkredit.jobs.inprocess import InProcessQueue
from zkredit.jobs.sql_store import SqlJobStore
from zkredit.scenarios import Applicant, demo_issuer
from zkredit.store.db import Database
from zkredit.store.models import JobRow
from zkredit.zk.credentials import CredentialType, SignedCredential
from zkredit.zk.field import SNARK_SCALAR_FIELD
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.merkle import MerkleTree
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.statements import ProofContext, identity_statement

CHAIN_ID = 31337
PARTIES = ("remittance", "receiver", "worker", "credit")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Clock:
    """A clock tests can move."""

    now: dt.datetime = field(default_factory=utcnow)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


MARIA_INCOME_MINOR = 104_731


def sender(name: str, *, level: int, birth: dt.date = dt.date(1990, 6, 2)) -> Applicant:
    """A worker with a KYC credential at ``level`` (the other fields are unused here)."""
    return Applicant(
        name=name,
        currency="SGD",
        monthly_income_minor=(MARIA_INCOME_MINOR,) * 6,
        months_employed=24,
        score=700,
        history_months=24,
        defaults=0,
        late_payments=0,
        debt_ratio_bps=1000,
        collateral_minor=100_000,
        birth_date=birth,
        jurisdiction=608,  # the Philippines
        kyc_level=level,
        loan_minor=100_000,
        loan_months=12,
    )


MARIA = sender("Maria Rodriguez", level=1)
"""Scenario 1: basic KYC."""
ANA = sender("Ana Santos", level=2, birth=dt.date(1987, 3, 9))
"""An enhanced-KYC sender, for transfers above 1,000 USD."""
"""What must never reach the remittance or receiver agent (SGD 1,047.31): a distinctive
value, searched as a whole token (zkredit.demo.privacy.leaked)."""


class KycWorld:
    """The KYC provider's tree with every sender in it, and what it publishes."""

    def __init__(self, people: Iterable[Applicant], today: dt.date) -> None:
        self.today = today
        self.tree = MerkleTree(depth=20)
        self.kyc: dict[str, tuple[Applicant, SignedCredential]] = {}
        for person in people:
            self.tree.insert(person.subject)
            cred = person.credentials(today)[CredentialType.KYC]
            self.kyc[person.name] = (person, cred)
        self.issuer = demo_issuer("kyc").public

    def trust_config(self, published_at: int) -> dict[str, Any]:
        return {
            "issuers": [{"type": 4, "ax": str(self.issuer.x), "ay": str(self.issuer.y)}],
            "kyc_roots": [{"root": str(self.tree.root), "published_at": published_at}],
        }

    def prove(self, prover: Groth16pyBackend, name: str, scope: str, wallet: str) -> dict[str, Any]:
        """A real identity proof for ``name``, bound to ``scope`` and ``wallet``."""
        person, cred = self.kyc[name]
        membership = self.tree.proof(self.tree.index_of(person.subject))
        ctx = ProofContext.for_wallet(int(scope), wallet, self.today)
        stmt = identity_statement(person.secret, cred, CreditPolicy(), ctx, membership)
        proof = prover.prove("identity", stmt.require_true().inputs)
        return {"proof": proof.snarkjs_proof(), "public": proof.snarkjs_public()}


@pytest.fixture(scope="session")
def identity_prover(catalog: CircuitCatalog) -> Groth16pyBackend:
    """The groth16py backend with the identity circuit loaded."""
    prover = Groth16pyBackend(catalog)
    prover.warm(["identity"])
    return prover


@pytest.fixture(scope="session")
def world() -> KycWorld:
    """Maria and Ana in the KYC provider's tree, as of today."""
    return KycWorld([MARIA, ANA], utcnow().date())


def mutated(wire: dict[str, Any], index: int) -> dict[str, Any]:
    """``wire`` with public signal ``index`` changed (still a field element)."""
    public = list(wire["public"])
    public[index] = str((int(public[index]) + 1) % SNARK_SCALAR_FIELD)
    return {"proof": wire["proof"], "public": public}


def well_formed_proof() -> dict[str, Any]:
    """A proof of the right shape that verifies nothing (for tests that never reach compliance)."""
    return {
        "proof": {
            "pi_a": ["1", "2", "1"],
            "pi_b": [["1", "2"], ["3", "4"], ["1", "0"]],
            "pi_c": ["1", "2", "1"],
            "protocol": "groth16",
            "curve": "bn128",
        },
        "public": ["1"] * 10,
    }


def wallets() -> dict[str, LocalAccount]:
    """Fresh agent wallets, one per party."""
    return {party: Account.create() for party in PARTIES}


def directory_of(accounts: dict[str, LocalAccount]) -> StaticDirectory:
    return StaticDirectory({party: acct.address for party, acct in accounts.items()})


def make_runtime(
    party: str,
    data_dir: Path,
    account: LocalAccount,
    directory: StaticDirectory,
    resolve: Callable[[str], str],
) -> PartyRuntime:
    """A migrated SQLite database and a fast in-process queue for ``party``."""
    db = Database.open(party, None, data_dir)
    db.migrate()
    queue = InProcessQueue(
        SqlJobStore(db.engine, JobRow.__table__),  # type: ignore[arg-type]
        workers=2,
        poll_s=0.05,
        time_scale=0.01,
    )
    return PartyRuntime(
        name=party,
        home=data_dir / party,
        db=db,
        account=account,
        jobs=queue,
        directory=directory,
        peers=Peers(party, account, CHAIN_ID, resolve),
        inbox=Inbox(party, directory, CHAIN_ID),
        chain_id=CHAIN_ID,
    )


def close_runtime(runtime: PartyRuntime) -> None:
    runtime.jobs.stop(timeout=10)
    runtime.peers.close()
    runtime.db.dispose()


@dataclass
class LocalPayouts:
    """The receiver service called in-process, failing the way the wire would."""

    receiver: ReceiverService
    calls: int = 0

    def request_payout(self, payload: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        self.calls += 1
        try:
            reply = self.receiver.payout(payload, "remittance")
        except ZKreditError as exc:
            raise PeerError("receiver", int(getattr(exc, "http_status", 500)), exc.message) from exc
        return reply.model_dump(mode="json", exclude_none=True)

    def payout_status(self, transfer_id: str) -> dict[str, Any]:
        try:
            reply = self.receiver.payout_status(PayoutLookup(transfer_id=transfer_id))
        except ZKreditError as exc:
            raise PeerError("receiver", int(getattr(exc, "http_status", 500)), exc.message) from exc
        return reply.model_dump(mode="json", exclude_none=True)


class WebhookSink:
    """A local HTTP server that records the webhook deliveries it receives."""

    def __init__(self, *, fail_first: int = 0) -> None:
        import http.server
        import threading

        self.received: list[tuple[dict[str, str], bytes]] = []
        self._fail = fail_first
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if sink._fail > 0:
                    sink._fail -= 1
                    self.send_response(503)
                else:
                    sink.received.append(({k: v for k, v in self.headers.items()}, body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[tuple[dict[str, str], bytes]]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.received)} of {count} webhooks arrived")
            time.sleep(0.02)
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
