"""The dashboard on port 3000 in a real browser: scenarios 1 and 2, the operator page,
ownership, inline form errors, and a screenshot of every page (build/screenshots)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

from zkredit.demo import flows
from zkredit.demo.users import demo_password
from zkredit.scenarios import SAMUEL

pytestmark = [pytest.mark.slow, pytest.mark.e2e]
BOUND_S = 10.0


class Issuers:
    """Plays the issuers and the KYC provider for an identity made in the browser: what
    they sign is collected to be pasted into the credential and KYC forms."""

    def __init__(self, ident: dict[str, Any]) -> None:
        self.ident = ident
        self.credentials: list[dict[str, Any]] = []
        self.memberships: list[dict[str, Any]] = []
        self.username = None

    def act_as(self, username: str) -> None:
        self.username = username

    def identity(self, label: str) -> dict[str, Any]:
        return self.ident

    def credential(self, identity_id: str, cred: dict[str, Any]) -> dict[str, Any]:
        self.credentials.append(cred)
        return {}

    def membership(self, identity_id: str, m: dict[str, Any]) -> dict[str, Any]:
        self.memberships.append(m)
        return {}


def gateway(system: Any) -> str:
    return f"http://127.0.0.1:{system.ports['gateway']}"


def login(browser: Any, system: Any, username: str) -> Any:
    page = browser.new_page(viewport={"width": 420, "height": 900})
    page.goto(gateway(system) + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo_password(username))
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    cookie = next(c for c in page.context.cookies() if c["name"] == "zk_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    return page


def submit(page: Any, button: str) -> None:
    """Press a form's submit button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def shot(page: Any, folder: Path, name: str) -> None:
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def onboard(page: Any, system: Any, folder: Path, name: str, birth: tuple[int, int, int],
            jurisdiction: int, level: int, applicant: Any = None) -> str:
    """Identity and wallet in the browser; KYC and credentials pasted from the issuers."""
    page.goto(gateway(system) + "/worker")
    page.get_by_label("Your name").fill(name)
    submit(page, "Create identity and wallet")
    commitment = page.locator("#commitment").inner_text().strip()
    identity_id = page.locator("h1 .mono").inner_text().strip()
    shot(page, folder, f"{name.split()[0].lower()}-identity")
    wallet = page.locator("#wallet").inner_text().strip()
    issuers = Issuers({"identity_id": identity_id, "commitment": commitment, "wallet": wallet})
    flows.onboard(system, issuers, name, birth, jurisdiction, level, flows.Outcome("web"))
    if applicant is not None:
        flows.issue_applicant(system, issuers, issuers.ident, applicant, system.today(),
                              flows.Outcome("web"))
    page.get_by_label("KYC proof (JSON)").fill(json.dumps(issuers.memberships[0]))
    submit(page, "Store KYC proof")
    assert page.locator("#kyc-ok").is_visible()
    for cred in issuers.credentials:
        page.get_by_label("Credential (JSON)").fill(json.dumps(cred))
        submit(page, "Import credential")
        assert "Imported" in page.locator("#imported").inner_text()
    shot(page, folder, f"{name.split()[0].lower()}-credentials")
    assert wallet.startswith("0x")
    return identity_id


def fill_send(page: Any, identity_id: str, amount: str, receive: str = "PHP",
              recipient: str = "Juan Rodriguez") -> None:
    page.get_by_label("Send as (your identity)").select_option(identity_id)
    page.get_by_label("You send (currency)").fill("SGD")
    page.get_by_label("They receive (currency)").fill(receive)
    page.get_by_label("The amount is what").select_option("receive")
    page.get_by_label("Amount", exact=True).fill(amount)
    page.get_by_label("Name", exact=True).fill(recipient)
    page.get_by_label("Account number").fill("1234567890")
    page.get_by_label("Bank or provider").fill("Banco de Oro")
    page.get_by_label("Country (two letters)").fill("PH")
    page.get_by_label("Purpose (optional)").fill("education")


