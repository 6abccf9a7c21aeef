#!/usr/bin/env python3
"""Reproduce ADR 0015's numbers: the cost of revocation in the circuit and at the issuer.

    .venv/bin/python scripts/measure_revocation.py [-n ITERATIONS] [--json]

1. Compiles every circuit in circuits/experiments/ (and circuits/src/credit_history.circom
   as the baseline) with circom2 --O2, as `zkredit ceremony run` does, and reads the
   constraint count from the r1cs header.
2. For the timed circuits, runs `snarkjs groth16 setup` on the committed
   circuits/keys/pot14_final.ptau (or, for a circuit above 2^14, on a throwaway local
   2^15 ptau made once in build/revocation/; development keys, never for production),
   then proves valid inputs with the product's fast path (zkredit.zk.prover.
   Groth16pyBackend: wasmtime witness + groth16py prove_wtns + verify-after-prove, the
   figure `zkredit bench zk` reports) and with snarkjs groth16.fullProve in one warm
   Node process (bench/snarkjs_bench.mjs, the same harness), minutes apart.
3. Times what the short-lived alternative costs an issuer: re-signing 1000 credentials
   (zkredit.zk.credentials.issue: Poseidon of the fields + EdDSA-Poseidon).

Everything generated goes to build/revocation/ (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from zkredit.scenarios import example_inputs
from zkredit.settings import project_root
from zkredit.zk.credentials import Credential, CredentialType, identity_commitment, issue
from zkredit.zk.eddsa import IssuerKey
from zkredit.zk.manifest import CircuitCatalog, CircuitSpec
from zkredit.zk.poseidon import poseidon
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.toolchain import NodeTools

ROOT = project_root()
OUT = ROOT / "build" / "revocation"
EXPERIMENTS = ROOT / "circuits" / "experiments"

# name -> (source relative to circuits/, timed?)
CIRCUITS: dict[str, tuple[str, bool]] = {
    "credit_history": ("src/credit_history.circom", True),
    "credit_history_base": ("experiments/credit_history_base.circom", False),
    "expiry_check": ("experiments/expiry_check.circom", False),
    "expiry_maxage_check": ("experiments/expiry_maxage_check.circom", False),
    "credit_history_expiring": ("experiments/credit_history_expiring.circom", True),
    "revocation_smt32": ("experiments/revocation_smt32.circom", True),
    "revocation_smt40": ("experiments/revocation_smt40.circom", True),
    "credit_history_revocable32": ("experiments/credit_history_revocable32.circom", True),
    "credit_history_revocable40": ("experiments/credit_history_revocable40.circom", True),
}

CREDIT_PUBLIC = (
    "minScore",
    "maxLate",
    "maxDebtRatioBps",
    "minHistoryMonths",
    "issuerAx",
    "issuerAy",
)
CREDIT_PRIVATE = (
    "identitySecret",
    "score",
    "historyMonths",
    "defaults",
    "latePayments",
    "debtRatioBps",
    "sigR8x",
    "sigR8y",
    "sigS",
)
SMT_PRIVATE = ("siblings", "oldKey", "oldValue", "isOld0")

# Public signals in snarkjs order: outputs, then public inputs in declaration order.
PUBLIC: dict[str, tuple[str, ...]] = {
    "credit_history": ("nullifier", "tier", *CREDIT_PUBLIC, "scope", "wallet"),
    "credit_history_expiring": (
        "nullifier",
        "tier",
        *CREDIT_PUBLIC,
        "today",
        "maxAgeDays",
        "scope",
        "wallet",
    ),
    "revocation_smt32": ("revRoot",),
    "revocation_smt40": ("revRoot",),
    "credit_history_revocable32": (
        "nullifier",
        "tier",
        *CREDIT_PUBLIC,
        "revRoot",
        "scope",
        "wallet",
    ),
    "credit_history_revocable40": (
        "nullifier",
        "tier",
        *CREDIT_PUBLIC,
        "revRoot",
        "scope",
        "wallet",
    ),
}
PRIVATE: dict[str, tuple[str, ...]] = {
    "credit_history": CREDIT_PRIVATE,
    "credit_history_expiring": (*CREDIT_PRIVATE, "issuedAt", "expiresAt"),
    "revocation_smt32": ("revNonce", *SMT_PRIVATE),
    "revocation_smt40": ("revNonce", *SMT_PRIVATE),
    "credit_history_revocable32": (*CREDIT_PRIVATE, "revNonce", *SMT_PRIVATE),
    "credit_history_revocable40": (*CREDIT_PRIVATE, "revNonce", *SMT_PRIVATE),
}


# -- r1cs ------------------------------------------------------------------------------


def r1cs_header(path: Path) -> dict[str, int]:
    """Constraint and signal counts from an r1cs file's header section (iden3 r1cs v1)."""
    data = path.read_bytes()
    if data[:4] != b"r1cs":
        raise ValueError(f"{path} is not an r1cs file")
    (n_sections,) = struct.unpack_from("<I", data, 8)
    pos = 12
    for _ in range(n_sections):
        kind, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if kind == 1:
            (n8,) = struct.unpack_from("<I", data, pos)
            p = pos + 4 + n8
            wires, outs, pub_in, prv_in = struct.unpack_from("<IIII", data, p)
            (constraints,) = struct.unpack_from("<I", data, p + 16 + 8)
            return {
                "constraints": constraints,
                "wires": wires,
                "public_outputs": outs,
                "public_inputs": pub_in,
                "private_inputs": prv_in,
            }
        pos += size
    raise ValueError(f"{path}: no header section")


