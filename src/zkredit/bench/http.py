"""HTTP benchmark: req/s, p50, p99 and errors of the gateway's and the agents' endpoints.

Absolute throughput on a shared machine says little, so every endpoint is also reported
as a ratio to a reference loaded just before it in the same run: ``/health/live`` (which
does no work) of the same server, the gateway's or the remittance agent's.

``wrk`` generates the load when it is on PATH (POST bodies through a Lua script);
otherwise :mod:`zkredit.bench.loadgen`, in its own process. Both hold ``connections``
keep-alive connections in a closed loop for ``duration_s`` per endpoint.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from zkredit.bench.loadgen import LoadResult
from zkredit.errors import InputError, ToolMissingError, ZKreditError

QUOTE_BODY = {"send_currency": "SGD", "receive_currency": "PHP", "route": "bank_transfer",
              "receive_amount_minor": 1_500_000}
"""A remittance quote like scenario 1's: the agent prices it and stores it."""

TOOLS = ("auto", "wrk", "builtin")
WRK_TIMEOUT = "10s"


@dataclass(frozen=True)
class Target:
    """One endpoint to load."""

    key: str
    label: str
    method: str
    url: str
    body: dict[str, Any] | None = None
    reference: str | None = None
    """The key of the trivial endpoint on the same server, loaded just before this one."""
    headers: dict[str, str] | None = None

    def body_bytes(self) -> bytes | None:
        return None if self.body is None else json.dumps(self.body).encode()


def targets(gateway: str, remittance: str,
            auth: dict[str, str] | None = None) -> list[Target]:
    """Each server's reference (``/health/live``), then the endpoints measured against it
    (``auth``: the Authorization header of a user allowed to ask for quotes)."""
    return [
        Target("gateway_live", "gateway GET /health/live (reference)", "GET",
               f"{gateway}/health/live"),
        Target("gateway_health", "gateway GET /api/health", "GET", f"{gateway}/api/health",
               reference="gateway_live"),
        Target("agent_live", "remittance GET /health/live (reference)", "GET",
               f"{remittance}/health/live"),
        Target("agent_health", "remittance GET /health", "GET", f"{remittance}/health",
               reference="agent_live"),
        Target("quote", "remittance POST /quotes", "POST", f"{remittance}/quotes", QUOTE_BODY,
               reference="agent_live", headers=auth),
    ]


# -- load generators -----------------------------------------------------------------------

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def parse_wrk(output: str) -> LoadResult:
    """The figures of ``wrk --latency`` output."""
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m|h)", output)
    if total is None:
        raise ZKreditError(f"could not read wrk's output:\n{output}")
    pct = {q: _ms(v, u) for q, v, u in re.findall(
        r"^\s*(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", output, re.MULTILINE)}
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                        output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = (sum(int(n) for n in sockets.groups()) if sockets else 0) + (
        int(non_2xx.group(1)) if non_2xx else 0)
    return LoadResult(requests=int(total.group(1)), errors=errors,
                      duration_s=_ms(total.group(2), total.group(3)) / 1000,
                      p50_ms=pct.get("50", 0.0), p99_ms=pct.get("99", 0.0))


def _lua_post(body: bytes) -> str:
    text = body.decode()
    if "]==]" in text:
        raise InputError("the request body cannot be quoted for wrk's Lua script")
    return ('wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = [==[{text}]==]\n")


def _lua_headers(headers: dict[str, str]) -> str:
    return "".join(f'wrk.headers["{k}"] = [==[{v}]==]\n' for k, v in headers.items())


def run_wrk(target: Target, connections: int, duration_s: int, wrk: str) -> LoadResult:
    threads = max(1, min(connections, os.cpu_count() or 1))
    args = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency",
            "--timeout", WRK_TIMEOUT]
    with tempfile.TemporaryDirectory(prefix="zkredit-wrk-") as tmp:
        body = target.body_bytes()
        if body is not None or target.headers:
            script = Path(tmp) / "post.lua"
            script.write_text((_lua_post(body) if body is not None else "")
                              + _lua_headers(target.headers or {}))
            args += ["-s", str(script)]
        done = subprocess.run([*args, target.url], capture_output=True, text=True,
                              timeout=duration_s + 60, check=False)
    if done.returncode != 0:
        raise ZKreditError(f"wrk failed on {target.url}: {done.stderr.strip() or done.stdout}")
    return parse_wrk(done.stdout)


def run_builtin(target: Target, connections: int, duration_s: int) -> LoadResult:
    args = [sys.executable, "-m", "zkredit.bench.loadgen", target.url, "--method",
            target.method, "--connections", str(connections), "--duration", str(duration_s)]
    body = target.body_bytes()
    if body is not None:
        args += ["--body", body.decode()]
    from zkredit.bench.loadgen import HEADERS_ENV

    done = subprocess.run(args, capture_output=True, text=True, timeout=duration_s + 120,
                          check=False,
                          env={**os.environ, HEADERS_ENV: json.dumps(target.headers or {})})
    if done.returncode != 0:
        raise ZKreditError(f"the load generator failed on {target.url}: {done.stderr.strip()}")
    return LoadResult(**json.loads(done.stdout))


