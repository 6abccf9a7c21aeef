"""Errors of the chain layer, one hierarchy for every backend.

The embedded py-evm chain and a JSON-RPC node report failures differently
(eth-tester raises on ``eth_call`` and mines a status-0 receipt; a node returns
revert data in the JSON-RPC error). :mod:`zkredit.chain.client` turns both into
the classes below, so callers catch :class:`TxReverted` and read the decoded
custom error name whatever the backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from zkredit.errors import ConfigurationError, ToolMissingError, ZKreditError


class ChainError(ZKreditError):
    """Root of every error raised while talking to a chain."""


class NodeUnavailable(ChainError, ConnectionError):
    """Raised when the JSON-RPC node cannot be reached or does not answer."""


class NodeBinaryMissing(ChainError, ToolMissingError):
    """Raised when the anvil binary from npm is not installed."""


class UnknownSender(ChainError, KeyError):
    """Raised when a transaction names a sender whose private key the client lacks."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.message


class TxReverted(ChainError):
    """Raised when a transaction or call reverts; ``name`` is the decoded custom error.

    ``name`` is ``"Error"`` for ``require(..., "reason")`` strings, ``"Panic"`` for
    Solidity panics, and ``None`` when the revert carried no data (out of gas, or
    a bare ``revert()``). ``tx_hash`` is set when the revert was mined; a call or a
    pre-flight simulation has none.
    """

    def __init__(
        self,
        name: str | None,
        args: Sequence[Any] = (),
        tx_hash: str | None = None,
        *,
        data: bytes = b"",
        detail: str = "",
        hint: str | None = None,
        simulated: bool = False,
    ) -> None:
        self.name = name
        self.error_args = tuple(args)
        self.tx_hash = tx_hash
        self.data = data
        self.detail = detail
        if tx_hash:
            where = f"transaction {tx_hash}"
        elif simulated:
            where = "the transaction was not sent: its simulation"
        else:
            where = "the call"
        if name is None:
            what = detail or "without revert data"
            message = f"{where} reverted {what}"
        else:
            shown = ", ".join(_show(a) for a in self.error_args)
            message = f"{where} reverted with {name}({shown})"
        super().__init__(message, hint=hint)

    def as_simulated(self) -> TxReverted:
        """The same revert, reported as a pre-flight simulation (nothing was sent)."""
        return TxReverted(
            self.name,
            self.error_args,
            data=self.data,
            detail=self.detail,
            hint=self.hint,
            simulated=True,
        )

    def matches(self, name: str, *args: Any) -> bool:
        """True when the revert is ``name`` (and, if given, exactly these arguments)."""
        if self.name != name:
            return False
        return not args or tuple(map(_norm, args)) == tuple(map(_norm, self.error_args))


class DeploymentError(ChainError):
    """Raised when a deployment cannot proceed or its record is unusable."""


class DeploymentNotFound(DeploymentError, FileNotFoundError):
    """Raised when no deployment file exists for the chain being used."""


class DeploymentMismatch(DeploymentError):
    """Raised by ``zkredit deploy --check`` when on-chain code or wiring differs."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            "the deployment does not match the artifacts:\n  " + "\n  ".join(self.problems),
            hint="Redeploy with `zkredit deploy`, or check out the commit that was deployed.",
        )


class UnsafeDeployment(DeploymentError, ConfigurationError):
    """Raised when a non-development deployment would use development material."""


def _norm(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, list):
        return tuple(_norm(v) for v in value)
    return value


def _show(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return repr(value) if isinstance(value, str) else str(value)
