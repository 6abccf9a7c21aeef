"""A running system watched as operators watch it: a real Prometheus, traces, logs.

One module-wide run: the whole system (chain, four agents, gateway) on a writable
copy of circuits/, scenarios 1, 2 and 4 driven through the worker's API, spans
kept in memory, every ``zkredit`` log record captured as JSON. Then:

* a Prometheus from Debian's package, configured from deploy/prometheus/, scrapes
  the agents; its HTTP API reports the verified proofs, the circuit gauges, the
  replay of scenario 4, and, after a key file is corrupted on disk, the circuit's
  gauge at 0 and CircuitIntegrityFailure firing (also shown by ``promtool test
  rules`` over the scraped series);
* scenario 2's loan application is one trace across the four agents;
* no log line, span or metric label holds a worker's raw value.
"""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT, require
from zkredit.agents.launcher import free_port
from zkredit.demo import flows
from zkredit.scenarios import JOHN, SAMUEL
from zkredit.telemetry import state, tracing
from zkredit.telemetry.logging import JsonFormatter
from zkredit.telemetry.state import TelemetryConfig

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

AGENTS = ("worker", "credit", "remittance", "receiver")
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"


@dataclass
class Run:
    system: Any
    data_dir: Path
    circuits: Path
    spans: InMemorySpanExporter
    logs: io.StringIO
    outcomes: dict[str, flows.Outcome]
    prometheus: str
    rules: Path


def wait_for(what: str, probe: Any, timeout: float = 90.0, every: float = 0.5) -> Any:
    """Poll ``probe`` until it returns something truthy; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(every)


def prometheus_config(ports: dict[str, int], rules: Path) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml, pointed at this system's loopback ports."""
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(rules)]
    config.pop("alerting", None)
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    agents = jobs["zkredit"]
    for group in agents["static_configs"]:
        group["targets"] = [f"127.0.0.1:{ports[group['labels']['agent']]}"]
    agents["scrape_timeout"] = "1s"
    config["scrape_configs"] = [agents]
    return config


def start_prometheus(workdir: Path, ports: dict[str, int]) -> tuple[subprocess.Popen[str], str]:
    binary = shutil.which("prometheus")
    require(binary is not None, "prometheus is not installed (apt-get install prometheus)")
    assert binary is not None
    config = workdir / "prometheus.yml"
    config.write_text(json.dumps(prometheus_config(ports, PROMETHEUS_DIR / "alerts.yml")))
    port = free_port()
    with (workdir / "prometheus.log").open("w") as log:
        proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"prometheus exited: {(workdir / 'prometheus.log').read_text()[-2000:]}")
        try:
            return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for("prometheus to start", ready)
    return proc, url


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    from zkredit.demo.system import LiveSystem

    require(shutil.which("prometheus") is not None,
            "prometheus is not installed (apt-get install prometheus)")
    root = tmp_path_factory.mktemp("observed")
    circuits = root / "circuits"
    shutil.copytree(ROOT / "circuits", circuits, ignore=shutil.ignore_patterns("*.ptau"))
    spans = InMemorySpanExporter()
    logs = io.StringIO()
    handler = logging.StreamHandler(logs)
    handler.setFormatter(JsonFormatter())
    zk_logger = logging.getLogger("zkredit")
    old_level = zk_logger.level
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ZK_ZKEY_PATH", str(circuits / "keys"))
        env.setenv("ZK_CIRCUITS_MANIFEST", str(circuits / "circuits.json"))
        env.setenv("ENABLE_TELEMETRY", "true")
        state.configure(TelemetryConfig(enabled=True, service="zkredit-test"))
        tracing.configure("zkredit-test", exporter=spans)
        zk_logger.addHandler(handler)
        zk_logger.setLevel(logging.DEBUG)
        system = LiveSystem(root / "system").start()
        proc = None
        try:
            proc, url = start_prometheus(root, system.ports)
            client = flows.WorkerClient(f"http://127.0.0.1:{system.ports['worker']}")
            try:
                outcomes = {"scenario1": flows.scenario1(system, client),
                            "scenario2": flows.scenario2(system, client)}
                outcomes["scenario4"] = flows.scenario4(system, client,
                                                        outcomes["scenario2"].data)
            finally:
                client.http.close()
            yield Run(system, root / "system", circuits, spans, logs, outcomes, url,
                      PROMETHEUS_DIR / "alerts.yml")
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
            system.stop()
            zk_logger.removeHandler(handler)
            zk_logger.setLevel(old_level)
            tracing.shutdown()
            state.configure(None)