def load_generator(tool: str) -> tuple[str, Callable[[Target, int, int], LoadResult]]:
    """The generator's name and a function running it, for ``auto``, ``wrk`` or ``builtin``."""
    if tool not in TOOLS:
        raise InputError(f"unknown load generator {tool!r}; choose one of {', '.join(TOOLS)}")
    wrk = shutil.which("wrk") if tool in ("auto", "wrk") else None
    if wrk is not None:
        version = subprocess.run([wrk, "--version"], capture_output=True, text=True,
                                 check=False)
        name = (version.stdout or version.stderr).split(" [", 1)[0].strip() or "wrk"
        return name, lambda t, c, d: run_wrk(t, c, d, wrk)
    if tool == "wrk":
        raise ToolMissingError("wrk is not on PATH",
                               hint="Install it (Debian: apt-get install wrk) or use "
                                    "--tool builtin.")
    return "builtin", run_builtin


# -- the system under test -------------------------------------------------------------------

def discover(base_url: str, configured: Mapping[str, str]) -> dict[str, str]:
    """Agent name -> URL for the gateway at ``base_url``: the configured addresses
    (``agents.*`` settings) of the agents the gateway's ``/api/health`` lists. The
    gateway itself does not publish addresses to anonymous callers."""
    try:
        body = httpx.get(f"{base_url}/api/health", timeout=10.0).json()
        listed = set(body["agents"])
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"could not list the agents through {base_url}/api/health: {exc}",
                         hint="--url is the gateway's base URL, e.g. http://127.0.0.1:3000"
                         ) from exc
    if "remittance" not in listed:
        raise InputError(f"the gateway at {base_url} lists no remittance agent "
                         f"(it lists {', '.join(sorted(listed)) or 'none'})")
    return {name: configured[name].rstrip("/") for name in sorted(listed) if name in configured}


@contextmanager
def system_under_test(url: str | None) -> Iterator[tuple[str, str, str]]:
    """(gateway URL, remittance URL, description): ``url``'s, or an in-process system's."""
    if url is not None:
        from zkredit.bootstrap import agent_urls
        from zkredit.settings import load_settings

        base = url.rstrip("/")
        yield base, discover(base, agent_urls(load_settings()))["remittance"], base
        return
    from zkredit.demo.system import LiveSystem

    with tempfile.TemporaryDirectory(prefix="zkredit-bench-http-") as tmp:
        # The benchmark measures throughput, not the rate limiter: the limit is lifted.
        system = LiveSystem(Path(tmp), rate_limit_requests=10**9).start()
        try:
            def local(name: str) -> str:
                return f"http://127.0.0.1:{system.ports[name]}"

            yield local("gateway"), local("remittance"), "in-process (zkredit serve all)"
        finally:
            system.stop()


BENCH_USER_ENV = "ZKREDIT_BENCH_USER"
BENCH_PASSWORD_ENV = "ZKREDIT_BENCH_PASSWORD"


def bench_login(base_url: str) -> dict[str, str]:
    """The Authorization header of the benchmark's user: ``ZKREDIT_BENCH_USER`` and
    ``ZKREDIT_BENCH_PASSWORD``, else the development demo's operator."""
    from zkredit.demo.users import OPERATOR, bearer

    user = os.environ.get(BENCH_USER_ENV) or OPERATOR
    try:
        return bearer(base_url, user, os.environ.get(BENCH_PASSWORD_ENV))
    except httpx.HTTPError as exc:
        raise InputError(f"could not log in at {base_url} as {user}: {exc}",
                         hint=f"Set {BENCH_USER_ENV} and {BENCH_PASSWORD_ENV} to a user "
                              "with the worker, agent or operator role.") from exc


def _warm(target: Target, say: Callable[[str], None]) -> None:
    """A few sequential requests: warms caches (and the gateway's prober); says if it fails."""
    with httpx.Client(timeout=30.0) as http:
        for _ in range(5):
            r = http.request(target.method, target.url, json=target.body,
                             headers=target.headers)
        if r.status_code >= 400:
            say(f"warning: {target.label} answered {r.status_code}: {r.text[:200]}")


def run_http_bench(url: str | None = None, *, duration_s: int = 10, connections: int = 32,
                   tool: str = "auto", say: Callable[[str], None] | None = None,
                   ) -> dict[str, Any]:
    """Load each endpoint in turn; the report that ``zkredit bench http --json`` prints.

    ``say`` gets a line of progress before each step (and a warning when an endpoint
    answers an error before the load starts).
    """
    if duration_s < 1 or connections < 1:
        raise InputError("--duration and --connections must be at least 1")
    tell = say or (lambda _msg: None)
    tool_name, generate = load_generator(tool)
    report: dict[str, Any] = {"tool": tool_name, "duration_s": duration_s,
                              "connections": connections}
    if url is None:
        tell("starting an in-process system (chain, deployment, agents, gateway)")
    with system_under_test(url) as (gateway, remittance, description):
        report["system"] = description
        plan = targets(gateway, remittance, bench_login(remittance))
        results: dict[str, dict[str, Any]] = {}
        for target in plan:
            _warm(target, tell)
            tell(f"loading {target.label} for {duration_s} s ({connections} connections)")
            result = generate(target, connections, duration_s)
            results[target.key] = {
                "label": target.label, "method": target.method, "url": target.url,
                **{k: round(v, 3) if isinstance(v, float) else v
                   for k, v in asdict(result).items()},
                "rps": round(result.rps, 1),
            }
    for target in plan:
        entry = results[target.key]
        reference_rps = results[target.reference or target.key]["rps"]
        entry["reference"] = target.reference
        entry["rps_ratio"] = round(entry["rps"] / reference_rps, 3) if reference_rps else None
    report["targets"] = results
    return report
