"""A crash at the moment an agent writes its audit entry (F34)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from zkredit.store.audit import AuditLog


class SimulatedCrash(Exception):
    """The process dies while appending to the audit log."""


@contextmanager
def crash_on_audit(monkeypatch: pytest.MonkeyPatch, kind: str) -> Iterator[None]:
    """Make the next append of an entry of ``kind`` fail, as a crash there would."""
    real = AuditLog.append

    def failing(self: AuditLog, entry_kind: str, *args: object, **kwargs: object) -> object:
        if entry_kind == kind:
            raise SimulatedCrash(f"killed while auditing {kind}")
        return real(self, entry_kind, *args, **kwargs)  # type: ignore[arg-type]

    with monkeypatch.context() as patch:
        patch.setattr(AuditLog, "append", failing)
        yield


def audited(log: AuditLog, kind: str) -> list[dict[str, object]]:
    """The payloads of every entry of ``kind``, oldest first."""
    found = []
    after = 0
    while batch := log.entries(after=after, limit=500):
        found += [dict(e.data()) for e in batch if e.kind == kind]
        after = batch[-1].seq
    return found
