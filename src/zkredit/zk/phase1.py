"""Phase 1 of the trusted setup from a public powers-of-tau ceremony.

``zkredit ceremony import-ptau`` takes a published, prepared ptau (for example
the Hermez/Polygon perpetual powers of tau, ``powersOfTau28_hez_final_NN.ptau``,
54 contributions and a beacon), checks it before use and installs it as
``keys_dir/pot<N>_final.ptau`` with a provenance record ``phase1.json``. The next
``zkredit ceremony run`` then builds phase 2 on it instead of making its own
phase 1. Whoever knows phase 1's tau can forge any proof (review F-3), so a phase
1 that many independent parties contributed to is the point of this module.

The checks, each with its own error:

- the file is a snarkjs ptau: magic ``ptau``, version 1, a section table that
  fits the file, a bn128 header, and every section the size its power implies
  (the binary layout of snarkjs ``powersoftau_new.js``/``preparephase2.js`` and
  ``@iden3/binfileutils``, read here, not run);
- it is prepared for phase 2 (Lagrange sections 12-15);
- its power is the one the operator named and is enough for the largest circuit;
- its blake2b-512 equals the published hash for that power
  (:data:`PUBLISHED_PTAU_BLAKE2B`);
- optionally (``--verify``, slow) ``snarkjs powersoftau verify`` passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import struct
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from zkredit.errors import (
    PtauFormatError,
    PtauHashMismatch,
    PtauInstalledError,
    PtauNotPreparedError,
    PtauPowerError,
    PtauUnpublishedError,
    PtauVerifyError,
    ZKError,
)
from zkredit.zk.manifest import sha256_file

PHASE1_RECORD = "phase1.json"
LOCAL = "local"
IMPORTED = "imported"

# The blake2b-512 of each prepared Hermez perpetual powers-of-tau file (54
# contributions and a beacon), by power, copied from the table "Prepared (phase2)
# Ptau files for bn128 with 54 contributions and a beacon" in snarkjs 0.7.6's
# README.md (node_modules/snarkjs/README.md). Files:
# https://storage.googleapis.com/zkevm/ptau/powersOfTau28_hez_final_NN.ptau
# (power 28 is powersOfTau28_hez_final.ptau).
PUBLISHED_PTAU_SOURCE = "snarkjs 0.7.6 README.md, Hermez perpetual powers of tau (54 contributions)"
PUBLISHED_PTAU_BLAKE2B: Mapping[int, str] = {
    8: "d6a8fb3a04feb600096c3b791f936a578c4e664d262e4aa24beed1b7a9a96aa5"
    "eb72864d628db247e9293384b74b36ffb52ca8d148d6e1b8b51e279fdf57b583",
    9: "94f108a80e81b5d932d8e8c9e8fd7f46cf32457e31462deeeef37af1b71c2c1b"
    "3c71fb0d9b59c654ec266b042735f50311f9fd1d4cadce47ab234ad163157cb5",
    10: "6cfeb8cda92453099d20120bdd0e8a5c4e7706c2da9a8f09ccc157ed2464d921"
    "fd0437fb70db42104769efd7d6f3c1f964bcf448c455eab6f6c7d863e88a5849",
    11: "47c282116b892e5ac92ca238578006e31a47e7c7e70f0baa8b687f0a5203e28e"
    "a07bbbec765a98dcd654bad618475d4661bfaec3bd9ad2ed12e7abc251d94d33",
    12: "ded2694169b7b08e898f736d5de95af87c3f1a64594013351b1a796dbee393bd"
    "825f88f9468c84505ddd11eb0b1465ac9b43b9064aa8ec97f2b73e04758b8a4a",
    13: "58efc8bf2834d04768a3d7ffcd8e1e23d461561729beaac4e3e7a47829a1c906"
    "6d5320241e124a1a8e8aa6c75be0ba66f65bc8239a0542ed38e11276f6fdb4d9",
    14: "eeefbcf7c3803b523c94112023c7ff89558f9b8e0cf5d6cdcba3ade60f168af4"
    "a181c9c21774b94fbae6c90411995f7d854d02ebd93fb66043dbb06f17a831c1",
    15: "982372c867d229c236091f767e703253249a9b432c1710b4f326306bfa2428a1"
    "7b06240359606cfe4d580b10a5a1f63fbed499527069c18ae17060472969ae6e",
    16: "6a6277a2f74e1073601b4f9fed6e1e55226917efb0f0db8a07d98ab01df1ccf4"
    "3eb0e8c3159432acd4960e2f29fe84a4198501fa54c8dad9e43297453efec125",
    17: "6247a3433948b35fbfae414fa5a9355bfb45f56efa7ab4929e669264a0258976"
    "741dfbe3288bfb49828e5df02c2e633df38d2245e30162ae7e3bcca5b8b49345",
    18: "7e6a9c2e5f05179ddfc923f38f917c9e6831d16922a902b0b4758b8e79c2ab8a"
    "81bb5f29952e16ee6c5067ed044d7857b5de120a90704c1d3b637fd94b95b13e",
    19: "bca9d8b04242f175189872c42ceaa21e2951e0f0f272a0cc54fc37193ff66486"
    "00eaf1c555c70cdedfaf9fb74927de7aa1d33dc1e2a7f1a50619484989da0887",
    20: "89a66eb5590a1c94e3f1ee0e72acf49b1669e050bb5f93c73b066b564dca4e0c"
    "7556a52b323178269d64af325d8fdddb33da3a27c34409b821de82aa2bf1a27b",
    21: "9aef0573cef4ded9c4a75f148709056bf989f80dad96876aadeb6f1c6d062391"
    "f07a394a9e756d16f7eb233198d5b69407cca44594c763ab4a5b67ae73254678",
    22: "0d64f63dba1a6f11139df765cb690da69d9b2f469a1ddd0de5e4aa628abb28f7"
    "87f04c6a5fb84a235ec5ea7f41d0548746653ecab0559add658a83502d1cb21b",
    23: "3063a0bd81d68711197c8820a92466d51aeac93e915f5136d74f63c394ee6d88"
    "c5e8016231ea6580bec02e25d491f319d92e77f5c7f46a9caa8f3b53c0ea544f",
    24: "fa404d140d5819d39984833ca5ec3632cd4995f81e82db402371a4de7c2eae86"
    "87c62bc632a95b0c6aadba3fb02680a94e09174b7233ccd26d78baca2647c733",
    25: "0377d860cdb09a8a31ea1b0b8c04335614c8206357181573bf294c25d5ca7dff"
    "72387224fbd868897e6769f7805b3dab02854aec6d69d7492883b5e4e5f35eeb",
    26: "418dee4a74b9592198bd8fd02ad1aea76f9cf3085f206dfd7d594c9e264ae919"
    "611b1459a1cc920c2f143417744ba9edd7b8d51e44be9452344a225ff7eead19",
    27: "10ffd99837c512ef99752436a54b9810d1ac8878d368fb4b806267bdd664b4ab"
    "f276c9cd3c4b9039a1fa4315a0c326c0e8e9e8fe0eb588ffd4f9021bf7eae1a1",
    28: "55c77ce8562366c91e7cda394cf7b7c15a06c12d8c905e8b36ba9cf5e13eb37d"
    "1a429c589e8eaba4c591bc4b88a0e2828745a53e170eac300236f5c1a326f41a",
}

# bn128 (BN254) base field modulus: the only curve the verifier contracts support.
BN128_Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
N8 = 32  # bytes per base-field element
G1 = 2 * N8  # an affine G1 point as snarkjs stores it in a ptau
G2 = 4 * N8
MAX_POWER = 28
PREPARED = (12, 13, 14, 15)
_CHUNK = 1 << 20


def expected_section_sizes(power: int) -> dict[int, int]:
    """Byte size of each fixed-size section of a prepared ptau of ``power``.

    From snarkjs ``powersoftau_new.js`` (sections 2-6) and
    ``powersoftau_preparephase2.js``/``powersoftau_truncate.js`` (12-15).
    Section 7 (the contributions) has no fixed size.
    """
    n = 1 << power
    return {
        2: (2 * n - 1) * G1,  # tauG1
        3: n * G2,  # tauG2
        4: n * G1,  # alphaTauG1
        5: n * G1,  # betaTauG1
        6: G2,  # betaG2
        12: (4 * n - 1) * G1,  # Lagrange tauG1
        13: (2 * n - 1) * G2,  # Lagrange tauG2
        14: (2 * n - 1) * G1,  # Lagrange alphaTauG1
        15: (2 * n - 1) * G1,  # Lagrange betaTauG1
    }


@dataclass(frozen=True)
class PtauHeader:
    """What the header of a snarkjs ptau says."""

    version: int
    power: int
    ceremony_power: int
    sections: dict[int, int]  # section type -> byte length
    prepared: bool


def read_ptau_header(path: Path) -> PtauHeader:
    """Parse and check the container and header of a ptau file (no curve arithmetic).

    Raises :class:`PtauFormatError` naming ``path`` and what is wrong, or
    :class:`PtauNotPreparedError` for a well-formed ptau without sections 12-15.
    """
    if not path.is_file():
        raise PtauFormatError(f"{path}: no such file")
    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 4 or head[:4] != b"ptau":
            raise PtauFormatError(
                f'{path}: not a powers-of-tau file: it does not start with the magic bytes "ptau" '
                f"(found {head[:4]!r})"
            )
        if len(head) < 12:
            raise PtauFormatError(f"{path}: truncated: {size} bytes, too short for a ptau header")
        version, n_sections = struct.unpack("<II", head[4:12])
        if version != 1:
            raise PtauFormatError(
                f"{path}: ptau format version {version} is not supported (snarkjs writes version 1)"
            )
        sections: dict[int, tuple[int, int]] = {}
        pos = 12
        for _ in range(n_sections):
            f.seek(pos)
            raw = f.read(12)
            if len(raw) < 12:
                raise PtauFormatError(
                    f"{path}: truncated: the section table names {n_sections} sections but the "
                    f"file ends at byte {size}"
                )
            kind, length = struct.unpack("<IQ", raw)
            start = pos + 12
            if start + length > size:
                raise PtauFormatError(
                    f"{path}: truncated: section {kind} needs {length} bytes from byte {start} "
                    f"but the file has {size} bytes (an interrupted download?)"
                )
            if kind in sections:
                raise PtauFormatError(f"{path}: section {kind} appears twice")
            sections[kind] = (start, length)
            pos = start + length
        if pos != size:
            raise PtauFormatError(f"{path}: {size - pos} bytes follow the last section")
        if 1 not in sections:
            raise PtauFormatError(f"{path}: no header section (type 1)")
        start, length = sections[1]
        f.seek(start)
        header = f.read(length)
    if length != 4 + N8 + 8:
        raise PtauFormatError(
            f"{path}: the header section is {length} bytes; a bn128 ptau header is {4 + N8 + 8}"
        )
    (n8,) = struct.unpack("<I", header[:4])
    q = int.from_bytes(header[4 : 4 + N8], "little")
    if n8 != N8 or q != BN128_Q:
        raise PtauFormatError(
            f"{path}: the curve is not bn128 (field size {n8} bytes, q={q}); the verifiers "
            "support bn128 only"
        )
    power, ceremony_power = struct.unpack("<II", header[4 + N8 :])
    if not 1 <= power <= MAX_POWER or ceremony_power < power:
        raise PtauFormatError(
            f"{path}: the header's power {power} (ceremony power {ceremony_power}) is not "
            f"between 1 and {MAX_POWER}"
        )
    lengths = {kind: length for kind, (_, length) in sections.items()}
    missing = [k for k in (2, 3, 4, 5, 6, 7) if k not in lengths]
    if missing:
        raise PtauFormatError(
            f"{path}: sections {', '.join(map(str, missing))} of a powers of tau are missing"
        )
    present = [k for k in PREPARED if k in lengths]
    if not present:
        raise PtauNotPreparedError(
            f"{path}: the powers of tau is not prepared for phase 2 (no Lagrange sections 12-15)",
            hint="Import the published *_final_NN.ptau, or run `snarkjs powersoftau prepare "
            "phase2` on this file first.",
        )
    if len(present) != len(PREPARED):
        raise PtauFormatError(
            f"{path}: only Lagrange sections {', '.join(map(str, present))} of 12-15 are present"
        )
    for kind, want in expected_section_sizes(power).items():
        if lengths[kind] != want:
            raise PtauFormatError(
                f"{path}: section {kind} is {lengths[kind]} bytes; a power-{power} ptau has {want}"
            )
    return PtauHeader(version, power, ceremony_power, lengths, prepared=True)


def blake2b_file(path: Path) -> str:
    """The blake2b-512 of a file, hex: what snarkjs's README publishes for each ptau."""
    h = hashlib.blake2b(digest_size=64)
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class SnarkjsRunner(Protocol):
    def snarkjs(
        self, *args: str | Path, cwd: Path | None = None, input: str | None = None
    ) -> str: ...


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_SNARKJS_PREFIX = re.compile(r"^\s*\[(ERROR|WARN|INFO)\]\s*snarkJS:\s*")