def domain_power(h: dict[str, int]) -> int:
    """Smallest p with 2^p >= constraints + public + 1 (what snarkjs groth16 setup needs)."""
    need = h["constraints"] + h["public_outputs"] + h["public_inputs"] + 1
    p = 1
    while (1 << p) < need:
        p += 1
    return p


# -- sparse Merkle tree (circomlib smt semantics, Poseidon) -----------------------------


class SparseMerkleTree:
    """circomlib's SMT: leaf = H(key, value, 1), node = H(l, r), empty = 0, path = key bits
    from the least significant, a lone key stored at the highest free node."""

    def __init__(self, levels: int, entries: dict[int, int]):
        self.levels = levels
        self.entries = dict(entries)
        self.root = self._root(sorted(self.entries), 0)

    def _root(self, keys: list[int], depth: int) -> int:
        if not keys:
            return 0
        if len(keys) == 1:
            k = keys[0]
            return int(poseidon([k, self.entries[k], 1]))
        if depth >= self.levels:
            raise ValueError("two keys share every path bit at this depth")
        left = [k for k in keys if not (k >> depth) & 1]
        right = [k for k in keys if (k >> depth) & 1]
        return int(poseidon([self._root(left, depth + 1), self._root(right, depth + 1)]))

    def exclusion(self, key: int) -> dict[str, Any]:
        """The SMTVerifier (fnc = 1) inputs proving ``key`` is not in the tree."""
        keys = sorted(self.entries)
        siblings: list[int] = []
        depth = 0
        while len(keys) > 1:
            bit = (key >> depth) & 1
            same = [k for k in keys if ((k >> depth) & 1) == bit]
            other = [k for k in keys if ((k >> depth) & 1) != bit]
            siblings.append(self._root(other, depth + 1))
            keys = same
            depth += 1
        if keys and keys[0] == key:
            raise ValueError("key is in the tree")
        old_key, is_old0 = (keys[0], 0) if keys else (0, 1)
        return {
            "siblings": [str(s) for s in siblings + [0] * (self.levels - len(siblings))],
            "oldKey": str(old_key),
            "oldValue": str(self.entries.get(old_key, 0) if keys else 0),
            "isOld0": str(is_old0),
        }


# -- inputs ----------------------------------------------------------------------------

REVOKED = 1000  # revoked nonces in the measured tree
TODAY = 20_795  # a day index (days since 1970-01-01)


def _credit_fields(base: dict[str, str], extra: list[int]) -> list[int]:
    subject = int(identity_commitment(int(base["identitySecret"])))
    return [
        int(CredentialType.CREDIT_HISTORY),
        subject,
        *(
            int(base[k])
            for k in ("score", "historyMonths", "defaults", "latePayments", "debtRatioBps")
        ),
        *extra,
    ]