def wait_text(page: Any, selector: str, pattern: str, timeout_s: float) -> str:
    page.wait_for_function(
        "([sel, pat]) => { const e = document.querySelector(sel);"
        " return e && new RegExp(pat).test(e.textContent); }",
        arg=[selector, pattern], timeout=timeout_s * 1000)
    return str(page.locator(selector).inner_text())


@pytest.fixture(scope="module")
def maria(browser: Any, system: Any, screenshots: Path) -> dict[str, Any]:
    page = login(browser, system, "maria")
    identity_id = onboard(page, system, screenshots, flows.MARIA.name, flows.MARIA.birth,
                          flows.MARIA.jurisdiction, flows.MARIA.level)
    return {"page": page, "identity_id": identity_id}


def test_scenario1_quote_send_and_watch_it_complete(maria: dict[str, Any], system: Any,
                                                    screenshots: Path) -> None:
    page = maria["page"]
    page.goto(gateway(system) + "/worker/send")
    fill_send(page, maria["identity_id"], "15000")
    table = page.locator("#quote-table")
    table.wait_for()
    for route in ("bank_transfer", "mobile_money", "cash_pickup"):
        assert page.locator(f"#quote-table [data-route={route}]").count() == 1
    assert "Flat fee" in table.inner_text() and "PHP 15,000.00" in table.inner_text()
    assert re.search(r"expires in \d+ s", wait_text(page, "#countdown", r"expires in \d+ s", 5))
    shot(page, screenshots, "send-money")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, screenshots, "send-money-desktop")
    page.set_viewport_size({"width": 420, "height": 900})
    submit(page, "Review and send")
    assert "Confirm your transfer" in page.locator("h1").inner_text(), (
        page.locator(".field-error").all_inner_texts())
    shot(page, screenshots, "send-confirm")
    page.get_by_label("Password").fill(demo_password("maria"))
    submit(page, "Confirm and send")
    page.wait_for_url(re.compile(r"/worker/transfers/"))
    maria["transfer_url"] = page.url
    wait_text(page, "#status", "completed", 120)
    receipt = page.locator("#receipt").inner_text()
    assert "PHP 15,000.00" in receipt and "settlement_tx: 0x" in receipt
    shot(page, screenshots, "transfer-receipt")


def test_scenario2_apply_watch_proving_accept(browser: Any, system: Any,
                                              screenshots: Path) -> None:
    page = login(browser, system, "samuel")
    a = SAMUEL
    identity_id = onboard(page, system, screenshots, a.name,
                          (a.birth_date.year, a.birth_date.month, a.birth_date.day),
                          a.jurisdiction, a.kyc_level, applicant=a)
    page.goto(gateway(system) + "/worker/loans/new")
    assert "Credit score at least 700" in page.locator("#policy-NGN").inner_text()
    shot(page, screenshots, "loan-new")
    page.get_by_label("Apply as (your identity)").select_option(identity_id)
    page.get_by_label("Amount").fill(f"{a.loan_minor // 100}")
    page.get_by_label("Currency").fill(a.currency)
    page.get_by_label("Months to repay").fill(str(a.loan_months))
    page.get_by_label("Account holder").fill(a.name)
    page.get_by_label("Account number").fill("0123456789")
    page.get_by_label("Bank", exact=True).fill("Zenith Bank")
    page.get_by_label("Country (two letters)").fill("NG")
    submit(page, "Apply and start proving")
    page.wait_for_url(re.compile(r"/worker/loans/[0-9a-f]+$"))
    seen = page.locator("#status").inner_text()
    if seen in ("requested", "opened", "proving"):  # the proving is watched as it happens
        assert page.locator("#proving").is_visible()
        shot(page, screenshots, "loan-proving")
        deadline = time.monotonic() + 60  # then each proof, made or in progress
        while time.monotonic() < deadline and page.locator("#proving").count():
            if page.locator("#proof-steps").count():
                assert page.locator("#proof-steps li").count() == 4
                assert "proofs made" in page.locator("#proving").inner_text()
                shot(page, screenshots, "loan-proving-each-proof")
                break
            page.wait_for_timeout(100)
    wait_text(page, "#status", "approved", 240)
    decision = page.locator("#decision").inner_text()
    assert "VeryGood" in decision and "Total cost" in decision
    assert page.locator("#schedule tbody tr").count() == a.loan_months
    assert "stayed on your side" in page.locator("#proven").inner_text().lower()
    shot(page, screenshots, "loan-offer")
    page.get_by_label("Password").fill(demo_password("samuel"))
    submit(page, "Sign and accept")
    wait_text(page, "#status", "active", 180)
    shot(page, screenshots, "loan-active")


