"""The ceremony's command lines carry no entropy; the beacon is recorded (no snarkjs needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from zkredit.errors import ZKError
from zkredit.settings import load_settings
from zkredit.zk.ceremony import PREDICTABLE_BEACON, Beacon, Ceremony, ptau_name, required_power
from zkredit.zk.manifest import CircuitCatalog

BLOCK_HASH = "0x" + "ab" * 32


class RecordingTools:
    """Stands in for NodeTools: records argv and stdin, writes each output file."""

    circomlib = Path("/nonexistent/circomlib")

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], str | None]] = []

    def circom(self, *args: str | Path, cwd: Path | None = None) -> str:
        argv = [str(a) for a in args]
        self.calls.append((argv, None))
        out = Path(argv[argv.index("-o") + 1])
        name = Path(argv[0]).stem
        (out / f"{name}_js").mkdir(parents=True, exist_ok=True)
        (out / f"{name}.r1cs").write_bytes(b"r1cs")
        (out / f"{name}_js" / f"{name}.wasm").write_bytes(b"wasm")
        return ""

    def snarkjs(self, *args: str | Path, cwd: Path | None = None, input: str | None = None) -> str:
        argv = [str(a) for a in args]
        self.calls.append((argv, input))
        outputs = {
            ("groth16", "setup"): 4,
            ("zkey", "contribute"): 3,
            ("zkey", "beacon"): 3,
            ("zkey", "export"): 4,
        }
        idx = outputs.get((argv[0], argv[1]))
        if idx is not None:
            Path(argv[idx]).write_text(" ".join(argv))
        return ""


@pytest.fixture
def tmp_catalog(tmp_path: Path) -> CircuitCatalog:
    settings = load_settings()
    real = CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)
    cat = CircuitCatalog(real.circuits_dir, tmp_path / "keys", real.specs)
    cat.keys_dir.mkdir()
    (cat.keys_dir / ptau_name(required_power(cat))).write_bytes(b"ptau")  # reuse phase 1
    return cat


def test_no_entropy_on_argv_and_it_reaches_stdin(tmp_catalog: CircuitCatalog) -> None:
    tools = RecordingTools()
    Ceremony(tools, tmp_catalog, extra_entropy="dice 4 6 1\nand more").run()  # type: ignore[arg-type]
    contribs = [(a, i) for a, i in tools.calls if a[1] == "contribute"]
    assert len(contribs) == 2 * len(tmp_catalog.names())
    seen: set[str] = set()
    for argv, stdin in contribs:
        assert stdin is not None and stdin.endswith("\n") and stdin.count("\n") == 1
        secret = stdin.strip()
        assert "dice 4 6 1 and more" in secret and len(secret.split()[0]) == 64
        assert not any(a.startswith("-e") or a.startswith("--entropy") for a in argv)
        assert all(tok not in " ".join(argv) for tok in secret.split()[:1])
        seen.add(secret)
    assert len(seen) == len(contribs)  # fresh os.urandom each time
    for argv, stdin in tools.calls:
        if argv[1] != "contribute":
            assert stdin is None


def test_block_beacon_is_recorded(tmp_catalog: CircuitCatalog) -> None:
    tools = RecordingTools()
    beacon = Beacon.from_block(19_000_000, BLOCK_HASH)
    manifest = Ceremony(tools, tmp_catalog, beacon=beacon).run()  # type: ignore[arg-type]
    phase2: dict[str, Any] = manifest["phase2"]
    assert phase2["beacon"] == "ab" * 32
    assert phase2["beacon_block_number"] == 19_000_000
    assert phase2["beacon_block_hash"] == BLOCK_HASH
    assert phase2["beacon_iterations"] == 10 and phase2["beacon_source"] == "block"
    beacons = [a for a, _ in tools.calls if a[:2] == ["zkey", "beacon"]]
    assert beacons and all(a[4] == "ab" * 32 for a in beacons)
    transcript = json.loads((tmp_catalog.keys_dir / "transcript.json").read_text())
    steps = [e for e in transcript if e.get("step") == "beacon" and e["phase"] == 2]
    assert steps and all(e["beacon_block_number"] == 19_000_000 for e in steps)


def test_default_beacon_is_labelled_predictable(tmp_catalog: CircuitCatalog) -> None:
    manifest = Ceremony(RecordingTools(), tmp_catalog).run()  # type: ignore[arg-type]
    assert manifest["phase2"]["beacon_source"] == PREDICTABLE_BEACON
    assert manifest["phase2"]["beacon_block_hash"] is None


@pytest.mark.parametrize(
    ("number", "block_hash"),
    [(-1, BLOCK_HASH), (1, "ab" * 32), (1, "0x" + "ab" * 31), (1, "0x" + "zz" * 32)],
)
def test_bad_beacon_block_is_refused(number: int, block_hash: str) -> None:
    with pytest.raises(ZKError, match="beacon block"):
        Beacon.from_block(number, block_hash)


ZKEY_VERIFY_OUTPUT = """\
[INFO]  snarkJS: -------------------------
[INFO]  snarkJS: contribution #3 zkredit collateral beacon:
\t\t33c17893 ef47fbf2 d9c21d2c a2e19990
\t\tbabe8e79 2b5a0ff9 f0a72108 7e2e5138
\t\te430819f a1fa3220 f6fee62d a16900e3
\t\t4c2863d9 7097ef2c 6d9ffd94 8ba96196
[INFO]  snarkJS: Beacon generator: a29d9e2a435dfd430ae7c1896cc7f0d780b9ddbe74ded40add1360e3bc80e590
[INFO]  snarkJS: Beacon iterations Exp: 10
[INFO]  snarkJS: -------------------------
[INFO]  snarkJS: contribution #2 zkredit collateral #2:
\t\t5fdfe40e 66e4125e be0cc888 cc412e90
\t\t645f7902 e843010b 8aa56869 d590ccf9
\t\t4ebd2ef0 9befb5ae 6e151840 f04c1b81
\t\t532114ce 64394350 1eb3444e 9b30bc22
[INFO]  snarkJS: -------------------------
[INFO]  snarkJS: contribution #1 zkredit collateral #1:
\t\t7adb6128 7ea6fea7 bb3cfea8 958aa7d2
\t\t440d31bb 958aa5f6 44ca2dd9 c2a54df5
\t\t47858ff4 8c7a3a16 016cfd97 21075d89
\t\t966ed147 36bbe35d 60c0565a 738db4dd
[INFO]  snarkJS: -------------------------
[INFO]  snarkJS: ZKey Ok!
"""


def test_zkey_verify_output_is_parsed() -> None:
    from zkredit.zk.ceremony import parse_zkey_verify

    found = parse_zkey_verify(ZKEY_VERIFY_OUTPUT)
    assert [c["name"] for c in found] == [
        "zkredit collateral #1",
        "zkredit collateral #2",
        "zkredit collateral beacon",
    ]
    assert all(len(c["hash"]) == 128 for c in found)
    assert found[0]["hash"].startswith("7adb61287ea6fea7")
    assert found[2]["beacon"].startswith("a29d9e2a") and found[2]["beacon_iterations"] == 10
    assert "beacon" not in found[0]


def test_ceremony_verify_fails_with_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from zkredit.cli import ceremony as cli
    from zkredit.zk.toolchain import NodeTools

    class Broken:
        def snarkjs(self, *args: str | Path, **_: Any) -> str:
            raise ZKError("`zkey verify` failed:\n[ERROR] snarkJS: Invalid contribution")

    monkeypatch.setattr(NodeTools, "find", classmethod(lambda cls, *a, **k: Broken()))
    result = CliRunner().invoke(cli.app, ["verify"])
    assert result.exit_code != 0
    assert "do not verify" in result.output
