"""The receipt of a completed transfer: what was sent, paid, charged, when, and where recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from zkredit.agents.remittance.models import QuoteRow, TransferEventRow, TransferRow
from zkredit.agents.remittance.repository import amounts_of, quote_of
from zkredit.agents.remittance.schemas import RATE_PLACES, MoneyJson
from zkredit.domain.remittance import TransferState
from zkredit.store.auditchain import AnchorRecord, AuditEntry, to_hex

_STAMPS = {
    TransferState.QUOTED: "requested_at",
    TransferState.FUNDED: "funded_at",
    TransferState.HELD: "held_at",
    TransferState.COMPLIANCE_PASSED: "compliance_passed_at",
    TransferState.SENT: "sent_at",
    TransferState.PAID_OUT: "paid_out_at",
}


def mask_account(account: str) -> str:
    """All but the last four characters hidden: ``******7890``."""
    return "*" * max(len(account) - 4, 0) + account[-4:]


def _money(value: Any) -> dict[str, Any]:
    return MoneyJson.of(value).model_dump()


def build_receipt(
    row: TransferRow,
    quote: QuoteRow | None,
    history: Sequence[TransferEventRow],
    ledger_entries: Sequence[str],
    audit_head: AuditEntry | None,
    anchor: AnchorRecord | None,
    settlement_chain_id: int | None,
    completed_at: datetime,
) -> dict[str, Any]:
    """The receipt stored with the transfer when it completes (JSON-ready)."""
    t = amounts_of(row)
    stamps: dict[str, str] = {}
    if quote is not None:
        stamps["quoted_at"] = quote.created_at.isoformat()
    for event in history:
        name = _STAMPS.get(TransferState(event.to_state))
        if name is not None:
            stamps[name] = event.at.isoformat()
    stamps["completed_at"] = completed_at.isoformat()
    receipt: dict[str, Any] = {
        "transfer_id": row.id,
        "kind": row.kind,
        "state": TransferState.COMPLETED.value,
        "route": row.route,
        "purpose": row.purpose,
        "sent": _money(t.principal),
        "received": _money(t.received),
        "fee": {"total": _money(t.fee)},
        "total_debit": _money(t.principal + t.fee),
        "rate": None,
        "total_cost_bps": None,
        "eta_seconds": None,
        "recipient": {
            "name": row.recipient.get("name"),
            "bank": row.recipient.get("bank"),
            "country": row.recipient.get("country"),
            "account": mask_account(str(row.recipient.get("account", ""))),
        },
        "timestamps": stamps,
        "payout": {"payout_id": row.payout_id, "confirmation": row.payout_confirmation},
        "ledger_entries": list(ledger_entries),
        "audit_head": to_hex(audit_head.entry_hash) if audit_head else None,
        "audit_seq": audit_head.seq if audit_head else None,
        "onchain": None,
    }
    if quote is not None:
        q = quote_of(quote)
        receipt["fee"] = {
            "flat": _money(q.fee.flat),
            "percentage": _money(q.fee.percentage),
            "pct_bps": q.fee.pct_bps,
            "total": _money(q.fee.total),
        }
        receipt["rate"] = {
            "mid": q.mid_rate.decimal(RATE_PLACES),
            "customer": q.customer_rate.decimal(RATE_PLACES),
            "markup_bps": q.markup_bps,
            "pair": f"{q.sent.currency}/{q.received.currency}",
        }
        receipt["total_cost_bps"] = q.total_cost_bps
        receipt["fx_cost"] = _money(q.fx_cost)
        receipt["eta_seconds"] = int(q.eta.total_seconds())
    if row.settlement_tx is not None or anchor is not None:
        receipt["onchain"] = {
            "settlement_tx": row.settlement_tx,
            "settlement_chain_id": settlement_chain_id,
            "audit_anchor": None
            if anchor is None
            else {
                "tx_hash": anchor.tx_hash,
                "chain_id": anchor.chain_id,
                "entry_count": anchor.entry_count,
                "head_hash": to_hex(anchor.head_hash),
            },
        }
    return receipt
