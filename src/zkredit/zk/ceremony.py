"""The trusted-setup ceremony, run with snarkjs.

Phase 1 is a powers-of-tau sized to the largest circuit: either a public one
installed by ``zkredit ceremony import-ptau`` (recorded in ``phase1.json``, see
:mod:`zkredit.zk.phase1`), or one made here (two contributions and a beacon,
then ``prepare phase2``). Phase 2 runs per circuit on its ``--O2``
r1cs: ``groth16 setup``, two independent contributions, and a beacon. Outputs
go to ``circuits/keys/`` with a transcript of contribution hashes and a sha256
manifest. The prepared ptau is kept so anyone can re-check every key with
``snarkjs zkey verify``.

``prepare phase2`` at 2^14 takes minutes on a 2-core machine, which is why the
outputs are committed and CI never re-runs this.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkredit.errors import PtauHashMismatch, PtauPowerError, ZKError
from zkredit.zk.manifest import MANIFEST_NAME, SINGLE_PARTY_DEV, CircuitCatalog, sha256_file
from zkredit.zk.phase1 import IMPORTED, LOCAL, PHASE1_RECORD, Phase1Record
from zkredit.zk.toolchain import NodeTools

Progress = Callable[[str], None]

PHASE2_CONTRIBUTIONS = 2
BEACON_ITERATIONS = 10
TOOL_VERSIONS = {"circom2": "0.2.23", "snarkjs": "0.7.6", "circomlib": "2.0.5"}


def ptau_name(power: int) -> str:
    return f"pot{power}_final.ptau"


def required_power(catalog: CircuitCatalog) -> int:
    """Smallest power of two whose domain fits every circuit's constraints and inputs."""
    need = max(spec.constraints + spec.n_public + 1 for spec in catalog)
    power = 1
    while (1 << power) < need:
        power += 1
    return max(power, 8)


def phase1_input(catalog: CircuitCatalog) -> tuple[Path, Phase1Record | None]:
    """The ptau the next ceremony run builds phase 2 on, and its import record if any.

    An imported phase 1 (``phase1.json``) wins; otherwise ``pot<need>_final.ptau``.
    """
    need = required_power(catalog)
    record = Phase1Record.load(catalog.keys_dir)
    if record is None:
        return catalog.keys_dir / ptau_name(need), None
    if record.power < need:
        raise PtauPowerError(
            f"{catalog.keys_dir / PHASE1_RECORD}: the imported phase 1 {record.file} is power "
            f"{record.power}, but the largest circuit now needs power {need}",
            hint=f"Import a power-{need} (or larger) ptau with `zkredit ceremony import-ptau`.",
        )
    return catalog.keys_dir / record.file, record


def keys_ptau(catalog: CircuitCatalog) -> Path:
    """The ptau the committed keys were made on (MANIFEST.json's ``ptau.file``)."""
    try:
        ptau = catalog.read_manifest().get("ptau") or {}
    except (ZKError, ValueError):
        ptau = {}
    return catalog.keys_dir / str(ptau.get("file") or ptau_name(required_power(catalog)))


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HASH_LINE = re.compile(r"^\s*((?:[0-9a-f]{8}\s+){3}[0-9a-f]{8})\s*$")


def contribution_hashes(output: str) -> list[str]:
    """Extract 'Contribution Hash' values (64 bytes, hex) from snarkjs output."""
    hashes: list[str] = []
    lines = _ANSI.sub("", output).splitlines()
    for i, line in enumerate(lines):
        if "Contribution Hash" in line or "Contribution Response Hash" in line:
            groups = [m.group(1) for ln in lines[i + 1 : i + 5] if (m := _HASH_LINE.match(ln))]
            if len(groups) == 4:
                hashes.append("".join(g.replace(" ", "").replace("\t", "") for g in groups))
    return hashes


_CONTRIB_LINE = re.compile(r"contribution #(\d+) (.*):\s*$")
_BEACON_GEN = re.compile(r"Beacon generator: ([0-9a-fA-F]+)")
_BEACON_EXP = re.compile(r"Beacon iterations Exp: (\d+)")


