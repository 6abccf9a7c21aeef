"""The remittance state machine: every legal move, idempotent repeats, every illegal move."""

from __future__ import annotations

import itertools

import pytest

from zkredit.domain.errors import InvalidTransition
from zkredit.domain.remittance import (
    TransferEvent,
    TransferState,
    allowed_events,
    is_terminal,
    transition,
)

S, E = TransferState, TransferEvent

# Written out independently of the module's table: DOMAIN.md plus the documented
# `held` (sanctions near match), `expired` (unfunded quote lapsed) and `unfunded`
# (the collection failed or collected another amount, F14) states.
LEGAL = {
    (S.QUOTED, E.FUND): S.FUNDED,
    (S.QUOTED, E.EXPIRE): S.EXPIRED,
    (S.QUOTED, E.FAIL_FUNDING): S.UNFUNDED,
    (S.FUNDED, E.PASS_COMPLIANCE): S.COMPLIANCE_PASSED,
    (S.FUNDED, E.HOLD_FOR_REVIEW): S.HELD,
    (S.FUNDED, E.FAIL_COMPLIANCE): S.FAILED,
    (S.HELD, E.PASS_COMPLIANCE): S.COMPLIANCE_PASSED,
    (S.HELD, E.FAIL_COMPLIANCE): S.FAILED,
    (S.COMPLIANCE_PASSED, E.SEND): S.SENT,
    (S.SENT, E.CONFIRM_PAYOUT): S.PAID_OUT,
    (S.SENT, E.FAIL_PAYOUT): S.FAILED,
    (S.PAID_OUT, E.COMPLETE): S.COMPLETED,
    (S.FAILED, E.REFUND): S.REFUNDED,
    # F13: the payout partner upheld a dispute and took the payout back.
    (S.PAID_OUT, E.REFUND_AFTER_DISPUTE): S.REFUNDED,
    (S.COMPLETED, E.REFUND_AFTER_DISPUTE): S.REFUNDED,
}
REPEATS = {(target, event) for (_, event), target in LEGAL.items()}
ILLEGAL = [
    (state, event)
    for state, event in itertools.product(S, E)
    if (state, event) not in LEGAL and (state, event) not in REPEATS
]


def run(*events: TransferEvent) -> TransferState:
    state = S.QUOTED
    for event in events:
        state = transition(state, event)
    return state


def test_happy_path_is_scenario_1() -> None:
    assert run(E.FUND, E.PASS_COMPLIANCE, E.SEND, E.CONFIRM_PAYOUT, E.COMPLETE) is S.COMPLETED


@pytest.mark.parametrize(
    ("events", "final"),
    [
        ((E.FUND, E.PASS_COMPLIANCE, E.SEND, E.FAIL_PAYOUT, E.REFUND), S.REFUNDED),
        ((E.FUND, E.FAIL_COMPLIANCE), S.FAILED),
        ((E.FUND, E.HOLD_FOR_REVIEW, E.PASS_COMPLIANCE, E.SEND), S.SENT),
        ((E.FUND, E.HOLD_FOR_REVIEW, E.FAIL_COMPLIANCE, E.REFUND), S.REFUNDED),
        ((E.EXPIRE,), S.EXPIRED),
        ((E.FAIL_FUNDING,), S.UNFUNDED),
    ],
)
def test_branches(events: tuple[TransferEvent, ...], final: TransferState) -> None:
    assert run(*events) is final


@pytest.mark.parametrize(("move", "target"), list(LEGAL.items()))
def test_every_legal_move(move: tuple[TransferState, TransferEvent], target: TransferState) -> None:
    assert transition(*move) is target


@pytest.mark.parametrize(("state", "event"), sorted(REPEATS))
def test_repeating_the_arriving_event_is_idempotent(
    state: TransferState, event: TransferEvent
) -> None:
    assert transition(state, event) is state
    assert transition(transition(state, event), event) is state


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_every_illegal_move_is_refused(state: TransferState, event: TransferEvent) -> None:
    with pytest.raises(InvalidTransition) as info:
        transition(state, event)
    err = info.value
    assert (err.state, err.event) == (state.value, event.value)
    assert err.allowed == tuple(ev.value for (src, ev) in LEGAL if src is state)
    assert f"cannot apply event {event.value!r} to a remittance in state {state.value!r}" in str(
        err
    )


def test_tamper_table_is_complete() -> None:
    assert len(LEGAL) + len(REPEATS) + len(ILLEGAL) == len(S) * len(E)
    # 15 legal moves and 12 distinct repeats: (compliance_passed, pass_compliance),
    # (failed, fail_compliance) and (refunded, refund_after_dispute) each arrive twice.
    assert len(ILLEGAL) == 11 * 12 - 15 - 12


def test_terminal_states_accept_nothing_new() -> None:
    terminal = {S.EXPIRED, S.UNFUNDED, S.COMPLETED, S.REFUNDED}
    assert {s for s in S if is_terminal(s)} == terminal
    assert allowed_events(S.EXPIRED) == allowed_events(S.REFUNDED) == ()
    # Only a dispute refund reopens a completed transfer; the pipeline never does.
    assert allowed_events(S.COMPLETED) == (E.REFUND_AFTER_DISPUTE,)
    with pytest.raises(InvalidTransition) as info:
        transition(S.REFUNDED, E.SEND)
    assert info.value.hint == "events allowed in 'refunded': none (terminal state)"
    with pytest.raises(InvalidTransition) as info:
        transition(S.COMPLETED, E.REFUND)
    assert info.value.hint == "events allowed in 'completed': refund_after_dispute"


def test_a_dispute_refund_reopens_only_a_delivered_transfer() -> None:
    delivered = run(E.FUND, E.PASS_COMPLIANCE, E.SEND, E.CONFIRM_PAYOUT)
    assert transition(delivered, E.REFUND_AFTER_DISPUTE) is S.REFUNDED
    assert transition(transition(delivered, E.COMPLETE), E.REFUND_AFTER_DISPUTE) is S.REFUNDED
    steps = (E.FUND, E.PASS_COMPLIANCE, E.SEND)  # funded, compliance_passed, sent
    for n in range(1, len(steps) + 1):
        with pytest.raises(InvalidTransition):
            transition(run(*steps[:n]), E.REFUND_AFTER_DISPUTE)


def test_an_unfunded_transfer_can_neither_be_funded_nor_refunded() -> None:
    """F14: a collection that failed (or collected another amount) booked nothing, so
    the transfer cannot go on to be funded, and there is nothing to refund."""
    unfunded = run(E.FAIL_FUNDING)
    for event in (E.FUND, E.REFUND, E.PASS_COMPLIANCE):
        with pytest.raises(InvalidTransition):
            transition(unfunded, event)
    assert transition(unfunded, E.FAIL_FUNDING) is S.UNFUNDED


def test_a_payout_failure_cannot_skip_the_refund_or_pay_twice() -> None:
    failed = run(E.FUND, E.PASS_COMPLIANCE, E.SEND, E.FAIL_PAYOUT)
    with pytest.raises(InvalidTransition):
        transition(failed, E.CONFIRM_PAYOUT)
    refunded = transition(failed, E.REFUND)
    assert transition(refunded, E.REFUND) is S.REFUNDED  # a retried refund is harmless
    with pytest.raises(InvalidTransition):
        transition(refunded, E.SEND)


def test_plain_strings_are_accepted() -> None:
    assert transition("quoted", "fund") is S.FUNDED  # type: ignore[arg-type]
