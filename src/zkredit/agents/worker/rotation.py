"""Re-sealing the worker's vault under a new key (``zkredit keys rotate vault``).

The operator sets the new key as ``ENCRYPTION_KEY`` and the old one in
``ENCRYPTION_KEY_PREVIOUS``; both open blobs, and new blobs are sealed under the new
key. :func:`reseal_vault` then re-encrypts every blob still under an old key, one row
per transaction: a crash at any point leaves each row whole under one key or the other,
both of which still open, so nothing is lost, and a rerun finishes the rest. When it
reports nothing left, ``ENCRYPTION_KEY_PREVIOUS`` can be removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from zkredit.agents.worker.models import IdentityRow, VaultItemRow
from zkredit.agents.worker.vault import Keyring
from zkredit.store.db import Database


@dataclass
class RotationReport:
    identities: int = 0
    items: int = 0
    resealed: int = 0
    """Blobs re-encrypted by this run (a rerun after completion reseals none)."""

    def to_json(self) -> dict[str, int]:
        return {"identities": self.identities, "items": self.items, "resealed": self.resealed}


def reseal_vault(db: Database, keyring: Keyring, *,
                 after_row: Callable[[str], None] | None = None) -> RotationReport:
    """Re-seal every vault blob not under ``keyring.current``; ``after_row(id)`` is called
    after each committed row (progress, and the crash test)."""
    report = RotationReport()
    with db.session() as s:
        identity_ids = list(s.scalars(select(IdentityRow.id).order_by(IdentityRow.id)))
        item_ids = list(s.scalars(select(VaultItemRow.id).order_by(VaultItemRow.id)))
    for identity_id in identity_ids:
        report.identities += 1
        with db.session(lock="worker-vault") as s:
            row = s.get(IdentityRow, identity_id)
            if row is None:
                continue
            ctx = f"identity:{row.id}"
            for column, purpose in (("sealed_secret", "secret"), ("sealed_wallet_key", "wallet")):
                blob = getattr(row, column)
                if keyring.needs_reseal(blob):
                    setattr(row, column, keyring.reseal(blob, f"{ctx}:{purpose}"))
                    report.resealed += 1
        if after_row is not None:
            after_row(identity_id)
    for item_id in item_ids:
        report.items += 1
        with db.session(lock="worker-vault") as s:
            item = s.get(VaultItemRow, item_id)
            if item is None:
                continue
            if keyring.needs_reseal(item.sealed):
                item.sealed = keyring.reseal(item.sealed, f"vault:{item.identity_id}:{item.kind}")
                report.resealed += 1
        if after_row is not None:
            after_row(item_id)
    return report
