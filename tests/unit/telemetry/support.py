"""Reading a Prometheus exposition back, for assertions."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

Labels = tuple[tuple[str, str], ...]


def samples(source: str | CollectorRegistry, name: str) -> dict[Labels, float]:
    """Every sample called ``name`` (full sample name, e.g. ``x_total``), by sorted labels."""
    text = source if isinstance(source, str) else generate_latest(source).decode()
    out: dict[Labels, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def value(exposition: str | CollectorRegistry, name: str, **labels: str) -> float | None:
    return samples(exposition, name).get(tuple(sorted(labels.items())))


def family_names(text: str) -> set[str]:
    return {f.name for f in text_string_to_metric_families(text)}
