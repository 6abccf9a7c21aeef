"""The compliance step of a funded transfer, from stored rows to a state-machine event.

A remittance is checked in full (DOMAIN.md): the identity proof and its public
signals, proof replay, the sender person's rolling limits (summed over the
proof's nullifier, a pseudonym stable across wallets) at the KYC level the
proof discloses, sanctions screening of the recipient, the sender's wallet, and
travel-rule data above 1,000 USD. The verdict itself is
:func:`zkredit.domain.compliance.assess`. A loan disbursement carries no proof
(the lender verified the borrower) and moves no FX: only the recipient is
screened.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from zkredit.agents.remittance.identity import IdentityChecker
from zkredit.agents.remittance.metrics import RemittanceMetrics
from zkredit.agents.remittance.models import TransferRow
from zkredit.agents.remittance.repository import RemittanceRepository, amounts_of
from zkredit.domain.compliance import assess
from zkredit.domain.fx import RateProvider, convert
from zkredit.domain.limits import USD, KycLevel, check_limits
from zkredit.domain.money import Money
from zkredit.domain.remittance import TransferEvent
from zkredit.domain.sanctions import SanctionsList, ScreeningOutcome, WalletDenyList


@dataclass(frozen=True)
class Verdict:
    """The event to apply to the transfer and every reason behind it."""

    event: TransferEvent
    reasons: tuple[str, ...]


def proof_digest(proof: Mapping[str, Any]) -> str:
    """sha256 of the proof's canonical JSON: what identifies one spent identity proof."""
    return hashlib.sha256(json.dumps(proof, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


class ComplianceChecks:
    """Runs every check of the compliance step against the agent's data."""

    def __init__(
        self,
        identity: IdentityChecker,
        rates: RateProvider,
        sanctions: SanctionsList,
        deny_list: WalletDenyList,
        metrics: RemittanceMetrics,
    ) -> None:
        self.identity = identity
        self.rates = rates
        self.sanctions = sanctions
        self.deny_list = deny_list
        self.metrics = metrics

    def assess(self, repo: RemittanceRepository, row: TransferRow, now: datetime) -> Verdict:
        if row.kind == "disbursement":
            return self._disbursement(row)
        return self._remittance(repo, row, now)

    def to_usd(self, amount: Money, now: datetime) -> Money:
        if amount.currency == USD:
            return amount
        return convert(amount, self.rates.mid_rate(amount.currency, USD, now))

    def _remittance(self, repo: RemittanceRepository, row: TransferRow, now: datetime) -> Verdict:
        assert row.quote_id is not None and row.sender_wallet is not None
        quote = repo.quote(row.quote_id)
        assert quote is not None, "a remittance always references its quote"
        check = self.identity.check(
            row.identity_proof or {}, scope=int(quote.scope), wallet=row.sender_wallet, now=now
        )
        problems = list(check.failures)
        level = KycLevel.BASIC
        if check.signals is not None and check.ok:
            row.sender_pseudonym = str(check.signals.nullifier)
            digest = proof_digest(row.identity_proof or {})
            spent = repo.identity_proof_use(digest)
            if spent is not None and spent.transfer_id != row.id:
                self.metrics.attack("nullifier_replay")
                problems.append("the identity proof was already used for another transfer "
                                "(replay)")
            elif spent is None:
                repo.add_identity_proof_use(digest, row.id, now)
            row.kyc_level = check.signals.level
            try:
                level = KycLevel(check.signals.level)
            except ValueError:
                problems.append(f"KYC level {check.signals.level} has no remittance limits")
        principal = amounts_of(row).principal
        limits = check_limits(
            repo.counted_history(row.sender_pseudonym or f"wallet:{row.sender_wallet}",
                                 exclude=row.id),
            principal,
            level,
            now,
            self.rates,
        )
        decision = assess(
            identity_verified=not problems,
            recipient=self.sanctions.screen(str(row.recipient["name"])),
            wallets=[self.deny_list.check(row.sender_wallet)],
            limits=limits,
            amount_usd=self.to_usd(principal, now),
            travel_rule_attached=row.travel_rule is not None,
        )
        return Verdict(decision.event, (*problems, *decision.reasons))

    def _disbursement(self, row: TransferRow) -> Verdict:
        screened = self.sanctions.screen(str(row.recipient["name"]))
        match = screened.match
        if screened.outcome is ScreeningOutcome.CLEAR or match is None:
            return Verdict(TransferEvent.PASS_COMPLIANCE, ())
        detail = (
            f"recipient {screened.query!r} matches sanctions entry {match.entry.id} "
            f"({match.matched_name}, {match.score_bps} bp)"
        )
        if screened.outcome is ScreeningOutcome.BLOCK:
            return Verdict(TransferEvent.FAIL_COMPLIANCE, (detail,))
        return Verdict(TransferEvent.HOLD_FOR_REVIEW, (f"{detail}: manual review",))
