"""The provisional demo: scenario 2 proven and verified, scenario 3 refused locally.

Issuers sign scenario 2's credentials, the worker side proves the four
statements in a warm process pool, a verifier checks every proof against the
committed keys, and the report shows what was proven and what stayed private.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

from rich.panel import Panel
from rich.table import Table

from zkredit.bootstrap import ZKServices
from zkredit.cli.output import console
from zkredit.domain.policy import TIER_NAMES, CreditPolicy
from zkredit.errors import InputError, StatementFalse, VerificationFailed
from zkredit.scenarios import JOHN, SAMUEL, Applicant, statements
from zkredit.settings import load_settings
from zkredit.zk.pool import ProverPool
from zkredit.zk.statements import ProofContext


def _context() -> ProofContext:
    return ProofContext.for_wallet(
        secrets.randbits(128), "0x" + secrets.token_hex(20), dt.datetime.now(dt.UTC).date()
    )


def _scenario2(zk: ZKServices, workers: int) -> None:
    a: Applicant = SAMUEL
    policy = CreditPolicy.default_for(a.currency)
    ctx = _context()
    console.rule(f"Scenario 2: {a.name} applies for NGN {a.loan_minor // 100:,}")
    t0 = time.perf_counter()
    stmts = statements(a, policy, ctx)
    console.print(
        f"  issuers signed 4 credentials, worker built 4 statements "
        f"({time.perf_counter() - t0:.2f} s)"
    )
    for s in stmts.values():
        s.require_true()
    backend = zk.prover()
    with ProverPool(zk.catalog, workers) as pool:
        t1 = time.perf_counter()
        pool.warm()
        console.print(f"  prover pool warm: {workers} processes ({time.perf_counter() - t1:.2f} s)")
        t2 = time.perf_counter()
        proofs = pool.prove_many([(name, s.inputs) for name, s in stmts.items()])
        wall = time.perf_counter() - t2
    console.print(f"  proved 4 statements in {wall:.2f} s wall")
    t3 = time.perf_counter()
    for p in proofs:
        if not backend.verify(p):
            raise VerificationFailed(f"{p.circuit} proof did not verify")
    console.print(f"  lender verified 4 proofs ({(time.perf_counter() - t3) * 1000:.0f} ms)")
    nullifiers = {p.public[0] for p in proofs}
    if len(nullifiers) != 1:
        raise VerificationFailed("the four proofs do not share one nullifier")
    by = {p.circuit: p for p in proofs}
    tier = by["credit_history"].public[1]
    table = Table(title="What the lender learns", show_lines=False)
    table.add_column("statement")
    table.add_column("proven (public)")
    table.add_column("kept private")
    table.add_row(
        "income",
        f"every month >= NGN {policy.min_monthly_income_minor // 100:,}, "
        f"employed >= {policy.min_employment_months} months",
        "monthly amounts, employer",
    )
    table.add_row(
        "credit_history",
        f"score >= {policy.min_score}, no defaults, late <= "
        f"{policy.max_late}, debt <= {policy.max_debt_ratio_bps} bp, tier {tier} "
        f"({TIER_NAMES[tier]})",
        "exact score, history, debt ratio",
    )
    table.add_row(
        "collateral",
        f"value >= {policy.min_collateral_ratio_bps // 100}% of NGN "
        f"{a.loan_minor // 100:,}, no lien, fresh valuation",
        "asset value and type",
    )
    table.add_row(
        "identity",
        f"in the KYC tree, age >= {policy.min_age_years}, jurisdiction "
        f"allowed, KYC level {by['identity'].public[1]}",
        "name, birth date, identity secret",
    )
    console.print(table)
    console.print(
        f"  shared nullifier {hex(next(iter(nullifiers)))[:18]}... ties the four "
        "proofs to one applicant without naming them"
    )


def _scenario3() -> None:
    a = JOHN
    policy = CreditPolicy.default_for(a.currency)
    console.rule(f"Scenario 3: {a.name} applies for NGN {a.loan_minor // 100:,}")
    failures: list[str] = []
    for s in statements(a, policy, _context()).values():
        try:
            s.require_true()
        except StatementFalse as exc:
            failures.extend(f"{exc.circuit}: {f}" for f in exc.failures)
    if not failures:
        raise InputError("scenario 3 unexpectedly satisfies the policy")
    console.print(
        Panel(
            "\n".join(failures),
            title="No valid proof can be made (shown to John only)",
            border_style="yellow",
        )
    )
    console.print("  The application is declined: the credit_history proof is missing.")


def run_demo(scenario: str, workers: int) -> None:
    known = {"scenario2", "scenario3", "all"}
    if scenario not in known:
        raise InputError(f"unknown scenario {scenario!r}; choose one of {', '.join(sorted(known))}")
    zk = ZKServices.build(load_settings())
    if scenario in ("scenario2", "all"):
        _scenario2(zk, workers)
    if scenario in ("scenario3", "all"):
        _scenario3()
    console.print("[green]demo complete[/]")