@dataclass
class KeyCheck:
    """What ``snarkjs zkey verify`` reported for one circuit's zkey."""

    circuit: str
    ok: bool
    contributions: list[dict[str, Any]]
    error: str = ""


def parse_zkey_verify(output: str) -> list[dict[str, Any]]:
    """Contributions (number, name, hash, beacon) printed by ``snarkjs zkey verify``, in order."""
    lines = _ANSI.sub("", output).splitlines()
    found: list[dict[str, Any]] = []
    for i, line in enumerate(lines):
        m = _CONTRIB_LINE.search(line)
        if not m:
            continue
        groups = [g.group(1) for ln in lines[i + 1 : i + 5] if (g := _HASH_LINE.match(ln))]
        entry: dict[str, Any] = {
            "number": int(m.group(1)),
            "name": m.group(2).strip(),
            "hash": "".join("".join(g.split()) for g in groups) if len(groups) == 4 else "",
        }
        for ln in lines[i + 5 : i + 8]:
            if "contribution #" in ln:
                break
            if b := _BEACON_GEN.search(ln):
                entry["beacon"] = b.group(1)
            if e := _BEACON_EXP.search(ln):
                entry["beacon_iterations"] = int(e.group(1))
        found.append(entry)
    return sorted(found, key=lambda c: c["number"])


def verify_zkey(tools: NodeTools, name: str, r1cs: Path, ptau: Path, zkey: Path) -> KeyCheck:
    """``snarkjs zkey verify <r1cs> <ptau> <zkey>``: the whole chain of contributions."""
    try:
        out = tools.snarkjs("zkey", "verify", r1cs, ptau, zkey)
    except ZKError as exc:
        return KeyCheck(name, False, [], str(exc))
    ok = "ZKey Ok!" in _ANSI.sub("", out)
    return KeyCheck(name, ok, parse_zkey_verify(out), "" if ok else "snarkjs did not say ZKey Ok")


def verify_keys(tools: NodeTools, catalog: CircuitCatalog) -> list[KeyCheck]:
    """Run ``snarkjs zkey verify <r1cs> <ptau> <zkey>`` on every committed circuit."""
    ptau = keys_ptau(catalog)
    return [verify_zkey(tools, name, catalog.artifact_path(name, "r1cs"), ptau,
                        catalog.artifact_path(name, "zkey")) for name in catalog.names()]


@dataclass(frozen=True)
class Contribution:
    """One phase-2 contribution made by :func:`contribute`: what its contributor publishes."""

    name: str
    hash: str
    """The contribution hash snarkjs printed (64 bytes, hex): it appears in every later
    ``zkredit ceremony verify`` of the chain, so the contributor can find theirs."""
    input_sha256: str
    output_sha256: str

    def record(self) -> dict[str, str]:
        return {"name": self.name, "hash": self.hash, "input_sha256": self.input_sha256,
                "output_sha256": self.output_sha256}


def contribute(tools: NodeTools, source: Path, target: Path, name: str,
               extra_entropy: str = "") -> Contribution:
    """Add one contribution to the phase-2 zkey ``source``, writing ``target``.

    The entropy is :func:`contribution_entropy` (``os.urandom`` plus the optional text),
    given to snarkjs on stdin; it is never on a command line and never stored. ``target``
    is written beside itself first and moved into place only once snarkjs succeeded.
    """
    if not source.is_file():
        raise ZKError(f"no zkey at {source}: pass the file the previous contributor "
                      "published")
    if target.exists():
        raise ZKError(f"{target} already exists: choose a new file for your contribution "
                      "(the previous one stays as it is)")
    if not name.strip() or "\n" in name:
        raise ZKError("give a one-line --name for your contribution (it is public)")
    partial = target.with_name(f"{target.stem}.partial{target.suffix or '.zkey'}")
    partial.unlink(missing_ok=True)
    try:
        out = tools.snarkjs("zkey", "contribute", source, partial, f"--name={name}",
                            input=contribution_entropy(extra_entropy) + "\n")
        hashes = contribution_hashes(out)
        if len(hashes) != 1:
            raise ZKError(f"snarkjs printed {len(hashes)} contribution hashes for {source}; "
                          "expected one")
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return Contribution(name, hashes[0], sha256_file(source), sha256_file(target))


