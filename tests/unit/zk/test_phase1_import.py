"""`zkredit ceremony import-ptau`: a public phase 1 is checked before it is used (issue 7 §3).

Real Hermez files (18 MB at 2^14, unavailable offline) are replaced by tiny ptau
files made with ``snarkjs powersoftau new`` at power 4-5, and the published-hash
table is injected; the checks and the install are the product's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.unit.zk.test_ceremony_entropy import RecordingTools, tmp_catalog  # noqa: F401
from zkredit.cli.output import ExitStatus
from zkredit.errors import (
    PtauError,
    PtauFormatError,
    PtauHashMismatch,
    PtauInstalledError,
    PtauNotPreparedError,
    PtauPowerError,
    PtauUnpublishedError,
    PtauVerifyError,
)
from zkredit.zk.ceremony import Ceremony, ptau_name
from zkredit.zk.manifest import CircuitCatalog, sha256_file
from zkredit.zk.phase1 import (
    PHASE1_RECORD,
    PUBLISHED_PTAU_BLAKE2B,
    Phase1Record,
    blake2b_file,
    expected_section_sizes,
    import_ptau,
    read_ptau_header,
)
from zkredit.zk.toolchain import NodeTools

pytestmark = pytest.mark.node


@pytest.fixture(scope="module")
def ptaus(tmp_path_factory: pytest.TempPathFactory, node_tools: NodeTools) -> dict[str, Path]:
    """Small ptau files: raw (not prepared), prepared at 4 and 5, contributed+prepared at 4."""
    d = tmp_path_factory.mktemp("ptau")
    sj = node_tools.snarkjs
    out = {"raw4": d / "raw4.ptau", "p4": d / "p4.ptau", "p5": d / "p5.ptau", "c4": d / "c4.ptau"}
    sj("powersoftau", "new", "bn128", "4", out["raw4"])
    sj("powersoftau", "prepare", "phase2", out["raw4"], out["p4"])
    sj("powersoftau", "new", "bn128", "5", d / "raw5.ptau")
    sj("powersoftau", "prepare", "phase2", d / "raw5.ptau", out["p5"])
    sj("powersoftau", "contribute", out["raw4"], d / "c4_1.ptau", "--name=t", input="entropy\n")
    sj("powersoftau", "prepare", "phase2", d / "c4_1.ptau", out["c4"])
    return out


def table(path: Path, power: int) -> dict[int, str]:
    return {power: blake2b_file(path)}


def test_the_header_of_a_snarkjs_ptau_is_read(ptaus: dict[str, Path]) -> None:
    h = read_ptau_header(ptaus["p4"])
    assert (h.version, h.power, h.ceremony_power, h.prepared) == (1, 4, 4, True)
    for kind, size in expected_section_sizes(4).items():
        assert h.sections[kind] == size
    assert read_ptau_header(ptaus["p5"]).power == 5


def test_a_published_file_installs_with_its_provenance(
    ptaus: dict[str, Path], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    record = import_ptau(ptaus["p4"], 4, keys, need=4, published=table(ptaus["p4"], 4))
    installed = keys / "pot4_final.ptau"
    assert installed.read_bytes() == ptaus["p4"].read_bytes()
    assert sorted(p.name for p in keys.iterdir()) == [PHASE1_RECORD, "pot4_final.ptau"]
    data = json.loads((keys / PHASE1_RECORD).read_text())
    assert data["provenance"] == "imported" and data["source"] == "p4.ptau"
    assert data["power"] == 4 and data["file"] == "pot4_final.ptau"
    assert data["blake2b_512"] == blake2b_file(ptaus["p4"]) == data["published_blake2b_512"]
    assert data["sha256"] == sha256_file(installed)
    assert data["hash_verified"] is True and data["snarkjs_verify"] == "not run"
    assert "snarkjs" in data["published_source"] and "README" in data["published_source"]
    assert Phase1Record.load(keys) == record


def test_the_table_holds_every_published_hermez_power() -> None:
    assert sorted(PUBLISHED_PTAU_BLAKE2B) == list(range(8, 29))
    assert all(len(h) == 128 and int(h, 16) for h in PUBLISHED_PTAU_BLAKE2B.values())
    readme = (ROOT / "node_modules" / "snarkjs" / "README.md").read_text()
    for power, digest in PUBLISHED_PTAU_BLAKE2B.items():
        assert digest in readme, power


def corrupt(src: Path, dst: Path, how: str) -> Path:
    data = bytearray(src.read_bytes())
    if how == "magic":
        data[:4] = b"zkey"
    elif how == "truncated":
        data = data[: len(data) - 100]
    elif how == "version":
        data[4] = 2
    elif how == "trailing":
        data += b"\0" * 8
    elif how == "curve":
        data[12 + 12 + 4] ^= 1  # first byte of q in the header section
    dst.write_bytes(bytes(data))
    return dst


@pytest.mark.parametrize(
    ("how", "words"),
    [
        ("magic", 'magic bytes "ptau"'),
        ("truncated", "truncated"),
        ("version", "version 2"),
        ("trailing", "follow the last section"),
        ("curve", "not bn128"),
    ],
)
def test_a_malformed_file_is_a_format_error_naming_it(
    ptaus: dict[str, Path], tmp_path: Path, how: str, words: str
) -> None:
    bad = corrupt(ptaus["p4"], tmp_path / f"{how}.ptau", how)
    with pytest.raises(PtauFormatError) as exc:
        import_ptau(bad, 4, tmp_path / "keys", need=4, published=table(bad, 4))
    assert str(bad) in exc.value.message and words in exc.value.message
    assert not (tmp_path / "keys").exists() or not any((tmp_path / "keys").iterdir())


def test_an_unprepared_file_is_refused(ptaus: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(PtauNotPreparedError, match="not prepared for phase 2"):
        import_ptau(ptaus["raw4"], 4, tmp_path, need=4, published=table(ptaus["raw4"], 4))


def test_a_power_other_than_the_one_named_is_refused(
    ptaus: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(PtauPowerError, match=r"header says power 5, but --power 4"):
        import_ptau(ptaus["p5"], 4, tmp_path, need=4, published=table(ptaus["p5"], 4))


def test_a_power_too_small_for_the_circuits_is_refused(
    ptaus: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(PtauPowerError, match="the largest circuit needs power 14"):
        import_ptau(ptaus["p4"], 4, tmp_path, need=14, published=table(ptaus["p4"], 4))


def test_a_hash_other_than_the_published_one_is_refused(
    ptaus: dict[str, Path], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    with pytest.raises(PtauHashMismatch) as exc:
        import_ptau(ptaus["p4"], 4, keys, need=4, published={4: "00" * 64})
    assert str(ptaus["p4"]) in exc.value.message and "published hash" in exc.value.message
    assert list(keys.iterdir()) == []  # the half-copied file is gone, nothing installed


def test_a_power_without_a_published_hash_is_refused(
    ptaus: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(PtauUnpublishedError, match=r"no published blake2b-512.*power-4"):
        import_ptau(ptaus["p4"], 4, tmp_path, need=4)  # the real table starts at 8


def test_a_different_installed_ptau_is_replaced_only_when_asked(
    ptaus: dict[str, Path], tmp_path: Path
) -> None:
    keys = tmp_path / "keys"
    keys.mkdir()
    (keys / "pot4_final.ptau").write_bytes(b"the ptau the current keys were made on")
    published = table(ptaus["p4"], 4)
    with pytest.raises(PtauInstalledError, match="already installed"):
        import_ptau(ptaus["p4"], 4, keys, need=4, published=published)
    assert (keys / "pot4_final.ptau").read_bytes().startswith(b"the ptau")
    import_ptau(ptaus["p4"], 4, keys, need=4, published=published, replace=True)
    assert (keys / "pot4_final.ptau").read_bytes() == ptaus["p4"].read_bytes()
    import_ptau(ptaus["p4"], 4, keys, need=4, published=published)  # same file: no-op


@pytest.mark.slow
def test_verify_runs_snarkjs_powersoftau_verify(
    ptaus: dict[str, Path], tmp_path: Path, node_tools: NodeTools
) -> None:
    record = import_ptau(
        ptaus["c4"], 4, tmp_path / "a", need=4, published=table(ptaus["c4"], 4), tools=node_tools
    )
    assert record.snarkjs_verify == "ok"
    no_contribution = "powersoftau verify failed: This file has no contribution"
    with pytest.raises(PtauVerifyError, match=no_contribution):
        import_ptau(
            ptaus["p4"], 4, tmp_path / "b", need=4, published=table(ptaus["p4"], 4),
            tools=node_tools,
        )


def imported_record(keys: Path, power: int, content: bytes = b"public ptau") -> Phase1Record:
    (keys / ptau_name(power)).write_bytes(content)
    record = Phase1Record(
        provenance="imported",
        file=ptau_name(power),
        power=power,
        ceremony_power=28,
        source=f"powersOfTau28_hez_final_{power}.ptau",
        blake2b_512=PUBLISHED_PTAU_BLAKE2B[power],
        sha256=sha256_file(keys / ptau_name(power)),
        published_blake2b_512=PUBLISHED_PTAU_BLAKE2B[power],
        published_source="test",
        hash_verified=True,
        snarkjs_verify="not run",
        imported_at="2026-12-07T00:00:00+00:00",
    )
    (keys / PHASE1_RECORD).write_text(record.to_json())
    return record


@pytest.mark.parametrize("power", [14, 15])
def test_the_next_ceremony_builds_phase2_on_the_imported_ptau(
    tmp_catalog: CircuitCatalog,  # noqa: F811
    power: int,
) -> None:
    imported_record(tmp_catalog.keys_dir, power)
    tools = RecordingTools()
    manifest = Ceremony(tools, tmp_catalog).run()  # type: ignore[arg-type]
    assert not any(a[0] == "powersoftau" for a, _ in tools.calls)  # no local phase 1
    setups = [a for a, _ in tools.calls if a[:2] == ["groth16", "setup"]]
    assert setups and all(a[3].endswith(ptau_name(power)) for a in setups)
    ptau: dict[str, Any] = manifest["ptau"]
    assert ptau["file"] == ptau_name(power) and ptau["power"] == power
    assert ptau["provenance"] == "imported"
    assert ptau["source"] == f"powersOfTau28_hez_final_{power}.ptau"
    assert ptau["blake2b_512"] == PUBLISHED_PTAU_BLAKE2B[power]
    transcript = json.loads((tmp_catalog.keys_dir / "transcript.json").read_text())
    phase1 = [e for e in transcript if e["phase"] == 1]
    assert phase1 == [
        {
            "phase": 1,
            "step": "import",
            "source": f"powersOfTau28_hez_final_{power}.ptau",
            "power": power,
            "blake2b_512": PUBLISHED_PTAU_BLAKE2B[power],
            "published_blake2b_512": PUBLISHED_PTAU_BLAKE2B[power],
            "snarkjs_verify": "not run",
        }
    ]


def test_an_imported_ptau_changed_after_import_stops_the_ceremony(
    tmp_catalog: CircuitCatalog,  # noqa: F811
) -> None:
    imported_record(tmp_catalog.keys_dir, 14)
    (tmp_catalog.keys_dir / ptau_name(14)).write_bytes(b"swapped")
    with pytest.raises(PtauHashMismatch, match="changed since `zkredit ceremony import-ptau`"):
        Ceremony(RecordingTools(), tmp_catalog).run()  # type: ignore[arg-type]


def test_an_imported_ptau_too_small_for_the_circuits_stops_the_ceremony(
    tmp_catalog: CircuitCatalog,  # noqa: F811
) -> None:
    imported_record(tmp_catalog.keys_dir, 12)
    with pytest.raises(PtauPowerError, match="12, but the largest circuit now needs power 14"):
        Ceremony(RecordingTools(), tmp_catalog).run()  # type: ignore[arg-type]


# --- the CLI, as a user runs it (real subprocess, real error funnel) --------------------

PATCHED = """
import sys
import zkredit.cli.ceremony as c
c.required_power = lambda catalog: 4
c.PUBLISHED_PTAU_BLAKE2B = {{4: {digest!r}}}
from zkredit.cli.main import run
sys.argv = ["zkredit", *sys.argv[1:]]
run()
"""


def zkredit(
    *args: str | Path, keys: Path, digest: str | None = None
) -> subprocess.CompletedProcess[str]:
    """``zkredit ...`` with COLUMNS=80; with ``digest`` the table and need are set for power 4."""
    head = ["-m", "zkredit.cli.main"] if digest is None else ["-c", PATCHED.format(digest=digest)]
    return subprocess.run(
        [sys.executable, *head, *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80", "ZK_ZKEY_PATH": str(keys)},
    )


@pytest.fixture
def deep(tmp_path: Path) -> Path:
    """A directory whose path alone is longer than 80 columns."""
    d = tmp_path / ("a-long-directory-name-" * 4) / "downloads"
    d.mkdir(parents=True)
    return d


def assert_one_line_error(r: subprocess.CompletedProcess[str], sentence: str) -> None:
    assert r.returncode == ExitStatus.ARTIFACT_MISMATCH, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(lines) == 1 and sentence in lines[0], r.stderr


def test_cli_imports_a_published_file(ptaus: dict[str, Path], tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    r = zkredit(
        "ceremony", "import-ptau", ptaus["p4"], "--power", "4", keys=keys,
        digest=blake2b_file(ptaus["p4"]),
    )
    assert r.returncode == 0, r.stderr
    assert "Imported p4.ptau" in r.stdout and "matches the published hash" in r.stdout
    assert json.loads((keys / PHASE1_RECORD).read_text())["source"] == "p4.ptau"
    assert (keys / "pot4_final.ptau").read_bytes() == ptaus["p4"].read_bytes()


def test_cli_refuses_a_wrong_magic_with_one_unwrapped_sentence(
    ptaus: dict[str, Path], deep: Path, tmp_path: Path
) -> None:
    bad = corrupt(ptaus["p4"], deep / "powersOfTau28_hez_final_14.ptau", "magic")
    r = zkredit("ceremony", "import-ptau", bad, "--power", "14", keys=tmp_path / "keys")
    assert_one_line_error(
        r, f'Error: {bad}: not a powers-of-tau file: it does not start with the magic bytes "ptau"'
    )


def test_cli_refuses_a_power_mismatch(ptaus: dict[str, Path], deep: Path, tmp_path: Path) -> None:
    src = deep / "p5.ptau"
    src.write_bytes(ptaus["p5"].read_bytes())
    r = zkredit("ceremony", "import-ptau", src, "--power", "14", keys=tmp_path / "keys")
    assert_one_line_error(r, f"Error: {src}: the header says power 5, but --power 14 was given")


def test_cli_refuses_a_power_too_small(ptaus: dict[str, Path], tmp_path: Path) -> None:
    r = zkredit("ceremony", "import-ptau", ptaus["p4"], "--power", "4", keys=tmp_path / "keys")
    assert_one_line_error(r, "the largest circuit needs power 14")


def test_cli_refuses_a_hash_mismatch(ptaus: dict[str, Path], deep: Path, tmp_path: Path) -> None:
    src = deep / "p4.ptau"
    src.write_bytes(ptaus["p4"].read_bytes())
    keys = tmp_path / "keys"
    r = zkredit("ceremony", "import-ptau", src, "--power", "4", keys=keys, digest="ab" * 64)
    assert_one_line_error(
        r, f"Error: {src}: blake2b-512 {blake2b_file(src)} does not match the published hash "
        f"{'ab' * 64} for power 4"
    )
    assert not (keys / PHASE1_RECORD).exists()


def test_cli_help_teaches_where_the_files_come_from(tmp_path: Path) -> None:
    r = zkredit("ceremony", "import-ptau", "--help", keys=tmp_path)
    assert r.returncode == 0
    for words in ("powersOfTau28_hez_final_14.ptau", "--power", "--verify", "blake2b-512"):
        assert words in r.stdout


def test_ptau_errors_are_artifact_errors() -> None:
    from zkredit.errors import ArtifactError

    assert issubclass(PtauError, ArtifactError)


def info(keys: CircuitCatalog) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", "circuits", "info", "income"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "80", "ZK_ZKEY_PATH": str(keys.keys_dir),
             "ZK_CIRCUITS_MANIFEST": str(keys.circuits_dir / "circuits.json")},
    )


def test_circuits_info_states_the_committed_phase1_is_local() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "zkredit.cli.main", "circuits", "info", "income"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "phase 1:" in ln)
    assert "local pot14_final.ptau (2^14)" in line and "made by one party" in line
    assert "whoever made it can forge proofs" in line


def test_circuits_info_shows_an_imported_phase1_and_a_pending_import(
    tmp_keys: CircuitCatalog,
) -> None:
    imported_record(tmp_keys.keys_dir, 14)  # installed, the ceremony not yet re-run
    r = info(tmp_keys)
    assert r.returncode == 0, r.stderr
    assert "phase 1: local pot14_final.ptau" in r.stdout
    assert (
        "phase 1 for the next ceremony: imported powersOfTau28_hez_final_14.ptau (blake2b-512 "
        f"{PUBLISHED_PTAU_BLAKE2B[14]})" in r.stdout
    )
    manifest = json.loads(tmp_keys.manifest_path().read_text())
    manifest["ptau"].update(
        provenance="imported",
        source="powersOfTau28_hez_final_14.ptau",
        blake2b_512=PUBLISHED_PTAU_BLAKE2B[14],
        sha256=sha256_file(tmp_keys.keys_dir / "pot14_final.ptau"),
    )
    tmp_keys.manifest_path().write_text(json.dumps(manifest))
    r = info(tmp_keys)
    assert (
        "phase 1: imported powersOfTau28_hez_final_14.ptau as pot14_final.ptau (2^14), "
        f"blake2b-512 {PUBLISHED_PTAU_BLAKE2B[14]} (matches the published hash)" in r.stdout
    )
    assert "for the next ceremony" not in r.stdout