def query(run: Run, promql: str) -> list[dict[str, Any]]:
    r = httpx.get(f"{run.prometheus}/api/v1/query", params={"query": promql}, timeout=10)
    r.raise_for_status()
    body = r.json()
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def by_agent(rows: list[dict[str, Any]]) -> dict[str, float]:
    return {row["metric"]["agent"]: float(row["value"][1]) for row in rows}


def test_the_scenarios_passed(run: Run) -> None:
    assert {name: o.status for name, o in run.outcomes.items()} == dict.fromkeys(
        run.outcomes, "passed")


def test_prometheus_scrapes_every_agent(run: Run) -> None:
    up = wait_for("every agent scraped up", lambda: (
        rows if len(rows := query(run, 'up{job="zkredit"} == 1')) == 5 else None))
    assert {row["metric"]["agent"] for row in up} == {*AGENTS, "gateway"}


def test_prometheus_sees_the_verified_proofs_and_intact_circuits(run: Run) -> None:
    # Scenario 2: the credit agent verified four proofs; scenario 1: remittance one.
    verified = wait_for("verified proofs in prometheus", lambda: by_agent(query(
        run, "zk_proof_verification_success_total > 0")) or None)
    assert verified["credit"] >= 4 and verified["remittance"] >= 1
    total = by_agent(query(run, "zk_proof_verification_total"))
    assert total["credit"] >= verified["credit"]
    integrity = query(run, 'zk_circuit_integrity_status{agent="credit"}')
    assert {r["metric"]["circuit_id"]: r["value"][1] for r in integrity} == dict.fromkeys(
        ("collateral", "credit_history", "identity", "income"), "1")
    generated = query(run, 'sum by (circuit_type) '
                           '(zk_proof_generation_duration_seconds_count{agent="worker"})')
    assert {r["metric"]["circuit_type"] for r in generated if float(r["value"][1]) > 0} == {
        "collateral", "credit_history", "identity", "income"}


def test_every_metric_of_the_issue_table_is_exposed(run: Run) -> None:
    names = {r["metric"]["__name__"] for r in query(
        run, 'count by (__name__) ({job="zkredit", __name__=~"zk_.+|http_.+"})')}
    assert {
        "zk_proof_generation_duration_seconds_bucket",
        "zk_proof_verification_duration_seconds_bucket",
        "zk_proof_verification_total", "zk_proof_verification_success_total",
        "zk_circuit_integrity_status", "zk_trusted_setup_status", "zk_privacy_score",
        "zk_attack_detection_total", "http_requests_total", "http_request_duration_seconds_bucket",
    } <= names
    routes = {r["metric"]["route"] for r in query(run, 'http_requests_total{agent="worker"}')}
    assert "/identities/{identity_id}/loans" in routes or any("{" in r for r in routes)
    assert not [r for r in routes if re.search(r"/[0-9a-f]{32}", r)]


def test_the_replay_of_scenario_4_is_an_attack_and_fires_security_attack(run: Run) -> None:
    replays = wait_for("the replay in prometheus", lambda: by_agent(query(
        run, 'zk_attack_detection_total{attack_type="nullifier_replay"} > 0')) or None)
    assert replays["credit"] >= 1
    assert query(run, 'ALERTS{alertname="SecurityAttack", agent="credit"}') or wait_for(
        "SecurityAttack", lambda: query(run, 'ALERTS{alertname="SecurityAttack"}'))


