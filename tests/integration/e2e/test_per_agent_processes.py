"""The production runtime, end to end: each agent and the gateway in its own
``zkredit serve NAME --env test`` process, on anvil, PostgreSQL and Redis, with keystores
made by ``zkredit keys new``, issuers made by ``zkredit issuer init`` and the contracts
deployed by ``zkredit deploy --env test``. The worker agent sends its proofs to two
``zkredit worker prover`` processes on the Redis queue. Scenarios 1 and 2 run through
them, and both prover workers prove some of the five statements.

Everything is driven through the command line and HTTP, as an operator would; the test
plays the worker's own app and the external issuers (``zkredit.demo.flows``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from tests.conftest import require
from tests.integration.e2e.test_crash_resume import pick_port_base
from tests.integration.e2e.test_crash_resume_services import (
    PG_URL,
    REDIS_URL,
    _drop,
    _pg_reachable,
    _redis_reachable,
)
from zkredit.agents.common.access import ROUTES
from zkredit.bench.cluster import PASSWORD, SERVICES, ExternalParties, LocalCluster
from zkredit.demo import flows
from zkredit.ops.deploy import PHASES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.anvil,
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.redis,
]

def provers_of_proofs(cluster: LocalCluster) -> dict[str, str]:
    """Job id -> the process that proved it, from the worker's jobs in Redis."""
    import redis

    from zkredit.jobs.api import JobId
    from zkredit.jobs.redis_store import RedisJobStore

    namespace = f"zkredit-{cluster.prefix}-worker-{cluster.chain_id}"
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        store = RedisJobStore(client, namespace)
        jobs = [store.get(JobId(k.rsplit(":", 1)[1]))
                for k in client.scan_iter(match=f"{namespace}:job:*", count=1000)]
    finally:
        client.close()
    return {j.id: str((j.result or {}).get("prover")) for j in jobs
            if j is not None and j.kind == "worker.prove"}


def unauthenticated_callers_are_refused(c: LocalCluster, one: dict[str, Any],
                                        two: dict[str, Any]) -> None:
    """From outside, with plain HTTP and no token: no route that starts a loan, a
    remittance, a review, a repayment or a dispute resolution, or reads anyone's data,
    answers anything but 401, for the real ids of the two scenarios just run."""
    loan = two.get("loan") or {}
    real = {"loan_id": str(loan.get("loan_id", "x")),
            "app_id": str(two["application"]["application_id"]),
            "transfer_id": str((one.get("receipt") or {}).get("transfer_id", "x")),
            "identity_id": str(two["application"].get("identity_id", "x"))}
    refused = []
    with httpx.Client(timeout=10) as http:
        for (agent, method, path), rule in ROUTES.items():
            if rule.public or agent == "*":
                continue
            url = c.url(agent) + path.format_map(DefaultIds(real))
            r = http.request(method, url, json={}, headers={"Idempotency-Key": "probe"})
            assert r.status_code == 401, (agent, method, path, r.status_code, r.text[:200])
            refused.append(f"{agent} {method} {path}")
    assert len(refused) >= 20, refused


class DefaultIds(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "probe-id"


@pytest.fixture
def cluster(tmp_path: Path, anvil_url: str) -> Iterator[LocalCluster]:
    problem = _pg_reachable()
    require(problem is None, f"PostgreSQL is not reachable at {PG_URL}: {problem}")
    require(_redis_reachable(), f"Redis is not reachable at {REDIS_URL}")
    import random

    c = LocalCluster(tmp_path, anvil_url, pick_port_base(random.Random()),
                     database_url=PG_URL, redis_url=REDIS_URL)
    try:
        yield c
    finally:
        c.stop()
        _drop(c.prefix)


def test_each_agent_in_its_own_process_carries_scenarios_1_and_2(cluster: LocalCluster
                                                                  ) -> None:
    c = cluster
    addresses = {}
    for agent in ("worker", "credit", "remittance", "receiver"):
        addresses[agent] = c.cli("keys", "new", "--agent", agent).stdout.split()[-1]
    assert json.loads(c.cli("keys", "list", "--json").stdout)["agents"] == addresses
    c.cli("issuer", "init", "--data-dir", str(c.root / "data"))

    dry = c.cli("deploy", "--env", "test", "--dry-run", "--issuers-dir", str(c.issuers_dir))
    for phase in PHASES:
        assert phase in dry.stdout
    assert not (c.root / "deployments" / "1337.json").exists()  # a dry run writes nothing

    first = json.loads(c.cli("deploy", "--env", "test", "--json", "--schema-prefix", c.prefix,
                             "--issuers-dir", str(c.issuers_dir)).stdout)
    assert first["ok"] and first["transactions"] > 0
    assert [p["name"] for p in first["phases"]] == list(PHASES)
    record = json.loads((c.root / "deployments" / "1337.json").read_text())
    assert record["environment"] == "test"
    assert {n: a["wallet"] for n, a in record["agents"].items()} == addresses
    assert "privateKey" not in json.dumps(record) and PASSWORD not in json.dumps(record)
    c.add_users()  # `zkredit users keygen`, then `zkredit users add` for each demo user

    for name in SERVICES:
        c.start(name, external_provers=True)
    for n in (1, 2):  # the worker agent proves nothing itself: two prover workers share it
        c.start_prover(n)
    c.wait_ready()
    c.fund_floats()  # `zkredit ledger fund-float` per corridor currency (F14)

    parties = cast(flows.DemoSystem, ExternalParties.of(c))
    worker = flows.WorkerClient(c.url("worker"))
    try:
        one = flows.scenario1(parties, worker)
        assert one.status == "passed", one.data
        two = flows.scenario2(parties, worker)
        assert two.status == "passed", two.data
        assert two.data["decision"] == "approved" and two.data["attestation_tx"]
    finally:
        worker.http.close()
    unauthenticated_callers_are_refused(c, one.data, two.data)
    provers = provers_of_proofs(c)
    assert len(provers) == 5, provers  # scenario 1's identity proof, scenario 2's four
    assert len(set(provers.values())) == 2, provers  # both prover workers proved some

    codes = c.stop()
    expected = {**dict.fromkeys(SERVICES, 0), "prover-1": 0, "prover-2": 0}
    assert codes == expected, f"{codes}\n{c.logs()}"
