"""The correlation id: one value that ties an HTTP request, its messages, jobs and logs.

Taken from an inbound ``X-Correlation-ID`` header or an envelope's
``correlation_id`` when it is a plain token, else made up; carried into jobs and
outbound agent messages; written on every log line.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Correlation-ID"
_TOKEN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

_correlation: ContextVar[str | None] = ContextVar("zkredit_correlation_id", default=None)


def clean(value: str | None) -> str | None:
    """``value`` when it is a safe token (letters, digits, ``._:-``, at most 128), else None."""
    return value if value is not None and _TOKEN.match(value) else None


def new_correlation_id() -> str:
    return uuid.uuid4().hex


def correlation_id() -> str | None:
    return _correlation.get()


@contextmanager
def correlated(value: str | None) -> Iterator[str | None]:
    """Make ``value`` (if a safe token) the correlation id inside the block."""
    token = _correlation.set(clean(value) or _correlation.get())
    try:
        yield _correlation.get()
    finally:
        _correlation.reset(token)