def _signed(base: dict[str, str], extra: list[int], key: IssuerKey) -> dict[str, str]:
    sig = key.sign(int(poseidon(_credit_fields(base, extra))))
    out = dict(base)
    out.update(
        issuerAx=str(key.public.x),
        issuerAy=str(key.public.y),
        sigR8x=str(sig.R8.x),
        sigR8y=str(sig.R8.y),
        sigS=str(sig.S),
    )
    return out


def build_inputs() -> dict[str, dict[str, Any]]:
    rng = secrets.SystemRandom()
    key = IssuerKey.generate()
    base = {k: str(v) for k, v in example_inputs()["credit_history"].items()}
    inputs: dict[str, dict[str, Any]] = {"credit_history": base}
    issued, expires = TODAY - 3, TODAY + 27
    inp = _signed(base, [issued, expires], key)
    inp.update(issuedAt=str(issued), expiresAt=str(expires), today=str(TODAY), maxAgeDays="30")
    inputs["credit_history_expiring"] = inp
    for levels in (32, 40):
        revoked = {rng.getrandbits(64): 0 for _ in range(REVOKED)}  # iden3: 64-bit nonces
        tree = SparseMerkleTree(levels, revoked)
        nonce = rng.getrandbits(64)
        while nonce in revoked:
            nonce = rng.getrandbits(64)
        proof = tree.exclusion(nonce)
        inputs[f"revocation_smt{levels}"] = {
            "revNonce": str(nonce),
            "revRoot": str(tree.root),
            **proof,
        }
        inp = _signed(base, [nonce], key)
        inp.update(revNonce=str(nonce), revRoot=str(tree.root), **proof)
        inputs[f"credit_history_revocable{levels}"] = inp
    return inputs


# -- setup and timing ------------------------------------------------------------------


def throwaway_ptau(tools: NodeTools, power: int) -> Path:
    final = OUT / f"pot{power}_final.ptau"
    if final.is_file():
        return final
    p0, p1 = OUT / f"pot{power}_0.ptau", OUT / f"pot{power}_1.ptau"
    print(f"  making a throwaway 2^{power} ptau in {OUT} (minutes; development only)")
    tools.snarkjs("powersoftau", "new", "bn128", str(power), p0)
    tools.snarkjs(
        "powersoftau", "contribute", p0, p1, "--name=throwaway", input=secrets.token_hex(32) + "\n"
    )
    partial = final.with_suffix(".partial")
    tools.snarkjs("powersoftau", "prepare", "phase2", p1, partial)
    partial.replace(final)
    p0.unlink()
    p1.unlink()
    return final


def p50(xs: list[float]) -> float:
    return float(statistics.median(xs))


