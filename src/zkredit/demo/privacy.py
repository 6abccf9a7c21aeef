"""Privacy audit: did any of the worker's raw values reach another agent?

Reads everything the credit, remittance and receiver agents keep: every row of
every table of their databases, their log files and the HTTP bodies they
received. A raw value is searched as the decimal text it would have if it had
leaked (the income 750,000 as ``750000``, its minor-unit form ``75000000``, the
birth date, the identity secret ...).

Values are matched as whole tokens: not preceded or followed by a letter or a
digit (see :func:`contains_token`). A plain substring search cries wolf: the other
agents legitimately keep 77-digit field elements (nullifiers, roots, proofs),
hex hashes, ids and timestamps, and an eight-digit birth date turns up inside
one of them now and then. A leaked value is a token of its own (``"birthDate":
19900602``, ``born 19900602``); a coincidence is buried in a longer number. Binary
columns are searched as bytes, never as their ``repr`` (whose ``\x02`` escapes
would glue hex digits onto the bytes that follow).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit.store.db import Database

OTHER_PARTIES = ("credit", "remittance", "receiver")
_BEFORE = r"(?<![0-9A-Za-z])(?<![0-9]\.)"
_AFTER = r"(?![0-9A-Za-z])(?!\.[0-9])"
"""What may not touch a token: a letter or a digit would make it part of a longer
number, hex string or word, and a decimal point between digits part of a decimal
number (the microseconds ``.750000`` of a timestamp are not the income 750000)."""


def token_pattern(needle: str) -> re.Pattern[str]:
    """``needle`` as a whole token (the edges of ``needle`` itself are not looked at)."""
    return re.compile(_BEFORE + re.escape(needle) + _AFTER)


def contains_token(haystack: str | bytes, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` as a whole token.

    Bytes are searched as bytes (latin-1, one character per byte), so a random
    ciphertext can only match by producing the needle's exact bytes between two
    non-alphanumeric bytes. JSON kept inside JSON strings (captured request bodies)
    is searched with its quotes unescaped too, so ``"score": 745`` is found there.
    """
    if not needle:
        return False
    text = haystack.decode("latin-1") if isinstance(haystack, bytes) else haystack
    pattern = token_pattern(needle)
    return any(pattern.search(t) is not None for t in (text, text.replace('\\"', '"')))


@dataclass
class PrivacyReport:
    searched: dict[str, list[str]] = field(default_factory=dict)
    leaks: list[dict[str, str]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.leaks


def _walk(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield str(k)
            yield from _walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk(v)
    elif value is not None:
        yield value.decode("latin-1") if isinstance(value, bytes) else str(value)


def leaked(data: Any, needles: Iterable[str]) -> list[str]:
    """The ``needles`` found as whole tokens anywhere in ``data`` (rows, dicts, bytes...).

    Walks the structure value by value, so bytes are searched as bytes and no
    ``repr`` escape can forge a digit run. For tests: ``assert leaked(dump, raw) == []``.
    """
    texts = list(_walk(data))
    return [n for n in needles if any(contains_token(t, n) for t in texts)]


def audit(
    databases: Mapping[str, Database],
    homes: Mapping[str, Path],
    secrets: Mapping[str, str],
) -> PrivacyReport:
    """Search every table, log and captured body of the other parties for ``secrets``."""
    report = PrivacyReport()
    for party in OTHER_PARTIES:
        sources: list[tuple[str, str]] = []
        db = databases.get(party)
        if db is not None:
            for table, rows in db.dump_tables().items():
                text = "\n".join(_walk(rows))
                sources.append((f"table {table}", text))
        home = homes.get(party)
        if home is not None and home.is_dir():
            for path in sorted(home.rglob("*")):
                if path.is_file() and path.suffix in (".jsonl", ".log", ".json", ".txt"):
                    sources.append((str(path.relative_to(home)), path.read_text(errors="replace")))
        report.searched[party] = [name for name, _ in sources]
        for label, needle in secrets.items():
            for name, text in sources:
                if contains_token(text, needle):
                    report.leaks.append({"party": party, "where": name, "value": label})
    return report


def dump_json(report: PrivacyReport) -> dict[str, Any]:
    return {"clean": report.clean, "leaks": report.leaks,
            "searched": {k: len(v) for k, v in report.searched.items()}}


def load_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
