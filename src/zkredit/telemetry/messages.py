"""Telemetry of agent-to-agent messages (used by :mod:`zkredit.agents.common.messaging`).

Sending: a client span ``a2a.send <type>`` (continuing the trace its correlation
id started, see :func:`zkredit.telemetry.tracing.continued`), whose context and
the correlation id go out as ``traceparent`` and ``X-Correlation-ID`` headers.
Receiving: the privacy audit inspects the payload's field names, and the
handler runs in a span ``a2a.handle <type>`` under the envelope's correlation id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry.trace import SpanKind

from zkredit.telemetry import context, metrics, privacy, state, tracing
from zkredit.telemetry.context import correlation_id

__all__ = ["correlation_id", "received", "sending"]


@contextmanager
def sending(
    recipient: str, message_type: str, correlation_id: str | None, headers: dict[str, str]
) -> Iterator[None]:
    """Around one POST of an envelope; adds the propagation headers to ``headers``."""
    if not state.enabled():
        yield
        return
    cid = context.clean(correlation_id) or context.correlation_id()
    if cid:
        headers[context.HEADER] = cid
    attributes = {"zkredit.message.type": message_type, "zkredit.peer": recipient}
    with tracing.continued(cid), tracing.span(f"a2a.send {message_type}", attributes,
                                              kind=SpanKind.CLIENT):
        tracing.inject(headers)
        yield


@contextmanager
def received(
    message_type: str, sender: str, correlation_id: str | None, payload: Mapping[str, Any]
) -> Iterator[None]:
    """Around the handler of one verified inbound envelope."""
    if not state.enabled():
        yield
        return
    metrics.current().privacy_inspected("message", bool(privacy.private_keys(payload)))
    attributes = {"zkredit.message.type": message_type, "zkredit.peer": sender}
    with context.correlated(correlation_id), tracing.span(f"a2a.handle {message_type}",
                                                          attributes):
        yield
