"""ZK benchmark: ZKredit's prover against snarkjs in the same run.

Absolute times on shared machines are noisy, so the figure that matters is the
ratio of ZKredit's p50 to snarkjs's p50 measured minutes apart on one machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from zkredit.bootstrap import ZKServices
from zkredit.domain.policy import CreditPolicy
from zkredit.errors import ZKError
from zkredit.scenarios import SAMUEL, example_context, statements
from zkredit.settings import load_settings, project_root
from zkredit.zk.pool import ProverPool
from zkredit.zk.prover import Groth16pyBackend
from zkredit.zk.toolchain import NodeTools


def _p50(xs: list[float]) -> float:
    return float(statistics.median(xs))


def run_zk_bench(iterations: int, workers: int, *, progress: bool = False) -> dict[str, Any]:
    zk = ZKServices.build(load_settings())
    catalog = zk.catalog
    backend = zk.prover()
    if not isinstance(backend, Groth16pyBackend):
        backend = Groth16pyBackend(catalog)
    stmts = statements(SAMUEL, CreditPolicy.default_for(SAMUEL.currency), example_context())
    tools = NodeTools.find()
    say = print if progress else (lambda *_a: None)
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="zkredit-bench-") as tmp:
        cfg: dict[str, Any] = {"iterations": iterations, "circuits": []}
        for name in catalog.names():
            inp = Path(tmp) / f"{name}.json"
            inp.write_text(json.dumps({k: _s(v) for k, v in stmts[name].inputs.items()}))
            cfg["circuits"].append(
                {
                    "name": name,
                    "input": str(inp),
                    "wasm": str(catalog.artifact_path(name, "wasm")),
                    "zkey": str(catalog.artifact_path(name, "zkey")),
                    "vkey": str(catalog.artifact_path(name, "vkey")),
                }
            )
        say("timing zkredit (wasmtime witness + groth16py) ...")
        ours: dict[str, tuple[list[float], list[float]]] = {}
        for name in catalog.names():
            backend.warm([name])
            proof = backend.prove(name, stmts[name].inputs)  # warm-up
            prove_t, verify_t = [], []
            for _ in range(iterations):
                t = time.perf_counter()
                proof = backend.prove(name, stmts[name].inputs)
                prove_t.append(time.perf_counter() - t)
                t = time.perf_counter()
                ok = backend.verify(proof)
                verify_t.append(time.perf_counter() - t)
                if not ok:
                    raise ZKError(f"benchmark proof for {name} did not verify")
            ours[name] = (prove_t, verify_t)
        say("timing snarkjs fullProve (warm node process) ...")
        cfg_path = Path(tmp) / "config.json"
        cfg_path.write_text(json.dumps(cfg))
        proc = subprocess.run(
            [tools.node, str(project_root() / "bench" / "snarkjs_bench.mjs"), str(cfg_path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=1800,
        )
        if proc.returncode != 0:
            raise ZKError(f"snarkjs benchmark failed: {proc.stderr.strip()[-400:]}")
        theirs = {
            c["name"]: c for c in json.loads(proc.stdout.strip().splitlines()[-1])["circuits"]
        }
    for name in catalog.names():
        prove_t, verify_t = ours[name]
        ref = theirs[name]
        mine = {"prove_p50_s": _p50(prove_t), "verify_p50_s": _p50(verify_t)}
        other = {"prove_p50_s": _p50(ref["prove_s"]), "verify_p50_s": _p50(ref["verify_s"])}
        results.append(
            {
                "name": name,
                "constraints": catalog.get(name).constraints,
                "groth16py": mine,
                "snarkjs": other,
                "prove_ratio": mine["prove_p50_s"] / other["prove_p50_s"],
                "verify_ratio": mine["verify_p50_s"] / other["verify_p50_s"],
            }
        )
    say(f"timing the 4-proof bundle with {workers} processes ...")
    jobs = [(name, s.inputs) for name, s in stmts.items()]
    with ProverPool(catalog, workers) as pool:
        pool.warm()
        pool.prove_many(jobs)  # warm-up
        walls = []
        for _ in range(max(3, iterations // 2)):
            t = time.perf_counter()
            pool.prove_many(jobs)
            walls.append(time.perf_counter() - t)
    return {
        "iterations": iterations,
        "circuits": results,
        "bundle_wall_s": _p50(walls),
        "bundle_workers": workers,
    }


def _s(v: Any) -> Any:
    return [_s(x) for x in v] if isinstance(v, (list, tuple)) else str(v)
