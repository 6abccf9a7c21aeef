"""A closed-loop HTTP/1.1 load generator: N keep-alive connections, each sending its next
request as soon as the previous answer arrives. The fallback of ``zkredit bench http``
when ``wrk`` is not installed.

Run it as its own process (``python -m zkredit.bench.loadgen``): in the process of the
servers under test it would compete with them for the GIL. It prints one JSON object.
Raw sockets rather than an HTTP client library, so the generator costs little CPU next
to the servers it loads; it speaks only what an agent answers (Content-Length or chunked).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class LoadResult:
    """What one endpoint did under load."""

    requests: int
    """Answers received, whatever their status."""
    errors: int
    """Answers with status >= 400, plus connection errors and timeouts."""
    duration_s: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s > 0 else 0.0


def percentile(sorted_xs: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not sorted_xs:
        return 0.0
    k = max(0, min(len(sorted_xs) - 1, round(q * (len(sorted_xs) - 1))))
    return sorted_xs[k]


HEADERS_ENV = "ZKREDIT_LOADGEN_HEADERS"
"""Extra request headers as a JSON object (an access token stays out of argv)."""


def build_request(method: str, url: str, body: bytes | None,
                  headers: dict[str, str] | None = None) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"the built-in load generator speaks plain http:// only, not {url!r}")
    port = parts.port or 80
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    head = [f"{method} {target} HTTP/1.1", f"Host: {parts.hostname}:{port}",
            "User-Agent: zkredit-bench", "Accept: */*"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return parts.hostname, port, ("\r\n".join(head) + "\r\n\r\n").encode() + (body or b"")


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the connection stays open."""
    status_line = await reader.readuntil(b"\r\n")
    version, status, *_ = status_line.decode("latin-1").split(" ", 2)
    length, chunked, keep_alive = 0, False, version == "HTTP/1.1"
    while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
        name, _, value = line.decode("latin-1").partition(":")
        name, value = name.strip().lower(), value.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value
        elif name == "connection":
            keep_alive = value != "close"
    if chunked:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
            pass
    elif length:
        await reader.readexactly(length)
    return int(status), keep_alive


class _Tally:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.errors = 0


async def _connection(host: str, port: int, request: bytes, deadline: float,
                      tally: _Tally) -> None:
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    while time.perf_counter() < deadline:
        if streams is None:
            try:
                streams = await asyncio.wait_for(asyncio.open_connection(host, port),
                                                 REQUEST_TIMEOUT_S)
            except (OSError, TimeoutError):
                tally.errors += 1
                await asyncio.sleep(0.01)  # a refused connection must not spin the loop
                continue
        reader, writer = streams
        started = time.perf_counter()
        try:
            writer.write(request)
            status, keep_alive = await asyncio.wait_for(read_response(reader),
                                                        REQUEST_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError):
            tally.errors += 1
            writer.close()
            streams = None
            continue
        tally.latencies.append(time.perf_counter() - started)
        if status >= 400:
            tally.errors += 1
        if not keep_alive:
            writer.close()
            streams = None
    if streams is not None:
        streams[1].close()


async def closed_loop(method: str, url: str, body: bytes | None, connections: int,
                      duration_s: float) -> LoadResult:
    """Load ``url`` for ``duration_s`` from ``connections`` connections; requests in
    flight at the deadline are finished and counted, over the time they took."""
    host, port, request = build_request(method, url, body,
                                        json.loads(os.environ.get(HEADERS_ENV) or "{}"))
    tally = _Tally()
    started = time.perf_counter()
    deadline = started + duration_s
    await asyncio.gather(*(_connection(host, port, request, deadline, tally)
                           for _ in range(connections)))
    elapsed = time.perf_counter() - started
    xs = sorted(tally.latencies)
    return LoadResult(requests=len(xs), errors=tally.errors, duration_s=elapsed,
                      p50_ms=percentile(xs, 0.50) * 1000, p99_ms=percentile(xs, 0.99) * 1000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("--method", default="GET")
    parser.add_argument("--body", help="Request body (sent as application/json).")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    args = parser.parse_args(argv)
    body = args.body.encode() if args.body is not None else None
    result = asyncio.run(closed_loop(args.method, args.url, body, args.connections,
                                     args.duration))
    print(json.dumps(asdict(result)))


if __name__ == "__main__":
    main()
