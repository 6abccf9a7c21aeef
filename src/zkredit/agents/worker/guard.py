"""What the worker checks before it proves anything for a counterparty (review F-5).

A lender sends the policy and the date the worker proves against. Proving
whatever arrives lets a lender binary-search a private value: ask for
``minScore = 700``, then ``720``, then ``710``, and read which requests come
back with a proof. So before any proving work the worker checks:

* the requested policy is one registered and active on chain (its
  ``keccak256(abi.encode(policy))`` name, the one the verifier contract will
  check the proofs against), and matches the hash the lender claims for it;
* the requested date is the worker's own date, within ``MAX_CLOCK_SKEW_DAYS``
  (a date in the past re-opens expired valuations; one in the future makes a
  young holder look of age);
* the requested scope is the one the verifier contract derives from the
  lender's registered agent id (review F-1). A scope the lender picks could be
  another lender's, and then the two could link the worker by its nullifier.

A refusal names the field and both values, for the worker's user; nothing is
proved and nothing is sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from zkredit.chain.policy import OnChainPolicy
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import InputError

MAX_CLOCK_SKEW_DAYS = 1

PolicyLookup = Callable[[bytes], bool | None]
"""Is this policy hash registered and active on chain? ``None``: cannot tell."""


class PolicyMismatch(InputError):
    """The counterparty asked the worker to prove against terms it has not published."""

    http_status = 409


def check_date(requested: dt.date, now: dt.datetime, *, counterparty: str) -> None:
    """Refuse a proof date more than ``MAX_CLOCK_SKEW_DAYS`` from the worker's clock."""
    today = now.astimezone(dt.UTC).date()
    if abs((requested - today).days) > MAX_CLOCK_SKEW_DAYS:
        raise PolicyMismatch(
            f"{counterparty} asked for proofs dated {requested.isoformat()}, but today is "
            f"{today.isoformat()} on this device (at most {MAX_CLOCK_SKEW_DAYS} day apart is "
            "accepted); nothing was proved",
            hint="Check this device's clock; if it is right, the counterparty's request is "
            "not trustworthy.",
        )


def check_policy(policy: CreditPolicy, claimed_hash: str | None, is_active: PolicyLookup | None,
                 *, counterparty: str) -> None:
    """Refuse a policy that is not the one ``counterparty`` registered on chain."""
    computed = "0x" + OnChainPolicy(policy).hash.hex()
    if claimed_hash is not None and claimed_hash.lower() != computed:
        raise PolicyMismatch(
            f"{counterparty} sent policy thresholds whose hash is {computed}, but named the "
            f"policy {claimed_hash.lower()}; nothing was proved",
        )
    if is_active is None:
        return
    active = is_active(bytes.fromhex(computed[2:]))
    if active is None:
        return
    if not active:
        raise PolicyMismatch(
            f"{counterparty} asked for proofs against policy {computed} (minScore "
            f"{policy.min_score}, minMonthlyIncome {policy.min_monthly_income_minor} "
            f"{policy.currency_code} minor units, minCollateralRatioBps "
            f"{policy.min_collateral_ratio_bps}), which is not an active policy registered on "
            "chain; nothing was proved",
            hint="A lender may only ask for the terms it published; ask it to register them, "
            "or apply elsewhere.",
        )


ScopeLookup = Callable[[str], int | None]
"""The scope the chain derives for a counterparty; ``None``: cannot tell."""


def check_scope(requested: int, counterparty_name: str, lookup: ScopeLookup | None,
                *, counterparty: str) -> None:
    """Refuse to prove under a scope that is not the counterparty's derived one."""
    expected = lookup(counterparty_name) if lookup is not None else None
    if expected is None or requested == expected:
        return
    raise PolicyMismatch(
        f"{counterparty} asked for proofs under scope {requested}, but the scope the "
        f"verifier contract derives for it is {expected}; a scope chosen by the "
        "counterparty could link you across lenders, so nothing was proved",
        hint="The lender's software is misconfigured or not trustworthy; apply elsewhere.",
    )
