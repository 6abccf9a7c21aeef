"""The seam through which telemetry follows a job from its producer to its attempts.

The queue knows nothing of tracing or metrics: it asks the installed
:class:`JobHooks` for a small JSON *carrier* when a job is enqueued (the trace
context and correlation id of the producer), stores it beside the payload under
:data:`CARRIER_KEY`, and hands it back around every attempt. Handlers never see
the key. With no hooks installed (the default, and ``ENABLE_TELEMETRY=false``)
nothing is added and nothing wraps the handler.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

CARRIER_KEY = "_telemetry"
"""Where a payload carries its producer's context (stripped before the handler runs)."""


class JobHooks(Protocol):
    def capture(self, owner: str | None) -> dict[str, Any] | None:
        """The producer's context to carry with a new job of ``owner``'s queue (or ``None``)."""
        ...

    def attempt(
        self, kind: str, attempt: int, carrier: dict[str, Any] | None
    ) -> AbstractContextManager[None]:
        """Wraps one attempt's handler call; an exception leaving it is a failed attempt."""
        ...

    def dead(self, kind: str, carrier: dict[str, Any] | None) -> None:
        """A job of ``kind`` exhausted its attempts (or failed permanently)."""
        ...


class _NoHooks:
    def capture(self, owner: str | None) -> dict[str, Any] | None:
        return None

    @contextmanager
    def attempt(
        self, kind: str, attempt: int, carrier: dict[str, Any] | None
    ) -> Iterator[None]:
        yield

    def dead(self, kind: str, carrier: dict[str, Any] | None) -> None:
        pass


_hooks: JobHooks = _NoHooks()


def install(hooks: JobHooks | None) -> None:
    """Make ``hooks`` follow every queue's jobs in this process (``None``: stop)."""
    global _hooks
    _hooks = hooks if hooks is not None else _NoHooks()


def current() -> JobHooks:
    return _hooks


def attach(payload: dict[str, Any], owner: str | None = None) -> dict[str, Any]:
    """``payload`` plus the producer's carrier, when the hooks give one.

    ``owner`` names the agent whose queue this is (its jobs record into its metrics).
    """
    carrier = _hooks.capture(owner)
    return {**payload, CARRIER_KEY: carrier} if carrier else payload


def detach(payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The handler's payload and the carrier it travelled with."""
    if CARRIER_KEY not in payload:
        return dict(payload), None
    rest = dict(payload)
    carrier = rest.pop(CARRIER_KEY)
    return rest, carrier if isinstance(carrier, dict) else None
