"""The pieces of ``zkredit bench http``: wrk's output, the built-in generator, discovery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from zkredit.agents.launcher import ThreadedServer, free_port
from zkredit.bench.http import discover, load_generator, parse_wrk
from zkredit.bench.loadgen import closed_loop, percentile
from zkredit.errors import InputError, ToolMissingError, ZKreditError

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:3003/quotes
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    24.10ms    8.01ms 120.00ms   75.00%
    Req/Sec   650.00    100.00     0.90k    70.00%
  Latency Distribution
     50%  850.00us
     75%   30.00ms
     90%   40.00ms
     99%    1.60s
  13000 requests in 10.02s, 9.00MB read
  Socket errors: connect 1, read 2, write 3, timeout 4
  Non-2xx or 3xx responses: 5
Requests/sec:   1297.40
Transfer/sec:      0.90MB
"""


def test_parse_wrk_reads_counts_and_percentiles_in_any_unit() -> None:
    r = parse_wrk(WRK_OUTPUT)
    assert r.requests == 13000
    assert r.duration_s == pytest.approx(10.02)
    assert r.p50_ms == pytest.approx(0.85)
    assert r.p99_ms == pytest.approx(1600.0)
    assert r.errors == 1 + 2 + 3 + 4 + 5


def test_parse_wrk_without_errors_lines_counts_none() -> None:
    clean = "\n".join(line for line in WRK_OUTPUT.splitlines()
                      if "errors" not in line and "Non-2xx" not in line)
    assert parse_wrk(clean).errors == 0


def test_parse_wrk_refuses_output_it_cannot_read() -> None:
    with pytest.raises(ZKreditError, match="could not read wrk's output"):
        parse_wrk("unable to connect to 127.0.0.1:1 Connection refused")


def test_an_unknown_tool_is_refused() -> None:
    with pytest.raises(InputError, match="choose one of auto, wrk, builtin"):
        load_generator("ab")


def test_wrk_asked_for_but_missing_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda _name: None)
    with pytest.raises(ToolMissingError) as info:
        load_generator("wrk")
    assert info.value.hint and "--tool builtin" in info.value.hint
    assert load_generator("auto")[0] == "builtin"


def test_percentile_is_nearest_rank() -> None:
    xs = [float(i) for i in range(1, 101)]
    assert percentile(xs, 0.5) == 51.0
    assert percentile(xs, 0.99) == 99.0
    assert percentile([], 0.5) == 0.0


def target_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ok")
    async def ok() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @app.get("/chunked")
    async def chunked() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b'{"a":', b" 1}"):
                yield part

        return StreamingResponse(parts(), media_type="application/json")

    @app.post("/echo")
    async def echo(request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(body, status_code=200 if body == {"x": 1} else 400)

    @app.get("/gone")
    async def gone() -> JSONResponse:
        return JSONResponse({"detail": "gone"}, status_code=410)

    @app.get("/api/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "unhealthy", "agents": {
            "remittance": {"status": "healthy"}, "worker": {"status": "unreachable"}}},
            status_code=503)

    return app


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadedServer]:
    running = ThreadedServer(target_app(), free_port()).start()
    yield running
    running.stop()


@pytest.mark.parametrize(
    ("method", "path", "body", "all_errors"),
    [("GET", "/ok", None, False), ("GET", "/chunked", None, False),
     ("POST", "/echo", b'{"x": 1}', False), ("POST", "/echo", b'{"x": 2}', True),
     ("GET", "/gone", None, True)],
)
def test_the_closed_loop_counts_answers_and_errors(
    server: ThreadedServer, method: str, path: str, body: bytes | None, all_errors: bool,
) -> None:
    r = asyncio.run(closed_loop(method, server.url + path, body, connections=2,
                                duration_s=0.2))
    assert r.requests > 0
    assert r.errors == (r.requests if all_errors else 0)
    assert 0 < r.p50_ms <= r.p99_ms


def test_the_closed_loop_counts_refused_connections() -> None:
    r = asyncio.run(closed_loop("GET", f"http://127.0.0.1:{free_port()}/", None,
                                connections=1, duration_s=0.05))
    assert r.requests == 0
    assert r.errors >= 1


def test_the_closed_loop_speaks_plain_http_only() -> None:
    with pytest.raises(ValueError, match="plain http"):
        asyncio.run(closed_loop("GET", "https://example.org/", None, 1, 0.1))


CONFIGURED = {"remittance": "http://127.0.0.1:3003/", "worker": "http://127.0.0.1:3001",
              "credit": "http://127.0.0.1:3002"}


def test_discover_lists_agents_even_from_an_unhealthy_gateway(server: ThreadedServer) -> None:
    assert discover(server.url, CONFIGURED) == {"remittance": "http://127.0.0.1:3003",
                                                "worker": "http://127.0.0.1:3001"}


def test_discover_refuses_what_is_not_a_gateway(server: ThreadedServer) -> None:
    with pytest.raises(InputError, match="could not list the agents"):
        discover(server.url + "/ok", CONFIGURED)
    with pytest.raises(InputError, match="could not list the agents"):
        discover(f"http://127.0.0.1:{free_port()}", CONFIGURED)