def sign_bench(n: int = 1000) -> dict[str, float]:
    """Re-issuing n credit credentials: Credential.build + Poseidon + EdDSA-Poseidon."""
    key = IssuerKey.generate()
    base = example_inputs()["credit_history"]
    subject = int(identity_commitment(int(base["identitySecret"])))
    attrs = {
        "score": 745,
        "historyMonths": 48,
        "defaults": 0,
        "latePayments": 1,
        "debtRatioBps": 2500,
    }
    issue(Credential.build(CredentialType.CREDIT_HISTORY, subject, attrs), key)  # warm-up
    t = time.perf_counter()
    for _ in range(n):
        issue(Credential.build(CredentialType.CREDIT_HISTORY, subject, attrs), key)
    total = time.perf_counter() - t
    return {"credentials": n, "total_s": total, "per_credential_ms": total / n * 1000}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--iterations", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ap.add_argument("--no-prove", action="store_true", help="constraint counts only")
    args = ap.parse_args()
    tools = NodeTools.find()
    keys = OUT / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"circuits": {}, "iterations": args.iterations}

    print("compiling (circom2 --O2) ...")
    for name, (src, _) in CIRCUITS.items():
        tools.circom(
            ROOT / "circuits" / src,
            "--r1cs",
            "--wasm",
            "--O2",
            "-l",
            tools.circomlib,
            "-o",
            OUT,
        )
        stem = Path(src).stem
        (keys / f"{name}.r1cs").write_bytes((OUT / f"{stem}.r1cs").read_bytes())
        (keys / f"{name}.wasm").write_bytes((OUT / f"{stem}_js" / f"{stem}.wasm").read_bytes())
        h = r1cs_header(keys / f"{name}.r1cs")
        h["domain_power"] = domain_power(h)
        report["circuits"][name] = h
        print(f"  {name:28s} {h['constraints']:6d} constraints  (2^{h['domain_power']})")

    if not args.no_prove:
        timed = [n for n, (_, t) in CIRCUITS.items() if t]
        print("setup (snarkjs groth16 setup, no phase-2 contribution: timing only) ...")
        for name in timed:
            power = report["circuits"][name]["domain_power"]
            ptau = (
                ROOT / "circuits" / "keys" / "pot14_final.ptau"
                if power <= 14
                else throwaway_ptau(tools, power)
            )
            report["circuits"][name]["ptau"] = str(ptau.relative_to(ROOT))
            zkey = keys / f"{name}.zkey"
            tools.snarkjs("groth16", "setup", keys / f"{name}.r1cs", ptau, zkey)
            tools.snarkjs("zkey", "export", "verificationkey", zkey, keys / f"{name}.vkey.json")
        (keys / "MANIFEST.json").write_text(json.dumps({"setup": "ceremony"}))
        specs = {
            name: CircuitSpec(
                name=name,
                template=name,
                source=CIRCUITS[name][0],
                public=PUBLIC[name],
                private=PRIVATE[name],
                constraints=report["circuits"][name]["constraints"],
                credential_type=2,
            )
            for name in timed
        }
        catalog = CircuitCatalog(ROOT / "circuits", keys, specs)
        inputs = build_inputs()
        backend = Groth16pyBackend(catalog)
        print("timing zkredit (wasmtime witness + groth16py prove_wtns + verify) ...")
        for name in timed:
            backend.warm([name])
            backend.prove(name, inputs[name])  # warm-up
            ts = []
            for _ in range(args.iterations):
                t = time.perf_counter()
                backend.prove(name, inputs[name])
                ts.append(time.perf_counter() - t)
            report["circuits"][name]["groth16py_prove_s"] = ts
            print(f"  {name:28s} p50 {p50(ts):.3f} s")
        print("timing snarkjs groth16.fullProve (warm node process) ...")
        cfg: dict[str, Any] = {"iterations": args.iterations, "circuits": []}
        for name in timed:
            (keys / f"{name}.input.json").write_text(json.dumps(inputs[name]))
            cfg["circuits"].append(
                {
                    "name": name,
                    "input": str(keys / f"{name}.input.json"),
                    "wasm": str(keys / f"{name}.wasm"),
                    "zkey": str(keys / f"{name}.zkey"),
                    "vkey": str(keys / f"{name}.vkey.json"),
                }
            )
        (OUT / "snarkjs_config.json").write_text(json.dumps(cfg))
        proc = subprocess.run(
            [
                tools.node,
                str(ROOT / "bench" / "snarkjs_bench.mjs"),
                str(OUT / "snarkjs_config.json"),
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=3600,
        )
        for c in json.loads(proc.stdout.strip().splitlines()[-1])["circuits"]:
            report["circuits"][c["name"]]["snarkjs_prove_s"] = c["prove_s"]
            print(f"  {c['name']:28s} p50 {p50(c['prove_s']):.3f} s")

    print("timing 1000 credential re-issues (Poseidon + EdDSA-Poseidon, Python) ...")
    report["reissue"] = sign_bench()
    print(
        f"  {report['reissue']['total_s']:.2f} s, "
        f"{report['reissue']['per_credential_ms']:.2f} ms per credential"
    )

    c = report["circuits"]
    base = c["credit_history"]["constraints"]
    print("\n| circuit | constraints | over credit_history | 2^p | groth16py p50 | snarkjs p50 |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, h in c.items():
        marg = h["constraints"] - base if name.startswith("credit_history_") else None
        g = h.get("groth16py_prove_s")
        s = h.get("snarkjs_prove_s")
        print(
            f"| {name} | {h['constraints']:,} | {'' if marg is None else f'{marg:+,}'} "
            f"| {h['domain_power']} | {f'{p50(g):.3f} s' if g else ''} "
            f"| {f'{p50(s):.3f} s' if s else ''} |"
        )
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
