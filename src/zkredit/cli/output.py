"""Shared console, exit statuses and the one error funnel of the CLI."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from zkredit import errors

console = Console(soft_wrap=True)  # long lines (addresses, paths) stay whole
# Errors are printed unwrapped (soft_wrap): file names in them must stay greppable.
err_console = Console(stderr=True, soft_wrap=True)


class ExitStatus(IntEnum):
    """Exit codes are a contract: scripts may depend on them."""

    SUCCESS = 0
    ERROR = 1
    BAD_INPUT = 2
    PROOF_INVALID = 3
    STATEMENT_FALSE = 4
    ARTIFACT_MISMATCH = 5
    TOOL_MISSING = 6
    CONFIG_ERROR = 7
    INTEGRITY_FAILED = 8
    INTERRUPTED = 130


def exit_status_for(exc: BaseException) -> ExitStatus:
    table: list[tuple[type[BaseException], ExitStatus]] = [
        (errors.VerificationFailed, ExitStatus.PROOF_INVALID),
        (errors.IntegrityError, ExitStatus.INTEGRITY_FAILED),
        (errors.StatementFalse, ExitStatus.STATEMENT_FALSE),
        (errors.ArtifactError, ExitStatus.ARTIFACT_MISMATCH),
        (errors.ToolMissingError, ExitStatus.TOOL_MISSING),
        (errors.ConfigurationError, ExitStatus.CONFIG_ERROR),
        (errors.InputError, ExitStatus.BAD_INPUT),
        (errors.UnknownCircuitError, ExitStatus.BAD_INPUT),
        (errors.CryptoError, ExitStatus.BAD_INPUT),
        (errors.WitnessError, ExitStatus.BAD_INPUT),
        (KeyboardInterrupt, ExitStatus.INTERRUPTED),
    ]
    for kind, status in table:
        if isinstance(exc, kind):
            return status
    return ExitStatus.ERROR


class Funnel:
    """Prints ``Error: <message>`` plus a hint, and chooses the exit status."""

    show_traceback: bool = False

    @classmethod
    def handle(cls, exc: BaseException) -> int:
        status = exit_status_for(exc)
        if cls.show_traceback:
            traceback.print_exception(exc, file=sys.stderr)
        if isinstance(exc, KeyboardInterrupt):
            err_console.print("Interrupted.")
            return int(status)
        if isinstance(exc, errors.ZKreditError):
            err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
            if exc.hint:
                err_console.print(f"[dim]Hint:[/] {exc.hint}", highlight=False)
        else:
            err_console.print(
                f"[bold red]Error:[/] unexpected {type(exc).__name__}: {exc}", highlight=False
            )
            if not cls.show_traceback:
                err_console.print("[dim]Hint:[/] re-run with --traceback for details.")
        return int(status)


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Progress]:
    """A Rich progress bar for long work (ceremony steps, proving batches)."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=False,
    ) as progress:
        progress.add_task(description, total=total)
        yield progress