def test_another_workers_transfer_is_404(browser: Any, system: Any,
                                         maria: dict[str, Any]) -> None:
    assert "transfer_url" in maria, "scenario 1 made the transfer"
    page = login(browser, system, "john")
    response = page.goto(maria["transfer_url"])
    assert response is not None and response.status == 404
    assert "Juan" not in page.content()
    page.close()


@pytest.mark.parametrize(("amount", "receive", "field", "message"), [
    ("-50", "PHP", "amount", "more than zero"),
    ("100", "XYZ", "receive_currency", "not a currency we support"),
])
def test_bad_input_shows_inline_error_and_sends_nothing(
        maria: dict[str, Any], system: Any, screenshots: Path, amount: str, receive: str,
        field: str, message: str) -> None:
    page = maria["page"]
    page.goto(gateway(system) + "/worker")
    before = page.locator("a[href^='/worker/transfers/']").count()
    page.goto(gateway(system) + "/worker/send")
    fill_send(page, maria["identity_id"], amount, receive)
    submit(page, "Review and send")
    error = page.locator(f"#e-{field}")
    assert message in error.inner_text()
    assert page.locator(f"#f-{field}").get_attribute("aria-invalid") == "true"
    assert page.locator("#quote-error").count() <= 1
    shot(page, screenshots, f"send-error-{field}")
    page.goto(gateway(system) + "/worker")
    assert page.locator("a[href^='/worker/transfers/']").count() == before


def test_staff_pages(browser: Any, system: Any, screenshots: Path) -> None:
    lena = login(browser, system, "lena")
    assert lena.locator("#applications tbody tr").count() >= 1
    shot(lena, screenshots, "lender-applications")
    lena.locator("#applications a").first.click()
    assert "Public signals" in lena.locator("#public-signals").inner_text()
    shot(lena, screenshots, "lender-application")
    lena.close()
    cora = login(browser, system, "cora")
    assert "Held transfers" in cora.locator("h1").inner_text()
    shot(cora, screenshots, "compliance-queue")
    cora.close()
    rex = login(browser, system, "rex")
    assert rex.locator("#payouts tbody tr a").count() >= 1
    shot(rex, screenshots, "receiver-payouts")
    rex.close()


SANCTIONS_NEAR_MATCH = "Viktor Dragunoff"
"""Close to a packaged sample sanctions entry: the transfer is held for review."""


def send_held(page: Any, system: Any, identity_id: str, amount: str) -> None:
    """Send to a near match of a sanctioned name and wait until the transfer is held."""
    page.goto(gateway(system) + "/worker/send")
    fill_send(page, identity_id, amount, recipient=SANCTIONS_NEAR_MATCH)
    page.locator("#quote-table, #quote-error").first.wait_for()
    assert page.locator("#quote-error").count() == 0, page.locator("#quote-error").inner_text()
    submit(page, "Review and send")
    page.get_by_label("Password").fill(demo_password("maria"))
    submit(page, "Confirm and send")
    page.wait_for_url(re.compile(r"/worker/transfers/"))
    wait_text(page, "#status", "held", 120)


def held_rows(page: Any) -> Any:
    return page.locator("#held tbody tr", has_text=SANCTIONS_NEAR_MATCH)


def wait_state(page: Any, pattern: str, timeout_s: float) -> str:
    """Reload the staff transfer page until its state matches (it does not poll)."""
    deadline = time.monotonic() + timeout_s
    while True:
        state = page.locator("#state").inner_text()
        if re.search(pattern, state) or time.monotonic() > deadline:
            return str(state)
        time.sleep(0.5)
        page.reload()