@dataclass(frozen=True)
class Phase1Record:
    """``phase1.json``: where the ceremony's phase-1 ptau came from and what was checked."""

    provenance: str  # "imported" or "local"
    file: str
    power: int
    ceremony_power: int
    source: str
    blake2b_512: str
    sha256: str
    published_blake2b_512: str | None
    published_source: str | None
    hash_verified: bool
    snarkjs_verify: str  # "ok" or "not run"
    imported_at: str
    version: int = 1

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def load(cls, keys_dir: Path) -> Phase1Record | None:
        """The record in ``keys_dir``, or ``None`` when phase 1 was made locally."""
        path = keys_dir / PHASE1_RECORD
        if not path.is_file():
            return None
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise PtauFormatError(f"{path}: not a valid phase-1 record: {exc}") from None


def published_hash(power: int, published: Mapping[int, str]) -> str:
    try:
        return published[power]
    except KeyError:
        known = f"{min(published)}-{max(published)}" if published else "none"
        raise PtauUnpublishedError(
            f"no published blake2b-512 is known for a power-{power} ptau (known powers: {known}); "
            "only a published phase 1 can be imported"
        ) from None


def phase1_provenance(ptau: dict[str, Any]) -> dict[str, Any]:
    """Provenance of a manifest's ``ptau`` section: imported (and hash-checked) or local."""
    imported = ptau.get("provenance") == IMPORTED
    digest = ptau.get("blake2b_512")
    verified = (
        imported
        and digest is not None
        and PUBLISHED_PTAU_BLAKE2B.get(int(ptau.get("power", 0))) == digest
    )
    return {
        "provenance": IMPORTED if imported else LOCAL,
        "source": ptau.get("source") or ("made locally" if not imported else "unknown"),
        "blake2b_512": digest,
        "hash_verified": verified,
    }