def test_the_books_the_queues_and_the_chain_are_watched(run: Run) -> None:
    # Scrape-time gauges are cached a few seconds: wait for a scrape after the scenarios.
    wait_for("the disbursed loan", lambda: query(run, 'zkredit_loans{state="disbursed"}'))
    wait_for("the completed transfers", lambda: query(
        run, 'zkredit_remittances{state="completed"} >= 2'))
    assert set(by_agent(query(run, "zkredit_ledger_balanced == 1"))) >= {"credit",
                                                                        "remittance"}
    assert set(by_agent(query(run, "zkredit_chain_up == 1"))) == {*AGENTS, "gateway"}
    assert query(run, 'zkredit_job_queue_depth{agent="worker"}')
    gas = query(run, 'zkredit_chain_tx_gas_used_count{function="verifyAndAttestFor"} > 0')
    assert {r["metric"]["agent"] for r in gas} == {"credit"}
    assert query(run, 'zkredit_db_query_duration_seconds_count{agent="credit"} > 0')
    assert query(run, 'zkredit_jobs_total{agent="worker", kind="worker.prove", '
                      'outcome="succeeded"} >= 5')


def test_a_corrupted_key_file_turns_its_gauge_to_zero_and_fires_the_alert(
    run: Run, tmp_path: Path
) -> None:
    zkey = run.circuits / "keys" / "income.zkey"
    original = zkey.read_bytes()
    corrupted = bytearray(original)
    corrupted[len(corrupted) // 2] ^= 0xFF
    zkey.write_bytes(bytes(corrupted))
    try:
        broken = wait_for("income integrity at 0 on every agent", lambda: (
            rows if len(rows := query(
                run, 'zk_circuit_integrity_status{circuit_id="income"} == 0')) == 5 else None))
        assert {r["metric"]["agent"] for r in broken} == {*AGENTS, "gateway"}
        intact = query(run, 'zk_circuit_integrity_status{circuit_id="identity"} == 1')
        assert len(intact) == 5
        firing = wait_for("CircuitIntegrityFailure firing", lambda: query(
            run, 'ALERTS{alertname="CircuitIntegrityFailure", alertstate="firing"}'))
        assert {r["metric"]["circuit_id"] for r in firing} == {"income"}
        promtool_shows_the_alert(broken[0]["metric"], tmp_path)
    finally:
        zkey.write_bytes(original)
    wait_for("income integrity back at 1", lambda: len(query(
        run, 'zk_circuit_integrity_status{circuit_id="income"} == 1')) == 5)


def promtool_shows_the_alert(series: dict[str, str], tmp_path: Path) -> None:
    """``promtool test rules`` on the series Prometheus scraped: the alert fires for it."""
    promtool = shutil.which("promtool")
    assert promtool is not None
    labels = {k: v for k, v in series.items() if k != "__name__"}
    selector = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    rule = next(r for g in yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
                for r in g["rules"] if r["alert"] == "CircuitIntegrityFailure")
    annotations = {key: re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)],
                               text)
                   for key, text in rule["annotations"].items()}
    test = {
        "rule_files": [str(PROMETHEUS_DIR / "alerts.yml")],
        "evaluation_interval": "15s",
        "tests": [{
            "interval": "15s",
            "input_series": [{"series": f"zk_circuit_integrity_status{{{selector}}}",
                              "values": "1 1 0 0 0"}],
            "alert_rule_test": [
                {"eval_time": "15s", "alertname": "CircuitIntegrityFailure", "exp_alerts": []},
                {"eval_time": "45s", "alertname": "CircuitIntegrityFailure",
                 "exp_alerts": [{"exp_labels": {**labels, "severity": "critical",
                                                "team": "zk"},
                                 "exp_annotations": annotations}]},
            ],
        }],
    }
    path = tmp_path / "integrity_test.yml"
    path.write_text(yaml.safe_dump(test))
    done = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