def compile_circuit(tools: NodeTools, catalog: CircuitCatalog, name: str, out_dir: Path) -> None:
    """Compile one circuit with circom ``--O2`` to r1cs, wasm and sym in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tools.circom(
        catalog.source_path(name),
        "--r1cs",
        "--wasm",
        "--sym",
        "--O2",
        "-l",
        tools.circomlib,
        "-o",
        out_dir,
    )


def sources_digest(catalog: CircuitCatalog) -> dict[str, str]:
    return {
        str(p.relative_to(catalog.circuits_dir)): sha256_file(p) for p in catalog.source_files()
    }


def default_beacon(catalog: CircuitCatalog) -> str:
    """A public beacon value: sha256 over every circuit source (nobody controls it alone)."""
    h = hashlib.sha256()
    for rel, digest in sorted(sources_digest(catalog).items()):
        h.update(f"{rel}:{digest}\n".encode())
    return h.hexdigest()


PREDICTABLE_BEACON = "predictable (source hash)"
_BLOCK_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def contribution_entropy(extra: str = "") -> str:
    """Entropy for one contribution: 32 bytes of ``os.urandom`` plus optional user text.

    It goes to snarkjs on stdin (its "Enter a random text" prompt), never on argv,
    where any local user could read it from ``/proc/<pid>/cmdline``.
    """
    text = os.urandom(32).hex()
    extra = " ".join(extra.split())  # one line: the prompt reads up to the first newline
    return f"{text} {extra}" if extra else text


@dataclass(frozen=True)
class Beacon:
    """The value of the final phase-2 contribution and where it came from."""

    value: str
    source: str
    block_number: int | None = None
    block_hash: str | None = None
    iterations: int = BEACON_ITERATIONS

    @classmethod
    def from_block(cls, number: int, block_hash: str) -> Beacon:
        """A public block hash nobody could know before the block was mined."""
        if number < 0:
            raise ZKError(f"beacon block number must be non-negative, got {number}")
        if not _BLOCK_HASH.match(block_hash):
            raise ZKError(
                f"beacon block hash must be 0x followed by 64 hex digits, got {block_hash!r}"
            )
        h = block_hash.lower()
        return cls(value=h[2:], source="block", block_number=number, block_hash=h)

    @classmethod
    def predictable(cls, catalog: CircuitCatalog) -> Beacon:
        return cls(value=default_beacon(catalog), source=PREDICTABLE_BEACON)

    def record(self) -> dict[str, Any]:
        """Fields for transcript.json and MANIFEST.json's phase2 section."""
        return {
            "beacon": self.value,
            "beacon_source": self.source,
            "beacon_block_number": self.block_number,
            "beacon_block_hash": self.block_hash,
            "beacon_iterations": self.iterations,
        }


