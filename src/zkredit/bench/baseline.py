"""Quote latency of another commit (the code before telemetry), measured beside today's.

``zkredit bench e2e --telemetry-cost --baseline-ref REF`` builds a throwaway
``git worktree`` of REF. Each round starts three fresh systems at once, each in its own
process: REF's code, today's with ``ENABLE_TELEMETRY=false`` and today's with it on.
Only ``PYTHONPATH`` (whose code is imported) and ``ENABLE_TELEMETRY`` differ. This
process then times the quote endpoint of the three *interleaved*, one request to each in
turn (the order rotating every request), so a burst of load on this shared machine hits
all three alike instead of whichever system happened to be running then; timing them one
after another let the load swing one round's ratio by ±30 %. The systems' driver uses only
what existed before telemetry: ``LiveSystem`` as a context manager and
``system.ports['remittance']``; it logs in only where the version has access control.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from zkredit.errors import ZKreditError

REPO_ROOT = Path(__file__).resolve().parents[3]
TODAY_SRC = REPO_ROOT / "src"
KINDS = ("baseline", "off", "on")
"""One fresh system of each kind per round, in this order."""
PORT_RETRIES = 3
PORT_TAKEN = "address already in use"


class BaselineError(ZKreditError):
    """Raised when the baseline worktree cannot be built or its system did not answer."""


QUOTE = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
         "receive_amount_minor": 1_500_000}
READY_TIMEOUT_S = 300
WARMUP = 20
"""Untimed quotes to each system before timing (connections, caches, first-call paths)."""


def time_quote(http: httpx.Client) -> float:
    """One quote's round trip, in seconds (an error answer stops the benchmark)."""
    t = time.perf_counter()
    r = http.post("/quotes", json=QUOTE)
    took = time.perf_counter() - t
    if r.status_code >= 400:
        raise BaselineError(f"quote endpoint answered {r.status_code}: {r.text}")
    return took


_DRIVER = """
import json, sys
from pathlib import Path
from zkredit.demo.system import LiveSystem

data_dir, ready = Path(sys.argv[1]), Path(sys.argv[2])
with LiveSystem(data_dir, capture_bodies=False) as system:
    base = f"http://127.0.0.1:{system.ports['remittance']}"
    try:  # access control came after telemetry; a version without it takes no login
        from zkredit.bench.http import bench_login
    except ImportError:
        headers = {}
    else:
        headers = bench_login(base)
    import zkredit
    tmp = ready.with_suffix(".tmp")
    tmp.write_text(json.dumps({"base": base, "headers": headers, "zkredit": zkredit.__file__}))
    tmp.replace(ready)
    sys.stdin.read()  # serve until the benchmark closes our stdin
"""


def driver_source() -> str:
    """The ``python -c`` program each kind runs: start a system, say where, serve."""
    return _DRIVER


@dataclass(frozen=True)
class Worktree:
    path: Path
    commit: str

    @property
    def src(self) -> Path:
        return self.path / "src"


def _git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True,
                          text=True, check=False)
    if done.returncode:
        raise BaselineError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


@contextmanager
def worktree(ref: str, parent: Path) -> Iterator[Worktree]:
    """A detached worktree of ``ref`` under ``parent``, removed afterwards."""
    try:
        commit = _git("rev-parse", "--verify", f"{ref}^{{commit}}")
        path = parent / commit[:12]
        _git("worktree", "add", "--detach", str(path), commit)
    except BaselineError as exc:
        raise BaselineError(exc.message, hint=f"Is {ref!r} a commit of {REPO_ROOT}? "
                            "git log -- src/zkredit/telemetry names the first "
                            "telemetry commit; its parent is the baseline.") from None
    try:
        yield Worktree(path, commit)
    finally:
        _git("worktree", "remove", "--force", str(path))


@dataclass
class Running:
    """One kind's system, started by the driver in its own process."""

    kind: str
    src: Path
    proc: subprocess.Popen[str]
    ready: Path
    log: Path
    http: httpx.Client | None = None

    def stop(self) -> None:
        if self.http is not None:
            self.http.close()
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def failure(self, why: str) -> BaselineError:
        tail = self.log.read_text(errors="replace").strip()[-2000:] if self.log.exists() else ""
        return BaselineError(f"the {self.kind} system {why}: {tail}")


def start_kind(kind: str, src: Path, data_dir: Path) -> Running:
    """Start one fresh system of ``kind`` from the code under ``src`` (not yet ready)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONPATH=str(src), ENABLE_TELEMETRY="true" if kind == "on"
               else "false")
    ready, log = data_dir / "ready.json", data_dir / "driver.log"
    with log.open("w") as err:
        proc = subprocess.Popen([sys.executable, "-c", driver_source(), str(data_dir / "home"),
                                 str(ready)], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=err, text=True)
    return Running(kind, src, proc, ready, log)


def wait_ready(run: Running, timeout_s: float = READY_TIMEOUT_S) -> None:
    """Wait for ``run``'s system to answer, and check whose code it imported."""
    deadline = time.monotonic() + timeout_s
    while not run.ready.exists():
        if run.proc.poll() is not None:
            raise run.failure(f"exited ({run.proc.returncode}) before it was ready")
        if time.monotonic() > deadline:
            raise run.failure(f"was not ready after {timeout_s:.0f} s")
        time.sleep(0.1)
    info = json.loads(run.ready.read_text())
    imported = Path(info["zkredit"]).resolve()
    if not imported.is_relative_to(run.src.resolve()):
        raise BaselineError(f"the {run.kind} system imported zkredit from {imported}, "
                            f"not {run.src}")
    run.http = httpx.Client(base_url=info["base"], timeout=30, headers=info["headers"])


