"""Running the scenarios and reporting them (text for people, JSON for machines)."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from zkredit.demo import flows
from zkredit.demo.privacy import audit, dump_json
from zkredit.demo.system import LiveSystem
from zkredit.errors import InputError
from zkredit.scenarios import JOHN, SAMUEL

SCENARIOS = ("scenario1", "scenario2", "scenario3", "scenario4")


def raw_values(system: LiveSystem) -> dict[str, str]:
    """The worker-side values that must never appear at another party."""
    # Each is matched as a whole token (zkredit.demo.privacy.contains_token): inside a
    # 77-digit nullifier or a hex hash, the same digits are a coincidence, not a leak.
    values = {
        "Samuel's monthly income (NGN 750000)": "750000",
        "Samuel's monthly income in minor units": str(SAMUEL.monthly_income_minor[0]),
        "Samuel's score 745 as a field": '"score": 745',
        "Samuel's collateral (NGN 15000000)": "15000000",
        "Samuel's collateral in minor units": str(SAMUEL.collateral_minor),
        "Samuel's birth date": f"{SAMUEL.birth_date:%Y%m%d}",
        "John's birth date": f"{JOHN.birth_date:%Y%m%d}",
        "Samuel's debt ratio 2500 bp as a field": '"debtRatioBps": 2500',
        "Maria's birth date": "19900602",
    }
    worker = system.services["worker"]
    from zkredit.agents.worker.models import IdentityRow

    with system.runtimes["worker"].db.session() as s:
        for row in s.query(IdentityRow).all():
            values[f"identity secret of {row.label}"] = str(worker.vault.identity(row.id).secret)
    return values


def run_scenarios(names: list[str], data_dir: Path | None, *, rpc_url: str | None = None,
                  database_url: str | None = None, redis_url: str | None = None,
                  progress: Console | None = None, schema_prefix: str | None = None,
                  hold: Callable[[LiveSystem, dict[str, Any]], None] | None = None
                  ) -> dict[str, Any]:
    """Play ``names``; with ``hold``, on the seed's ports (the dashboard on 3000), and call
    ``hold(system, report)`` before the system stops (it returns when the user is done)."""
    for n in names:
        if n not in SCENARIOS:
            raise InputError(f"unknown scenario {n!r}; choose from {', '.join(SCENARIOS)}, all")
    if "scenario4" in names and "scenario2" not in names:
        names = ["scenario2", *names]
    temp = None
    if data_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="zkredit-demo-"))
        data_dir = temp
    say = progress.print if progress else (lambda *a, **k: None)
    started = time.perf_counter()
    report: dict[str, Any] = {"data_dir": str(data_dir), "scenarios": []}
    with LiveSystem(data_dir, rpc_url=rpc_url, database_url=database_url,
                    redis_url=redis_url, schema_prefix=schema_prefix,
                    seed_ports=hold is not None) as system:
        say(f"[dim]system up in {time.perf_counter() - started:.1f} s: chain "
            f"{system.client.describe if system.client else '?'}, agents on "
            f"{', '.join(f'{k}:{v}' for k, v in system.ports.items())}[/]")
        client = flows.WorkerClient(system.worker_url)
        outcomes: dict[str, flows.Outcome] = {}
        for name in names:
            say(f"[bold]{name}[/] ...")
            if name == "scenario4":
                outcome = flows.scenario4(system, client, outcomes["scenario2"].data)
            else:
                outcome = getattr(flows, name)(system, client)
            outcomes[name] = outcome
            for step in outcome.steps:
                say(f"  {step.seconds:6.2f} s  {step.name}" + (f" — {step.detail}"
                                                             if step.detail else ""))
            say(f"  => {outcome.status}")
        client.http.close()
        anchors = system.anchor_audit_logs()
        privacy = audit({n: r.db for n, r in system.runtimes.items()},
                        {n: r.home for n, r in system.runtimes.items()}, raw_values(system))
        for name, outcome in outcomes.items():
            entry: dict[str, Any] = {"name": name, "status": outcome.status,
                                     "steps": [{"name": s.name, "seconds": round(s.seconds, 3),
                                                "detail": s.detail} for s in outcome.steps]}
            d = outcome.data
            if name == "scenario1":
                entry.update(state=d.get("state"), total_cost_bps=d.get("total_cost_bps"),
                             quote=d.get("quote"), receipt=d.get("receipt"))
            elif name == "scenario2":
                entry.update(decision=d.get("decision"), tier=d.get("tier"),
                             attestation_tx=d.get("attestation_tx"),
                             offer=(d.get("application") or {}).get("decision", {}).get("offer"),
                             loan=d.get("loan"))
            elif name == "scenario3":
                entry.update(decision=d.get("decision"), reasons=d.get("reasons"),
                             alternatives=d.get("alternatives"),
                             explained_to_worker_only=d.get("explained_locally"))
            else:
                entry.update(rejected_offchain=d.get("rejected_offchain"),
                             rejected_onchain=d.get("rejected_onchain"),
                             offchain=d.get("offchain", {}).get("summary"),
                             onchain=d.get("onchain", {}).get("summary"))
            report["scenarios"].append(entry)
        report["audit_anchors"] = anchors
        report["privacy"] = dump_json(privacy)
        if hold is not None:
            report["wall_s"] = round(time.perf_counter() - started, 2)
            hold(system, report)
    report["wall_s"] = round(time.perf_counter() - started, 2)
    if temp is not None:
        shutil.rmtree(temp, ignore_errors=True)
        report["data_dir"] = None
    return report


def _money(value: Any) -> str:
    from zkredit.domain.money import Money, currency

    if isinstance(value, dict) and "amount_minor" in value:
        return str(Money(int(value["amount_minor"]), currency(str(value["currency"]))))
    return str(value)


def print_report(report: dict[str, Any], console: Console) -> None:
    table = Table(title="ZKredit demo")
    for col in ("scenario", "status", "outcome"):
        table.add_column(col)
    for s in report["scenarios"]:
        if s["name"] == "scenario1":
            q = s.get("quote") or {}
            fee = (q.get("fee") or {}).get("total")
            outcome = (f"transfer {s.get('state')}; sent {_money(q.get('sent'))}, fee "
                       f"{_money(fee)}, rate {q.get('customer_rate')} (mid {q.get('mid_rate')}, "
                       f"markup {q.get('markup_bps')} bp), received {_money(q.get('received'))}; "
                       f"total cost {s.get('total_cost_bps')} bp of principal")
        elif s["name"] == "scenario2":
            offer = s.get("offer") or {}
            cur = offer.get("currency", "NGN")
            monthly = _money({"amount_minor": offer.get("monthly_payment_minor", 0),
                              "currency": cur})
            interest = _money({"amount_minor": offer.get("total_interest_minor", 0),
                               "currency": cur})
            outcome = (f"{s.get('decision')} at tier {s.get('tier')}; APR "
                       f"{offer.get('apr_bps')} bp, {offer.get('months')} x {monthly} "
                       f"(interest {interest}); attestation {s.get('attestation_tx')}")
        elif s["name"] == "scenario3":
            outcome = f"{s.get('decision')}: " + "; ".join(
                r["message"] for r in s.get("reasons") or [])
            alts = "; ".join(a["text"] for a in s.get("alternatives") or [])
            outcome += f" — alternatives: {alts}"
        else:
            outcome = (f"off chain: {s.get('offchain')}; on chain: {s.get('onchain')}")
        table.add_row(s["name"], s["status"], outcome)
    console.print(table)
    p = report["privacy"]
    console.print(
        f"Privacy audit: {'[green]clean[/]' if p['clean'] else '[red]LEAKS[/]'} — searched "
        + ", ".join(f"{k} ({v} sources)" for k, v in p["searched"].items())
    )
    for leak in p["leaks"]:
        console.print(f"  [red]{leak['value']}[/] found at {leak['party']}: {leak['where']}")
    if report.get("audit_anchors"):
        console.print("Audit heads anchored on chain: " + ", ".join(
            f"{k} {v[:12]}..." for k, v in report["audit_anchors"].items()))
    console.print(f"wall time {report['wall_s']} s")
