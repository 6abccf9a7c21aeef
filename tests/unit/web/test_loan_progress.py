"""The loan page shows the proving as it happens: which proofs are made, which are not."""

from __future__ import annotations

import re
from typing import Any

import jinja2

from zkredit.web import app as web_app
from zkredit.web.worker import LOAN_STEPS, _steps


def render(**ctx: Any) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(web_app.HERE / "templates")),
                             autoescape=True)
    env.filters["money"] = web_app.money
    env.filters["amount"] = lambda v: web_app.money(v).partition(" ")[2]
    base = {"loan": {}, "status": "proving", "decision": {}, "offer": {}, "app_id": "a1",
            "final": False, "steps": _steps(LOAN_STEPS, "proving", False), "proven": {},
            "private": {}, "failing": {}, "policy": {}, "proving": True, "csrf": "c"}
    return env.get_template("worker/_loan_status.html").render({**base, **ctx})


def test_each_proof_is_shown_made_or_in_progress_while_the_device_proves() -> None:
    circuits = ["income", "credit_history", "collateral", "identity"]

    html = render(circuits=circuits, proofs_done=["income", "collateral"])

    assert re.search(r'<progress id="proof-progress" max="4" value="2">', html)
    assert "2 of 4 proofs made" in html
    steps = dict(re.findall(r'data-circuit="(\w+)" class="(\w+)"', html))
    assert steps == {"income": "done", "credit_history": "current", "collateral": "done",
                     "identity": "current"}


def test_no_progress_is_shown_once_the_proving_is_over() -> None:
    html = render(circuits=["income"], proofs_done=["income"], proving=False,
                  status="approved")

    assert "proof-progress" not in html
