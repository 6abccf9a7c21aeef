"""The remittance state machine (DOMAIN.md), as a pure ``transition(state, event)``.

Happy path::

    quoted -fund-> funded -pass_compliance-> compliance_passed -send-> sent
           -confirm_payout-> paid_out -complete-> completed

Funding is a collection: the provider opens a pay-in for the quote's total and
``fund`` happens only once the funding rail confirms it collected exactly that.

Branches:

* ``quoted -expire-> expired``: the 60 s quote lapsed before funding (before the
  pay-in was collected). No money moved, so nothing can be refunded (an extra
  terminal state, so that ``failed`` always means "funds were taken").
* ``quoted -fail_funding-> unfunded``: the collection failed, or collected another
  amount than the quote's total (which the rail returns to the payer). Nothing was
  booked, so, as for ``expired``, there is nothing to refund.
* ``funded -hold_for_review-> held``: a sanctions near match waits for a person.
  The reviewer's verdict is ``pass_compliance`` or ``fail_compliance``.
* ``funded|held -fail_compliance-> failed``: the identity proof, the screening,
  the wallet check or the limits refused the transfer.
* ``sent -fail_payout-> failed``: the rail could not pay the recipient.
* ``failed -refund-> refunded``: the principal goes back to the sender. After a
  payout failure the service must refund (DOMAIN.md). After a sanctions BLOCK the
  funds may instead stay frozen: whether to send ``refund`` is the service's
  compliance decision, not the state machine's.
* ``paid_out|completed -refund_after_dispute-> refunded``: the payout partner upheld
  a dispute and took the payout back from the recipient (review F13). The pipeline
  never sends this event; only the payout partner's notice does, so ``completed``
  stays where the pipeline ends, and a delivered transfer is reopened only this way.

Repeating the event that led to the current state returns the state unchanged,
so a retried request is harmless. Any other move raises :class:`InvalidTransition`.
"""

from __future__ import annotations

from enum import StrEnum

from zkredit.domain.errors import InvalidTransition


class TransferState(StrEnum):
    """Where a remittance is in its life."""

    QUOTED = "quoted"
    EXPIRED = "expired"
    UNFUNDED = "unfunded"
    FUNDED = "funded"
    HELD = "held"
    COMPLIANCE_PASSED = "compliance_passed"
    SENT = "sent"
    PAID_OUT = "paid_out"
    COMPLETED = "completed"
    FAILED = "failed"
    REFUNDED = "refunded"


class TransferEvent(StrEnum):
    """Something that happened to a remittance."""

    FUND = "fund"
    EXPIRE = "expire"
    FAIL_FUNDING = "fail_funding"
    HOLD_FOR_REVIEW = "hold_for_review"
    PASS_COMPLIANCE = "pass_compliance"
    FAIL_COMPLIANCE = "fail_compliance"
    SEND = "send"
    CONFIRM_PAYOUT = "confirm_payout"
    FAIL_PAYOUT = "fail_payout"
    COMPLETE = "complete"
    REFUND = "refund"
    REFUND_AFTER_DISPUTE = "refund_after_dispute"


_S, _E = TransferState, TransferEvent

TRANSITIONS: dict[tuple[TransferState, TransferEvent], TransferState] = {
    (_S.QUOTED, _E.FUND): _S.FUNDED,
    (_S.QUOTED, _E.EXPIRE): _S.EXPIRED,
    (_S.QUOTED, _E.FAIL_FUNDING): _S.UNFUNDED,
    (_S.FUNDED, _E.PASS_COMPLIANCE): _S.COMPLIANCE_PASSED,
    (_S.FUNDED, _E.HOLD_FOR_REVIEW): _S.HELD,
    (_S.FUNDED, _E.FAIL_COMPLIANCE): _S.FAILED,
    (_S.HELD, _E.PASS_COMPLIANCE): _S.COMPLIANCE_PASSED,
    (_S.HELD, _E.FAIL_COMPLIANCE): _S.FAILED,
    (_S.COMPLIANCE_PASSED, _E.SEND): _S.SENT,
    (_S.SENT, _E.CONFIRM_PAYOUT): _S.PAID_OUT,
    (_S.SENT, _E.FAIL_PAYOUT): _S.FAILED,
    (_S.PAID_OUT, _E.COMPLETE): _S.COMPLETED,
    (_S.FAILED, _E.REFUND): _S.REFUNDED,
    (_S.PAID_OUT, _E.REFUND_AFTER_DISPUTE): _S.REFUNDED,
    (_S.COMPLETED, _E.REFUND_AFTER_DISPUTE): _S.REFUNDED,
}
"""Every legal move: ``(state, event) → next state``."""

TERMINAL_STATES = frozenset({_S.EXPIRED, _S.UNFUNDED, _S.COMPLETED, _S.REFUNDED})
"""States the pipeline ends in: no step leaves them (``failed`` is left by ``refund``).
Only a dispute refund leaves ``completed`` (``refund_after_dispute``); ``expired``,
``unfunded`` and ``refunded`` accept no event at all."""

_ARRIVING: dict[TransferState, frozenset[TransferEvent]] = {
    state: frozenset(ev for (_, ev), target in TRANSITIONS.items() if target is state)
    for state in TransferState
}


def allowed_events(state: TransferState) -> tuple[TransferEvent, ...]:
    """The events that move ``state`` forward, in declaration order."""
    return tuple(ev for (src, ev) in TRANSITIONS if src is state)


def is_terminal(state: TransferState) -> bool:
    """True when the pipeline moves ``state`` no further (a dispute may still refund a
    ``completed`` transfer)."""
    return state in TERMINAL_STATES


def transition(state: TransferState, event: TransferEvent) -> TransferState:
    """The state after ``event``; the same state if ``event`` is what led to it.

    Raises :class:`InvalidTransition` for any other move.
    """
    state, event = TransferState(state), TransferEvent(event)
    target = TRANSITIONS.get((state, event))
    if target is not None:
        return target
    if event in _ARRIVING[state]:
        return state
    raise InvalidTransition(state.value, event.value, tuple(e.value for e in allowed_events(state)))