@dataclass
class Ceremony:
    """Runs phase 1 (optional) and phase 2 for every circuit into ``catalog.keys_dir``."""

    tools: NodeTools
    catalog: CircuitCatalog
    progress: Progress = lambda _msg: None
    fresh_ptau: bool = False
    beacon: Beacon | None = None
    extra_entropy: str = ""

    def steps(self) -> int:
        per_circuit = 3 + PHASE2_CONTRIBUTIONS + 1  # compile, setup, contribs, beacon, export
        phase1 = 5 if self.fresh_ptau or not self._ptau_path().is_file() else 0
        return phase1 + per_circuit * len(self.catalog.names()) + 1

    def _ptau_path(self) -> Path:
        if self.fresh_ptau:
            return self.catalog.keys_dir / ptau_name(required_power(self.catalog))
        return phase1_input(self.catalog)[0]

    def run(self) -> dict[str, Any]:
        keys = self.catalog.keys_dir
        keys.mkdir(parents=True, exist_ok=True)
        transcript: list[dict[str, Any]] = []
        with tempfile.TemporaryDirectory(prefix="zkredit-ceremony-") as tmp:
            work = Path(tmp)
            ptau, record = self._phase1(work, transcript)
            beacon = self.beacon or Beacon.predictable(self.catalog)
            circuits: dict[str, dict[str, str]] = {}
            for name in self.catalog.names():
                circuits[name] = self._phase2(name, work, ptau, beacon, transcript)
        (keys / "transcript.json").write_text(json.dumps(transcript, indent=2) + "\n")
        manifest = {
            "version": 1,
            "setup": "ceremony",
            "tools": TOOL_VERSIONS,
            "ptau": {
                "file": ptau.name,
                "power": record.power if record else required_power(self.catalog),
                "sha256": sha256_file(ptau),
                **(
                    {
                        "provenance": IMPORTED,
                        "source": record.source,
                        "blake2b_512": record.blake2b_512,
                    }
                    if record
                    else {"provenance": LOCAL}
                ),
            },
            "phase2": {"contributions": PHASE2_CONTRIBUTIONS, **beacon.record()},
            "sources": sources_digest(self.catalog),
            "circuits": circuits,
            "transcript_sha256": sha256_file(keys / "transcript.json"),
        }
        (keys / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        self.progress("wrote manifest")
        return manifest

    def _phase1(
        self, work: Path, transcript: list[dict[str, Any]]
    ) -> tuple[Path, Phase1Record | None]:
        final = self._ptau_path()
        record = None if self.fresh_ptau else Phase1Record.load(self.catalog.keys_dir)
        if record is not None:
            if not final.is_file() or sha256_file(final) != record.sha256:
                raise PtauHashMismatch(
                    f"{final}: missing or changed since `zkredit ceremony import-ptau` "
                    f"recorded it in {PHASE1_RECORD}",
                    hint="Import the public ptau again.",
                )
            self.progress(f"phase 1: imported {record.source}")
            transcript.append(
                {
                    "phase": 1,
                    "step": "import",
                    "source": record.source,
                    "power": record.power,
                    "blake2b_512": record.blake2b_512,
                    "published_blake2b_512": record.published_blake2b_512,
                    "snarkjs_verify": record.snarkjs_verify,
                }
            )
            return final, record
        if final.is_file() and not self.fresh_ptau:
            self.progress(f"phase 1: reusing {final.name}")
            previous = self.catalog.keys_dir / "transcript.json"
            if previous.is_file():
                old = json.loads(previous.read_text())
                transcript.extend(e for e in old if e.get("phase") == 1)
            return final, None
        power = required_power(self.catalog)
        sj = self.tools.snarkjs
        p0, p1, p2, pb = (work / f"pot_{i}.ptau" for i in ("0", "1", "2", "beacon"))
        self.progress(f"phase 1: new powers of tau 2^{power}")
        sj("powersoftau", "new", "bn128", str(power), p0)
        for i, (src, dst) in enumerate(((p0, p1), (p1, p2)), start=1):
            self.progress(f"phase 1: contribution {i}")
            out = sj(
                "powersoftau",
                "contribute",
                src,
                dst,
                f"--name=zkredit phase1 #{i}",
                input=contribution_entropy(self.extra_entropy) + "\n",
            )
            transcript.append(
                {"phase": 1, "step": f"contribution {i}", "hashes": contribution_hashes(out)}
            )
        self.progress("phase 1: beacon")
        out = sj(
            "powersoftau",
            "beacon",
            p2,
            pb,
            hashlib.sha256(b"zkredit-phase1").hexdigest(),
            str(BEACON_ITERATIONS),
            "-n=zkredit phase1 beacon",
        )
        transcript.append({"phase": 1, "step": "beacon", "hashes": contribution_hashes(out)})
        self.progress("phase 1: prepare phase 2 (slow)")
        sj("powersoftau", "prepare", "phase2", pb, final)
        (self.catalog.keys_dir / PHASE1_RECORD).unlink(missing_ok=True)  # phase 1 is local now
        return final, None

    def _phase2(
        self, name: str, work: Path, ptau: Path, beacon: Beacon, transcript: list[dict[str, Any]]
    ) -> dict[str, str]:
        sj = self.tools.snarkjs
        self.progress(f"{name}: compile (--O2)")
        build = work / "build"
        compile_circuit(self.tools, self.catalog, name, build)
        shutil.copyfile(build / f"{name}.r1cs", self.catalog.artifact_path(name, "r1cs"))
        shutil.copyfile(
            build / f"{name}_js" / f"{name}.wasm", self.catalog.artifact_path(name, "wasm")
        )
        self.progress(f"{name}: groth16 setup")
        zk = [work / f"{name}_{i:04d}.zkey" for i in range(PHASE2_CONTRIBUTIONS + 1)]
        sj("groth16", "setup", self.catalog.artifact_path(name, "r1cs"), ptau, zk[0])
        for i in range(1, PHASE2_CONTRIBUTIONS + 1):
            self.progress(f"{name}: contribution {i}")
            out = sj(
                "zkey",
                "contribute",
                zk[i - 1],
                zk[i],
                f"--name=zkredit {name} #{i}",
                input=contribution_entropy(self.extra_entropy) + "\n",
            )
            transcript.append(
                {
                    "phase": 2,
                    "circuit": name,
                    "step": f"contribution {i}",
                    "hashes": contribution_hashes(out),
                }
            )
        self.progress(f"{name}: beacon")
        final = self.catalog.artifact_path(name, "zkey")
        out = sj(
            "zkey",
            "beacon",
            zk[-1],
            final,
            beacon.value,
            str(beacon.iterations),
            f"-n=zkredit {name} beacon",
        )
        transcript.append(
            {
                "phase": 2,
                "circuit": name,
                "step": "beacon",
                **beacon.record(),
                "hashes": contribution_hashes(out),
            }
        )
        self.progress(f"{name}: export verification key")
        vkey = self.catalog.artifact_path(name, "vkey")
        sj("zkey", "export", "verificationkey", final, vkey)
        return {
            kind: sha256_file(self.catalog.artifact_path(name, kind))
            for kind in ("r1cs", "wasm", "zkey", "vkey")
        }


def dev_setup(
    catalog: CircuitCatalog,
    out_dir: Path,
    circomlib: Path,
    progress: Progress = lambda _msg: None,
) -> dict[str, Any]:
    """Single-party keys from ``groth16py.setup_circom``, for development only.

    The toxic waste of a single-party setup is known to whoever ran it, so these
    keys can prove false statements. The manifest records ``single-party-dev``;
    the prover marks every proof made with them and refuses to load them outside
    the development environment.
    """
    import groth16py

    out_dir.mkdir(parents=True, exist_ok=True)
    circuits: dict[str, dict[str, str]] = {}
    dev = CircuitCatalog(catalog.circuits_dir, out_dir, catalog.specs)
    for name in catalog.names():
        progress(f"{name}: single-party setup (development only)")
        try:
            pk, vk = groth16py.setup_circom(str(catalog.source_path(name)), [str(circomlib)])
        except BaseException as exc:  # groth16py panics derive from BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise ZKError(f"{name}: single-party setup failed: {exc}") from None
        pk.save(str(dev.artifact_path(name, "pk")))
        dev.artifact_path(name, "vkey").write_text(vk.to_json())
        shutil.copyfile(catalog.artifact_path(name, "wasm"), dev.artifact_path(name, "wasm"))
        circuits[name] = {
            kind: sha256_file(dev.artifact_path(name, kind)) for kind in ("wasm", "pk", "vkey")
        }
    manifest = {
        "version": 1,
        "setup": SINGLE_PARTY_DEV,
        "warning": "single-party setup: the toxic waste is known; never use in production",
        "sources": sources_digest(catalog),
        "circuits": circuits,
    }
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    shutil.copyfile(catalog.circuits_dir / "circuits.json", out_dir / "circuits.json")
    return manifest