Progress = Callable[[str], None]


def import_ptau(
    source: Path,
    power: int,
    keys_dir: Path,
    *,
    need: int,
    published: Mapping[int, str] = PUBLISHED_PTAU_BLAKE2B,
    published_source: str = PUBLISHED_PTAU_SOURCE,
    tools: SnarkjsRunner | None = None,
    replace: bool = False,
    progress: Progress = lambda _msg: None,
) -> Phase1Record:
    """Check ``source`` and install it as ``keys_dir/pot<power>_final.ptau`` + ``phase1.json``.

    ``need`` is the smallest power that fits every circuit. With ``tools`` the
    file is also checked with ``snarkjs powersoftau verify`` (minutes at 2^14).
    The copy is hashed as it is written and moved into place only once every
    check has passed, so a failed import leaves ``keys_dir`` as it was.
    """
    progress("checking the ptau header")
    header = read_ptau_header(source)
    if header.power != power:
        raise PtauPowerError(
            f"{source}: the header says power {header.power}, but --power {power} was given",
            hint=f"Pass --power {header.power} if that is the file you meant to import.",
        )
    if power < need:
        raise PtauPowerError(
            f"{source}: a power-{power} ptau holds 2^{power} = {1 << power:,} constraints; "
            f"the largest circuit needs power {need}",
        )
    expected = published_hash(power, published)
    keys_dir.mkdir(parents=True, exist_ok=True)
    final = keys_dir / f"pot{power}_final.ptau"
    tmp = keys_dir / f".{final.name}.importing"
    progress("copying and hashing (blake2b-512)")
    h = hashlib.blake2b(digest_size=64)
    try:
        with source.open("rb") as src, tmp.open("wb") as dst:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                dst.write(chunk)
        digest = h.hexdigest()
        if digest != expected:
            raise PtauHashMismatch(
                f"{source}: blake2b-512 {digest} does not match the published hash {expected} "
                f"for power {power} ({published_source})",
                hint="The file is corrupt, truncated or not the published one: download it again.",
            )
        verified = "not run"
        if tools is not None:
            progress("snarkjs powersoftau verify (slow)")
            try:
                out = _ANSI.sub("", tools.snarkjs("powersoftau", "verify", tmp))
            except ZKError as exc:
                lines = [ln for ln in _ANSI.sub("", exc.message).splitlines() if ln.strip()]
                why = _SNARKJS_PREFIX.sub("", lines[-1]).strip() if lines else "no output"
                raise PtauVerifyError(
                    f"{source}: snarkjs powersoftau verify failed: {why}"
                ) from None
            if "Powers of Tau Ok!" not in out:
                raise PtauVerifyError(
                    f"{source}: snarkjs powersoftau verify did not report 'Powers of Tau Ok!'"
                )
            verified = "ok"
        if final.is_file() and not replace and sha256_file(final) != sha256_file(tmp):
            raise PtauInstalledError(
                f"{final}: a different phase-1 ptau is already installed; the current keys were "
                "made on it",
                hint="Pass --replace to install the new one, then run `zkredit ceremony run` "
                "to rebuild the keys on it (until then the keys do not match the manifest).",
            )
        record = Phase1Record(
            provenance=IMPORTED,
            file=final.name,
            power=power,
            ceremony_power=header.ceremony_power,
            source=source.name,
            blake2b_512=digest,
            sha256=sha256_file(tmp),
            published_blake2b_512=expected,
            published_source=published_source,
            hash_verified=True,
            snarkjs_verify=verified,
            imported_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    (keys_dir / PHASE1_RECORD).write_text(record.to_json())
    progress(f"installed {final.name}")
    return record
