"""Which metric names a PromQL expression reads, and which ones the code exports."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

_KEYWORDS = frozenset({
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
    "unless", "offset", "inf", "nan", "le",
})
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w:$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    """Metric names in ``expr`` (functions, keywords, labels, durations left out)."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENT.finditer(text):
        name = match.group(1)
        if name.lower() in _KEYWORDS or re.fullmatch(r"\d+[smhdwy]?", name):
            continue
        names.add(name)
    return names


_DECLARED = re.compile(
    r"\b(Counter|Gauge|Histogram|Summary|GaugeMetricFamily|CounterMetricFamily)\(\s*"
    r"\"([a-z_:][a-z0-9_:]*)\"")
_STATE_METRIC = re.compile(r"\(\s*\"(zkredit_[a-z_]+)\",\s*\"[a-z_]+\",\s*\"(?:status|state)\"")

EXTERNAL = {
    "up": "Prometheus: whether a scrape succeeded",
    "scrape_duration_seconds": "Prometheus: how long a scrape took",
    "zkredit_backup_last_success_timestamp_seconds": "written by `zkredit backup` (issue 12)",
}


def _process_names() -> set[str]:
    """What prometheus_client's ProcessCollector (on every agent registry) exports."""
    from prometheus_client import ProcessCollector

    return {s.name for family in ProcessCollector(registry=None).collect()
            for s in family.samples}


def exported_names() -> set[str]:
    """Every sample name ZKredit's code exports (with the client's suffixes)."""
    names: set[str] = set(EXTERNAL) | _process_names()
    for path in (ROOT / "src" / "zkredit").rglob("*.py"):
        text = path.read_text()
        for kind, name in _DECLARED.findall(text):
            if kind in ("Counter", "CounterMetricFamily"):
                base = name.removesuffix("_total")
                names |= {base + "_total", base + "_created"}
            elif kind in ("Histogram", "Summary"):
                names |= {name + s for s in ("_bucket", "_sum", "_count", "_created")}
            else:
                names.add(name)
        names |= set(_STATE_METRIC.findall(text))
    return names
