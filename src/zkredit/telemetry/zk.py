"""Timing proofs: ``zk_proof_generation_duration_seconds`` and the verification metrics.

The prover backends call these. Generation is recorded once per returned proof
(witness, proving and the prover's own check of its proof); verification is
recorded for proofs received from someone else only, so the prover's self-check
does not count, and a proof that fails is counted as a ``tampered_proof`` attack.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from zkredit.telemetry import metrics, state, tracing


@contextmanager
def proving(circuit: str) -> Iterator[None]:
    """Time the block as the generation of one ``circuit`` proof (if it succeeds)."""
    if not state.enabled():
        yield
        return
    started = time.perf_counter()
    with tracing.span("zk.prove", {"zkredit.circuit": circuit}):
        yield
    metrics.current().proof_generated(circuit, time.perf_counter() - started)


def generated(circuit: str, seconds: float) -> None:
    """Record a proof generated elsewhere (a prover pool process) in ``seconds``."""
    metrics.current().proof_generated(circuit, seconds)


def verifying(proof_type: str, check: Callable[[], bool]) -> bool:
    """Run ``check`` (a verification of a received ``proof_type`` proof) and record it."""
    if not state.enabled():
        return check()
    started = time.perf_counter()
    with tracing.span("zk.verify", {"zkredit.circuit": proof_type}) as span:
        ok = check()
        tracing.set_attributes(span, {"zkredit.proof.valid": ok})
    metrics.current().proof_verified(proof_type, time.perf_counter() - started, ok)
    return ok
