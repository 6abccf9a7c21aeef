"""``zk_circuit_integrity_status`` and ``zk_trusted_setup_status``, re-checked on disk.

A collector, not a gauge set once at start-up: at scrape time it re-hashes the
files the ceremony manifest records (at most once per ``ttl_s`` per process,
whichever agent is scraped), so a key or source file changed on disk turns its
circuit's gauge to 0 within one scrape interval and pages through
``CircuitIntegrityFailure``. The rules are :meth:`CircuitCatalog.verify`'s, split
by circuit: a circuit is intact when its own source and artifacts match and no
shared file (a ``lib/`` gadget, an uncovered source, the ptau) is wrong.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from zkredit.errors import ArtifactError, ZKreditError
from zkredit.zk.manifest import (
    ARTIFACT_KINDS,
    DEV_ARTIFACT_KINDS,
    SINGLE_PARTY_DEV,
    CircuitCatalog,
    sha256_file,
)
from zkredit.zk.phase1 import IMPORTED, phase1_provenance

DEFAULT_TTL_S = 5.0


@dataclass(frozen=True)
class CircuitStatus:
    circuits: dict[str, bool]
    setup: dict[str, float] = field(default_factory=dict)


def _matches(path: Path, digest: str | None) -> bool:
    return digest is not None and path.is_file() and sha256_file(path) == digest


def check_catalog(catalog: CircuitCatalog) -> CircuitStatus:
    """Per-circuit integrity and the trusted-setup parameters, from the files on disk."""
    names = catalog.names()
    try:
        manifest = catalog.read_manifest()
    except (ArtifactError, ValueError):
        return CircuitStatus({name: False for name in names}, {"ceremony": 0.0})
    sources: dict[str, str] = manifest.get("sources", {})
    entry = {catalog.get(name).source: name for name in names}
    broken: set[str] = set()
    shared_ok = True
    for rel, digest in sources.items():
        if not _matches(catalog.circuits_dir / rel, digest):
            if rel in entry:
                broken.add(entry[rel])
            else:
                shared_ok = False
    for path in catalog.source_files():
        if str(path.relative_to(catalog.circuits_dir)) not in sources:
            shared_ok = False
    setup = manifest.get("setup")
    kinds = DEV_ARTIFACT_KINDS if setup == SINGLE_PARTY_DEV else ARTIFACT_KINDS
    recorded = manifest.get("circuits", {})
    for name in names:
        artifacts = recorded.get(name)
        if artifacts is None or not all(
            _matches(catalog.artifact_path(name, kind), artifacts.get(kind)) for kind in kinds
        ):
            broken.add(name)
    params: dict[str, float] = {"ceremony": 0.0 if setup == SINGLE_PARTY_DEV else 1.0}
    ptau = manifest.get("ptau")
    if ptau:
        params["ptau_power"] = float(ptau.get("power", 0))
        provenance = phase1_provenance(ptau)
        params["phase1_imported"] = 1.0 if provenance["provenance"] == IMPORTED else 0.0
        params["phase1_hash_verified"] = 1.0 if provenance["hash_verified"] else 0.0
        ptau_path = catalog.keys_dir / ptau["file"]
        if ptau_path.is_file():  # optional at run time; checked when present
            ok = sha256_file(ptau_path) == ptau["sha256"]
            params["ptau_integrity"] = 1.0 if ok else 0.0
            shared_ok = shared_ok and ok
    phase2 = manifest.get("phase2") or {}
    params["phase2_contributions"] = float(phase2.get("contributions", 0))
    params["beacon"] = 1.0 if phase2.get("beacon") else 0.0
    if "transcript_sha256" in manifest:
        ok = _matches(catalog.keys_dir / "transcript.json", manifest["transcript_sha256"])
        params["transcript_integrity"] = 1.0 if ok else 0.0
    return CircuitStatus({n: shared_ok and n not in broken for n in names}, params)


CatalogSource = Callable[[], CircuitCatalog]


def _settings_catalog() -> CircuitCatalog:
    from zkredit.bootstrap import build_catalog
    from zkredit.settings import load_settings

    return build_catalog(load_settings(check=False))


_source: CatalogSource = _settings_catalog
_cache: dict[tuple[Path, Path], tuple[float, CircuitStatus]] = {}
_cache_lock = threading.Lock()


def watch(catalog: CircuitCatalog | None) -> None:
    """Report on ``catalog`` (the one the process proves with); ``None``: the settings' one."""
    global _source
    _source = (lambda: catalog) if catalog is not None else _settings_catalog


def circuit_names(source: CatalogSource | None = None) -> list[str]:
    """The watched catalog's circuit names (none when it cannot be loaded)."""
    try:
        return (source or _source)().names()
    except ZKreditError:
        return []


def cached_status(
    source: CatalogSource | None = None, ttl_s: float = DEFAULT_TTL_S
) -> CircuitStatus | None:
    """The status of the watched catalog, re-checked at most every ``ttl_s`` seconds."""
    try:
        catalog = (source or _source)()
    except ZKreditError:
        return None
    key = (catalog.circuits_dir, catalog.keys_dir)
    now = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        status = check_catalog(catalog)
        _cache[key] = (now + ttl_s, status)
        return status


class CircuitStatusCollector(Collector):
    """Collects the two gauges for the watched catalog (or ``source``)."""

    def __init__(self, source: CatalogSource | None = None, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.source = source
        self.ttl_s = ttl_s

    def describe(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families(None)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._families(cached_status(self.source, self.ttl_s))

    def _families(self, status: CircuitStatus | None) -> Iterator[GaugeMetricFamily]:
        integrity = GaugeMetricFamily(
            "zk_circuit_integrity_status",
            "1 when the circuit's keys and sources match the ceremony manifest on disk, else 0",
            labels=["circuit_id"])
        setup = GaugeMetricFamily(
            "zk_trusted_setup_status",
            "Trusted-setup parameters: ceremony (1 multi-party, 0 dev), phase2_contributions, "
            "beacon, ptau_power, ptau_integrity and transcript_integrity (1 intact, 0 not), "
            "phase1_imported (1 a public phase 1 imported, 0 made locally) and "
            "phase1_hash_verified (1 its blake2b-512 is the published one)",
            labels=["parameter"])
        if status is not None:
            for name, ok in sorted(status.circuits.items()):
                integrity.add_metric([name], 1.0 if ok else 0.0)
            for param, value in sorted(status.setup.items()):
                setup.add_metric([param], value)
        yield integrity
        yield setup


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()
