"""zk_circuit_integrity_status and zk_trusted_setup_status follow the files on disk."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from tests.unit.telemetry.support import samples, value
from zkredit.telemetry.zkstatus import CircuitStatusCollector, check_catalog
from zkredit.zk.manifest import CircuitCatalog

CIRCUITS = ("collateral", "credit_history", "identity", "income")


def flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def append(path: Path) -> None:
    path.write_text(path.read_text() + "\n// changed\n")


def create(path: Path) -> None:
    path.write_text("pragma circom 2.0.0;\n")


Tamper = Callable[[CircuitCatalog], None]

# (what is changed, which circuits must read 0)
TAMPERS: list[tuple[str, Tamper, set[str]]] = [
    ("income zkey", lambda c: flip_byte(c.artifact_path("income", "zkey")), {"income"}),
    ("identity vkey", lambda c: flip_byte(c.artifact_path("identity", "vkey")), {"identity"}),
    ("collateral wasm", lambda c: flip_byte(c.artifact_path("collateral", "wasm")),
     {"collateral"}),
    ("credit_history r1cs removed", lambda c: c.artifact_path("credit_history", "r1cs").unlink(),
     {"credit_history"}),
    ("income source", lambda c: append(c.source_path("income")), {"income"}),
    ("shared gadget", lambda c: append(c.circuits_dir / "src/lib/safe_comparators.circom"),
     set(CIRCUITS)),
    ("uncovered source", lambda c: create(c.circuits_dir / "src/lib/extra.circom"),
     set(CIRCUITS)),
    ("manifest removed", lambda c: c.manifest_path().unlink(), set(CIRCUITS)),
]


def test_an_intact_copy_reads_one_for_every_circuit(tmp_keys: CircuitCatalog) -> None:
    status = check_catalog(tmp_keys)
    assert status.circuits == dict.fromkeys(CIRCUITS, True)
    assert tmp_keys.verify() == []


@pytest.mark.parametrize(("what", "tamper", "broken"), TAMPERS, ids=[t[0] for t in TAMPERS])
def test_a_tampered_file_turns_exactly_its_circuits_to_zero(
    tmp_keys: CircuitCatalog, what: str, tamper: Tamper, broken: set[str]
) -> None:
    tamper(tmp_keys)
    status = check_catalog(tmp_keys)
    assert {name for name, ok in status.circuits.items() if not ok} == broken
    if "manifest" not in what:
        assert tmp_keys.verify() != []  # the start-up check agrees


def test_the_collector_rechecks_the_disk_once_its_cache_expires(
    tmp_keys: CircuitCatalog,
) -> None:
    registry = CollectorRegistry()
    registry.register(CircuitStatusCollector(lambda: tmp_keys, ttl_s=0.0))
    assert value(registry, "zk_circuit_integrity_status", circuit_id="income") == 1.0
    flip_byte(tmp_keys.artifact_path("income", "zkey"))
    assert value(registry, "zk_circuit_integrity_status", circuit_id="income") == 0.0
    assert value(registry, "zk_circuit_integrity_status", circuit_id="identity") == 1.0


def test_a_cached_status_is_served_until_it_expires(tmp_keys: CircuitCatalog) -> None:
    registry = CollectorRegistry()
    registry.register(CircuitStatusCollector(lambda: tmp_keys, ttl_s=3600.0))
    assert value(registry, "zk_circuit_integrity_status", circuit_id="income") == 1.0
    flip_byte(tmp_keys.artifact_path("income", "zkey"))
    assert value(registry, "zk_circuit_integrity_status", circuit_id="income") == 1.0


def test_trusted_setup_parameters_come_from_the_ceremony_manifest(
    tmp_keys: CircuitCatalog,
) -> None:
    registry = CollectorRegistry()
    registry.register(CircuitStatusCollector(lambda: tmp_keys, ttl_s=0.0))
    manifest = json.loads(tmp_keys.manifest_path().read_text())
    setup = {dict(k)["parameter"]: v for k, v in
             samples(registry, "zk_trusted_setup_status").items()}
    assert setup["ceremony"] == 1.0
    assert setup["phase2_contributions"] == manifest["phase2"]["contributions"]
    assert setup["ptau_power"] == manifest["ptau"]["power"]
    assert setup["beacon"] == 1.0
    assert setup["transcript_integrity"] == 1.0
    assert "ptau_integrity" not in setup  # the tmp copy leaves the ptau out
    flip_byte(tmp_keys.keys_dir / "transcript.json")
    assert value(registry, "zk_trusted_setup_status", parameter="transcript_integrity") == 0.0


def _imported(tmp_keys: CircuitCatalog, blake2b: str) -> None:
    path = tmp_keys.manifest_path()
    manifest = json.loads(path.read_text())
    manifest["ptau"].update(
        provenance="imported", source="powersOfTau28_hez_final_14.ptau", blake2b_512=blake2b
    )
    path.write_text(json.dumps(manifest))


def _setup(tmp_keys: CircuitCatalog) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(CircuitStatusCollector(lambda: tmp_keys, ttl_s=0.0))
    return {dict(k)["parameter"]: v for k, v in
            samples(registry, "zk_trusted_setup_status").items()}


def test_the_committed_keys_report_a_local_unverified_phase1(tmp_keys: CircuitCatalog) -> None:
    setup = _setup(tmp_keys)
    assert setup["phase1_imported"] == 0.0 and setup["phase1_hash_verified"] == 0.0
    assert setup["ceremony"] == 1.0  # the existing label values are unchanged


def test_an_imported_phase1_reports_its_published_hash(tmp_keys: CircuitCatalog) -> None:
    from zkredit.zk.phase1 import PUBLISHED_PTAU_BLAKE2B

    _imported(tmp_keys, PUBLISHED_PTAU_BLAKE2B[14])
    setup = _setup(tmp_keys)
    assert setup["phase1_imported"] == 1.0 and setup["phase1_hash_verified"] == 1.0
    _imported(tmp_keys, "00" * 64)  # a hash nobody published
    setup = _setup(tmp_keys)
    assert setup["phase1_imported"] == 1.0 and setup["phase1_hash_verified"] == 0.0
