"""JSON log lines: correlation and trace ids, LOG_LEVEL, private fields redacted and audited."""

from __future__ import annotations

import io
import json
import logging
import uuid
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.unit.telemetry.support import value
from zkredit.agents.common.runtime import party_logger
from zkredit.telemetry import context, metrics, privacy, state, tracing
from zkredit.telemetry.logging import level, setup_logging
from zkredit.telemetry.state import TelemetryConfig


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def logged() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    name = f"zkredit.test{uuid.uuid4().hex[:6]}"
    setup_logging(stream, logger_name=name)
    logger = logging.getLogger(name)
    logger.propagate = False
    return logger, stream


def test_a_line_carries_the_correlation_and_trace_ids(
    logged: tuple[logging.Logger, io.StringIO], spans: InMemorySpanExporter
) -> None:
    logger, stream = logged
    with context.correlated("loan-7"), tracing.span("work") as span:
        logger.info("quote issued", extra={"fields": {"route": "bank_transfer"}})
    (entry,) = lines(stream)
    assert entry["msg"] == "quote issued" and entry["level"] == "info"
    assert entry["correlation_id"] == "loan-7"
    assert entry["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert entry["route"] == "bank_transfer"


def test_private_fields_are_hashed_and_lower_the_privacy_score(
    logged: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = logged
    agent = metrics.for_agent(f"log{uuid.uuid4().hex[:6]}")
    with metrics.scoped(agent):
        logger.info("oops", extra={"fields": {"monthly_income_minor": 75_000_000,
                                              "nested": {"identitySecret": 123456789},
                                              "tier": 2}})
        logger.info("fine", extra={"fields": {"tier": 2}})
    oops, fine = lines(stream)
    assert "75000000" not in json.dumps(oops) and "123456789" not in json.dumps(oops)
    assert str(oops["monthly_income_minor"]).startswith("redacted:")
    assert oops["tier"] == 2 and fine["tier"] == 2
    assert value(agent.registry, "zkredit_privacy_flagged_total", source="log") == 1
    assert value(agent.registry, "zk_privacy_score") == 50.0


def test_equal_private_values_hash_alike_within_a_process() -> None:
    assert privacy.keyed_hash(750000) == privacy.keyed_hash(750000)
    assert privacy.keyed_hash(750000) != privacy.keyed_hash(750001)


def test_the_level_follows_log_level(logged: tuple[logging.Logger, io.StringIO]) -> None:
    state.configure(TelemetryConfig(log_level="WARNING"))
    assert level() == logging.WARNING
    stream = io.StringIO()
    name = f"zkredit.lvl{uuid.uuid4().hex[:6]}"
    setup_logging(stream, logger_name=name)
    logging.getLogger(name).info("hidden")
    logging.getLogger(name).warning("shown")
    assert [e["msg"] for e in lines(stream)] == ["shown"]
    state.configure(TelemetryConfig(log_level="nonsense"))
    assert level() == logging.INFO


def test_the_party_log_file_is_redacted_too(tmp_path: Path) -> None:
    logger = party_logger("credit", tmp_path)
    with context.correlated("app-1"):
        logger.info("assessed", extra={"fields": {"score": 745, "tier": 2}})
    (entry,) = [json.loads(x) for x in (tmp_path / "logs" / "credit.jsonl").read_text()
                .splitlines()]
    assert entry["correlation_id"] == "app-1"
    assert entry["tier"] == 2 and entry["score"] != 745


@pytest.mark.parametrize(
    ("name", "private"),
    [("identity_secret", True), ("identitySecret", True), ("webhook_secret", True),
     ("monthlyIncome", True), ("birth-date", True), ("score", True),
     ("income", False), ("min_monthly_income_minor", False), ("tier", False),
     ("scope", False), ("nullifier", False), ("amount_minor", False)],
)
def test_the_deny_list(name: str, private: bool) -> None:
    assert privacy.is_private(name) is private