def start_round(sources: dict[str, Path], parent: Path) -> dict[str, Running]:
    """The three kinds' systems of one round, started together and ready; a start that
    lost its free port to another process (``address already in use``) is retried."""
    runs: dict[str, Running] = {}
    try:
        for kind, src in sources.items():
            runs[kind] = start_kind(kind, src, parent / kind)
        for kind in list(runs):
            for attempt in range(1, PORT_RETRIES + 1):
                try:
                    wait_ready(runs[kind])
                    break
                except BaselineError:
                    run = runs[kind]
                    run.stop()
                    taken = PORT_TAKEN in run.log.read_text(errors="replace")
                    if not taken or attempt == PORT_RETRIES:
                        raise
                    runs[kind] = start_kind(kind, run.src, parent / f"{kind}-{attempt}")
    except BaseException:
        for run in runs.values():
            run.stop()
        raise
    return runs


def turn(kinds: list[str], j: int) -> list[str]:
    """Request ``j``'s order: the kinds rotated by ``j``, so none is always timed first."""
    k = j % len(kinds)
    return kinds[k:] + kinds[:k]


def time_interleaved(runs: dict[str, Running], requests: int) -> dict[str, list[float]]:
    """``requests`` timed quotes to each system, one to each in turn, the order rotating
    every request (after WARMUP untimed ones each)."""
    kinds = list(runs)
    clients = {k: runs[k].http for k in kinds}
    assert all(c is not None for c in clients.values())
    for _ in range(WARMUP):
        for k in kinds:
            time_quote(clients[k])  # type: ignore[arg-type]
    out: dict[str, list[float]] = {k: [] for k in kinds}
    for j in range(requests):
        for k in turn(kinds, j):
            out[k].append(time_quote(clients[k]))  # type: ignore[arg-type]
    return out


def _p(xs: list[float], q: float) -> float:
    ordered = sorted(xs)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def _summary(xs: list[float]) -> dict[str, float]:
    return {"p50_ms": round(_p(xs, 0.5) * 1000, 3), "p99_ms": round(_p(xs, 0.99) * 1000, 3)}


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def summarize(ref: str, commit: str, samples: dict[str, list[list[float]]]
              ) -> dict[str, Any]:
    """Ratios of p50s over all rounds pooled, plus each round's own ratios.

    Only ratios are meant to be compared with the issue's bounds (1.05 off, 1.15 on);
    the times beside them are context, and depend on the machine and its load.
    """
    pooled = {k: [x for run in runs for x in run] for k, runs in samples.items()}
    p50 = {k: _p(xs, 0.5) for k, xs in pooled.items()}
    per_round: list[dict[str, float | None]] = []
    for i in range(len(samples["baseline"])):
        r50 = {k: _p(samples[k][i], 0.5) for k in KINDS}
        row: dict[str, float | None] = {f"{k}_p50_ms": round(v * 1000, 3)
                                        for k, v in r50.items()}
        row["off_vs_baseline_p50"] = _ratio(r50["off"], r50["baseline"])
        row["on_vs_baseline_p50"] = _ratio(r50["on"], r50["baseline"])
        per_round.append(row)
    return {
        "baseline_ref": ref, "baseline_commit": commit, "rounds": len(per_round),
        "requests_per_round": len(samples["baseline"][0]) if per_round else 0,
        "order": "each round starts one fresh system per kind, in its own process, and "
                 "times their quotes interleaved (one to each in turn, the order "
                 "rotating every request)",
        "quote_baseline": _summary(pooled["baseline"]),
        "quote_telemetry_off": _summary(pooled["off"]),
        "quote_telemetry_on": _summary(pooled["on"]),
        "off_vs_baseline_p50": _ratio(p50["off"], p50["baseline"]),
        "on_vs_baseline_p50": _ratio(p50["on"], p50["baseline"]),
        "on_vs_off_p50": _ratio(p50["on"], p50["off"]),
        "per_round": per_round,
    }


def measure_against_baseline(ref: str, requests: int, rounds: int, *,
                             current_ref: str | None = None) -> dict[str, Any]:
    """Rounds of (REF, telemetry off, telemetry on): three fresh systems per round, each in
    its own process, their quotes timed interleaved.

    Today's side is the code this module was imported from, or with ``current_ref`` a
    second throwaway worktree of that commit (when the working tree holds unfinished
    changes that should not be measured).
    """
    with tempfile.TemporaryDirectory(prefix="zkredit-baseline-") as tmp:
        parent = Path(tmp)
        with ExitStack() as stack:
            tree = stack.enter_context(worktree(ref, parent / "baseline"))
            today = (stack.enter_context(worktree(current_ref, parent / "current"))
                     if current_ref else None)
            now = today.src if today else TODAY_SRC
            sources = {"baseline": tree.src, "off": now, "on": now}
            samples: dict[str, list[list[float]]] = {k: [] for k in KINDS}
            for i in range(rounds):
                runs = start_round(sources, parent / f"round-{i}")
                try:
                    timed = time_interleaved(runs, requests)
                finally:
                    for run in runs.values():
                        run.stop()
                for kind in KINDS:
                    samples[kind].append(timed[kind])
            report = summarize(ref, tree.commit, samples)
            report["current"] = ({"ref": current_ref, "commit": today.commit} if today
                                 else {"ref": None, "src": str(TODAY_SRC)})
            return report