@pytest.mark.parametrize(("decision", "reason", "final"), [
    ("approve", "Different person: date of birth and nationality differ.", "completed"),
    ("reject", "Confirmed match with the listed person.", "refunded"),
])
def test_compliance_approves_or_rejects_a_held_transfer_with_a_reason(
        browser: Any, system: Any, maria: dict[str, Any], screenshots: Path, decision: str,
        reason: str, final: str) -> None:
    send_held(maria["page"], system, maria["identity_id"], "1000")
    cora = login(browser, system, "cora")
    assert held_rows(cora).count() == 1
    shot(cora, screenshots, f"compliance-queue-{decision}")
    with cora.expect_navigation():
        held_rows(cora).locator("a").first.click()
    transfer_url = cora.url
    assert "held" in cora.locator("#state").inner_text()
    assert "near match" in cora.locator("#held-reasons").inner_text()
    submit(cora, "Record decision")  # no decision, no reason: refused inline
    assert "Choose approve or reject" in cora.locator("#e-decision").inner_text()
    assert "Enter the reason" in cora.locator("#e-note").inner_text()
    assert "held" in cora.locator("#state").inner_text()
    cora.get_by_label("Approve" if decision == "approve" else "Reject (refund the sender)"
                      ).check()
    cora.get_by_label("Reason").fill(reason)
    shot(cora, screenshots, f"compliance-review-{decision}")
    submit(cora, "Record decision")
    assert cora.url == transfer_url
    assert final in wait_state(cora, final, 120)
    history = cora.locator("#history").inner_text()
    assert f"{decision.rstrip('e')}ed by cora" in history and reason in history
    assert cora.locator("form[action$='/review']").count() == 0
    shot(cora, screenshots, f"compliance-{final}")
    cora.goto(gateway(system) + "/compliance")
    assert held_rows(cora).count() == 0
    cora.close()


def test_operator_retries_a_dead_letter_and_it_leaves_the_dead_list(
        browser: Any, system: Any, screenshots: Path) -> None:
    from zkredit.jobs import JobState, PermanentJobError

    jobs = system.runtimes["remittance"].jobs
    broken = {"now": True}

    def flaky(payload: dict[str, Any]) -> None:
        if broken["now"]:
            raise PermanentJobError("the downstream service refused the request")

    jobs.register("e2e.flaky", flaky, max_attempts=1)
    job_id = jobs.enqueue("e2e.flaky", {"n": 1})
    assert jobs.wait(job_id, 10).state is JobState.DEAD
    page = login(browser, system, "otto")
    dead = page.locator("#dead-remittance tbody tr", has_text=str(job_id))
    assert dead.count() == 1
    assert "refused the request" in dead.inner_text()
    shot(page, screenshots, "operator-dead-letters")
    broken["now"] = False
    with page.expect_navigation():
        dead.get_by_role("button", name="Retry").click()
    assert f"Job {job_id} is queued again" in page.locator("[role=status]").inner_text()
    assert jobs.wait(job_id, 10).state is JobState.DONE
    page.reload()
    assert page.locator("#dead-remittance tbody tr", has_text=str(job_id)).count() == 0
    shot(page, screenshots, "operator-dead-letter-retried")
    page.close()


def test_operator_page_green_then_red_when_an_agent_stops(browser: Any, system: Any,
                                                         screenshots: Path) -> None:
    page = login(browser, system, "otto")
    page.wait_for_function("() => document.querySelector('#overall')"
                           " && document.querySelector('#overall').textContent == 'all green'",
                           timeout=BOUND_S * 1000)
    rows = page.locator("#health-table tbody tr")
    assert rows.count() >= 8
    assert page.locator("#health-table tr[data-ok=false]").count() == 0
    assert page.locator("#audit-credit").inner_text() == "chain verified"
    shot(page, screenshots, "operator")
    system.servers["credit"].stop()
    start = time.monotonic()
    page.wait_for_selector("tr[data-component='credit agent'][data-ok=false]",
                           timeout=BOUND_S * 1000)
    assert time.monotonic() - start <= BOUND_S
    shot(page, screenshots, "operator-credit-down")
