"""Structured JSON logs: one object per line, with correlation and trace ids, redacted.

Every line carries ``ts``, ``level``, ``logger``, ``msg``, the ``correlation_id``
and, when a span is active, ``trace_id``/``span_id``, plus the record's
structured ``fields`` (``logger.info(msg, extra={"fields": {...}})``). Any field
on the privacy deny-list is replaced by a keyed hash (:mod:`.privacy`) and
counted by the privacy audit: a second line of defence, since private values
should never reach a log call at all. Levels follow ``LOG_LEVEL``.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from opentelemetry import trace

from zkredit.telemetry import context, metrics, privacy, state

_RESERVED = frozenset({"ts", "level", "logger", "msg", "correlation_id", "trace_id", "span_id"})


def level() -> int:
    """The level ``LOG_LEVEL`` names (INFO when it names none)."""
    value = logging.getLevelName(state.config().log_level.upper())
    return value if isinstance(value, int) else logging.INFO


def log_entry(record: logging.LogRecord) -> dict[str, Any]:
    """The JSON object one record becomes."""
    entry: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    cid = context.correlation_id()
    if cid:
        entry["correlation_id"] = cid
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        entry["trace_id"] = format(span.trace_id, "032x")
        entry["span_id"] = format(span.span_id, "016x")
    fields = getattr(record, "fields", None)
    if isinstance(fields, dict):
        flagged = bool(privacy.private_keys(fields))
        clean = privacy.redact(fields) if flagged else fields
        entry.update({k: v for k, v in clean.items() if k not in _RESERVED})
        metrics.current().privacy_inspected("log", flagged)
    if record.exc_info and record.exc_info[0] is not None:
        entry["error"] = record.exc_info[0].__name__
    return entry


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(log_entry(record), default=str)


def setup_logging(stream: IO[str] | None = None, logger_name: str = "zkredit") -> logging.Handler:
    """JSON lines on ``stream`` (stderr) for ``logger_name`` and below, at ``LOG_LEVEL``."""
    logger = logging.getLogger(logger_name)
    for handler in list(logger.handlers):
        if getattr(handler, "_zkredit_json", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._zkredit_json = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(level())
    return handler