# -- tracing -----------------------------------------------------------------------------


def spans_by_trace(run: Run) -> dict[int, list[ReadableSpan]]:
    out: dict[int, list[ReadableSpan]] = {}
    for span in run.spans.get_finished_spans():
        out.setdefault(span.context.trace_id, []).append(span)
    return out


def agents_of(spans: list[ReadableSpan]) -> set[str]:
    return {str(s.attributes.get("zkredit.agent")) for s in spans
            if s.attributes and s.attributes.get("zkredit.agent")}


def test_scenario_2_is_one_trace_across_the_four_agents(run: Run) -> None:
    traces = spans_by_trace(run)
    submits = [tid for tid, spans in traces.items()
               if any(s.name == "a2a.handle credit.application.submit" for s in spans)]
    disbursed = [tid for tid, spans in traces.items()
                 if any(s.name == "a2a.handle remittance.disbursement.request" for s in spans)]
    assert submits and set(submits) <= set(disbursed) | set(submits)
    loan = next(tid for tid in submits if tid in disbursed)
    spans = traces[loan]
    assert agents_of(spans) >= set(AGENTS)
    names = {s.name for s in spans}
    assert {"a2a.send credit.application.open", "a2a.handle credit.offer.accept",
            "chain.tx verifyAndAttestFor", "job credit.attest", "job credit.disburse"} <= names
    proved = {s.attributes.get("zkredit.circuit") for s in spans
              if s.name == "zk.prove" and s.attributes}
    assert proved >= {"income", "credit_history", "collateral", "identity"}
    verified = [s for s in spans if s.name == "zk.verify" and s.attributes
                and s.attributes.get("zkredit.agent") == "credit"]
    assert len(verified) >= 4 and all(s.end_time and s.start_time for s in verified)


# -- privacy -------------------------------------------------------------------------------

RAW_VALUES = {
    "Samuel's monthly income": str(SAMUEL.monthly_income_minor[0]),
    "Samuel's monthly income (major units)": str(SAMUEL.monthly_income_minor[0] // 100),
    "Samuel's collateral": str(SAMUEL.collateral_minor),
    "Samuel's collateral (major units)": str(SAMUEL.collateral_minor // 100),
    "Samuel's birth date": f"{SAMUEL.birth_date:%Y%m%d}",
    "John's birth date": f"{JOHN.birth_date:%Y%m%d}",
    "Maria's birth date": "19900602",
}


def tokens(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9]+", text))


def leaks(text: str) -> list[str]:
    found = tokens(text)
    return [label for label, raw in RAW_VALUES.items() if raw in found]


def test_no_log_line_holds_a_raw_value(run: Run) -> None:
    lines = run.logs.getvalue()
    for path in run.data_dir.rglob("logs/*.jsonl"):
        if not path.name.startswith("http-bodies"):
            lines += path.read_text()
    assert lines.strip(), "no log line was written"
    assert leaks(lines) == []


def test_no_span_holds_a_raw_value(run: Run) -> None:
    spans = run.spans.get_finished_spans()
    assert spans
    text = "\n".join(
        f"{s.name} {json.dumps(dict(s.attributes or {}), default=str)} "
        + " ".join(f"{e.name} {json.dumps(dict(e.attributes or {}), default=str)}"
                   for e in s.events)
        for s in spans)
    assert leaks(text) == []


def test_no_metric_label_holds_a_raw_value(run: Run) -> None:
    labels: list[str] = []
    for agent in (*AGENTS, "gateway"):
        text = httpx.get(f"http://127.0.0.1:{run.system.ports[agent]}/metrics", timeout=10).text
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                labels.extend(sample.labels.values())
    assert labels
    assert leaks(" ".join(labels)) == []
