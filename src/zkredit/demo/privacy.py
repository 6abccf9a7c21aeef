"""Privacy audit: did any of the worker's raw values reach another agent?

Reads everything the credit, remittance and receiver agents keep: every row of
every table of their databases, their log files and the HTTP bodies they
received. A raw value is searched as the decimal text it would have if it had
leaked (the income 750,000 as ``750000``, its minor-unit form ``75000000``, the
birth date, the identity secret ...).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkredit.store.db import Database

OTHER_PARTIES = ("credit", "remittance", "receiver")


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
                if needle and needle in text:
                    report.leaks.append({"party": party, "where": name, "value": label})
    return report


def dump_json(report: PrivacyReport) -> dict[str, Any]:
    return {"clean": report.clean, "leaks": report.leaks,
            "searched": {k: len(v) for k, v in report.searched.items()}}


def load_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
