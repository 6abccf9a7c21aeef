"""A process pool of warm provers, for proving an application's statements at once.

groth16py holds the GIL while proving, so threads do not help; each worker
process imports the ceremony keys and compiles the witness calculators once
(in the pool initializer) and then proves many statements. Proofs come back
already verified by the worker; the parent re-checks them with its own
verifier only if asked to.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from zkredit.telemetry import tracing
from zkredit.telemetry import zk as zk_telemetry
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.proof import Proof
from zkredit.zk.prover import Groth16pyBackend

_backend: Groth16pyBackend | None = None


def _init_worker(manifest: str, keys_dir: str) -> None:
    global _backend
    _backend = Groth16pyBackend(CircuitCatalog.load(Path(manifest), Path(keys_dir)))
    _backend.warm()


def _ping() -> bool:
    return _backend is not None


def _prove(circuit: str, inputs: Mapping[str, Any]) -> tuple[str, float]:
    """The proof, and how long this process took to make it (queueing excluded)."""
    assert _backend is not None, "pool worker was not initialised"
    started = time.perf_counter()
    proof = _backend.prove(circuit, inputs).to_json()
    return proof, time.perf_counter() - started


class ProverPool:
    """``workers`` processes, each with every circuit's keys loaded."""

    def __init__(self, catalog: CircuitCatalog, workers: int = 2) -> None:
        self.catalog = catalog
        self.workers = max(1, workers)
        ctx = mp.get_context("spawn")  # fork would copy wasmtime state
        self._executor = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=ctx,
            initializer=_init_worker,
            initargs=(str(catalog.circuits_dir / "circuits.json"), str(catalog.keys_dir)),
        )

    def warm(self) -> None:
        """Block until every worker has loaded its keys."""
        futures = [self._executor.submit(_ping) for _ in range(self.workers * 2)]
        for f in futures:
            f.result()

    def submit(self, circuit: str, inputs: Mapping[str, Any]) -> Future[tuple[str, float]]:
        """Prove in a worker; the future gives the proof's JSON and its proving time."""
        return self._executor.submit(_prove, circuit, dict(inputs))

    def result(self, circuit: str, future: Future[tuple[str, float]]) -> Proof:
        """The proof ``future`` gives; its proving time goes to this process's metrics."""
        text, seconds = future.result()
        zk_telemetry.generated(circuit, seconds)
        return Proof.from_json(text)

    def prove_many(self, jobs: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Proof]:
        """Prove every ``(circuit, inputs)``; results in the same order."""
        # Submit the largest circuits first so the slowest proof starts earliest.
        order = sorted(range(len(jobs)), key=lambda i: -self.catalog.get(jobs[i][0]).constraints)
        futures = {i: self.submit(*jobs[i]) for i in order}
        return [self.result(jobs[i][0], futures[i]) for i in range(len(jobs))]

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProverPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PooledProver:
    """A :class:`~zkredit.zk.prover.ProverBackend` that proves in the warm process pool.

    Many threads (job handlers) may call :meth:`prove` at once; the pool runs as
    many proofs in parallel as it has processes. Verification stays in-process.
    """

    name = "groth16py-pool"

    def __init__(self, pool: ProverPool, verifier: Groth16pyBackend) -> None:
        self.pool = pool
        self.catalog = pool.catalog
        self._verifier = verifier

    def prove(self, circuit: str, inputs: Mapping[str, Any]) -> Proof:
        from zkredit.zk.prover import check_input_names

        check_input_names(self.catalog.get(circuit), inputs)
        with tracing.span("zk.prove", {"zkredit.circuit": circuit, "zkredit.prover": self.name}):
            return self.pool.result(circuit, self.pool.submit(circuit, inputs))

    def verify(self, proof: Proof) -> bool:
        return self._verifier.verify(proof)
