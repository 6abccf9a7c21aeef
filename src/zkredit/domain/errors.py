"""Errors raised by the domain core.

Each class mixes in the builtin kind it refines, so callers may catch either the
ZKredit family or the builtin (``except LookupError``).
"""

from __future__ import annotations

from zkredit.errors import ConfigurationError, ZKreditError


class DataFileError(ConfigurationError):
    """Raised when a packaged data file (rates, corridors, sanctions) is missing or malformed."""


class RateUnavailableError(ZKreditError, LookupError):
    """Raised when the rate source has no usable rate for a currency pair at the asked time."""


class UnknownCorridorError(ZKreditError, LookupError):
    """Raised when the fee schedule has no corridor or route for a currency pair."""


class UnbalancedEntryError(ZKreditError, ValueError):
    """Raised when a journal entry's debits and credits differ in some currency."""


class InvalidTransition(ZKreditError, ValueError):
    """Raised when an event is not allowed in a remittance's current state."""

    def __init__(self, state: str, event: str, allowed: tuple[str, ...]) -> None:
        self.state = state
        self.event = event
        self.allowed = allowed
        choices = ", ".join(allowed) if allowed else "none (terminal state)"
        super().__init__(
            f"cannot apply event {event!r} to a remittance in state {state!r}",
            hint=f"events allowed in {state!r}: {choices}",
        )
