"""The nginx edge: the shipped config is the template's rendering, `nginx -t` accepts it,
and a real HTTPS request through nginx reaches the gateway with the security headers."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import require
from tests.integration.deploy.conftest import DEPLOY, TlsFiles, load_script

render = load_script(DEPLOY / "nginx" / "render.py")

NGINX_MISSING = "nginx is not installed (apt-get install nginx)"


def nginx_version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "-v"], capture_output=True, text=True, check=True).stderr
    match = re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", out)
    assert match, out
    return tuple(int(g) for g in match.groups())


@dataclass(frozen=True)
class Edge:
    """nginx in a temporary prefix, in front of one in-process gateway."""

    binary: str
    prefix: Path
    config: Path
    http_port: int
    https_port: int
    context: ssl.SSLContext
    certificate: Path

    def args(self, *extra: str) -> list[str]:
        # -e: the error log before the config is read (else nginx opens /var/log/nginx).
        return [self.binary, "-p", str(self.prefix), "-c", str(self.config), "-e", "stderr",
                "-g", f"pid {self.prefix / 'nginx.pid'};", *extra]

    def https(self, path: str) -> str:
        return f"https://127.0.0.1:{self.https_port}{path}"


def test_shipped_config_is_the_template_rendering() -> None:
    assert (DEPLOY / "nginx" / "nginx.conf").read_text() == render.render()
    assert render.main(["--check"]) == 0


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"gatewy": "127.0.0.1:1"}, "unknown setting"),
        ({"gateway": "127.0.0.1:1; include /etc/passwd"}, "not a single nginx token"),
        ({"tls_certificate": "/a b"}, "not a single nginx token"),
    ],
)
def test_render_refuses_bad_settings(overrides: dict[str, str], error: str) -> None:
    with pytest.raises(render.TemplateError, match=error):
        render.render(overrides)


def test_render_refuses_a_placeholder_without_value() -> None:
    with pytest.raises(render.TemplateError, match="has no value"):
        render.render(template="listen {{nope}};")


@pytest.fixture(scope="module")
def edge(tls_files: TlsFiles, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Edge]:
    binary = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).is_file()), None)
    require(binary is not None, NGINX_MISSING)
    assert binary is not None
    from zkredit.agents.gateway.app import create_app
    from zkredit.agents.launcher import ThreadedServer, free_port

    gateway = ThreadedServer(create_app(lambda: {}), free_port()).start()
    prefix = tmp_path_factory.mktemp("nginx")
    (prefix / "temp").mkdir()
    upstream = f"127.0.0.1:{gateway.port}"
    http_port, https_port = free_port(), free_port()
    config = prefix / "nginx.conf"
    # Every upstream is the one gateway: /agents/<name>/health then shows the prefix is cut.
    config.write_text(render.render(
        {"gateway": upstream, "worker": upstream, "credit": upstream, "remittance": upstream,
         "receiver": upstream, "http_listen": f"127.0.0.1:{http_port}",
         "https_listen": f"127.0.0.1:{https_port}", "server_name": "localhost",
         "tls_certificate": str(tls_files.certificate),
         "tls_certificate_key": str(tls_files.key), "temp_dir": str(prefix / "temp"),
         "access_log": str(prefix / "access.log"), "error_log": "stderr"},
        legacy_http2=nginx_version(binary) < (1, 25, 1)))
    context = ssl.create_default_context(cafile=str(tls_files.certificate))
    e = Edge(binary, prefix, config, http_port, https_port, context, tls_files.certificate)
    process = None
    try:
        process = subprocess.Popen(e.args("-g", "daemon off;"), stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                pytest.fail(f"nginx exited {process.returncode}: {process.stderr.read()}")
            try:
                socket.create_connection(("127.0.0.1", https_port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("nginx did not listen within 15 s")
                time.sleep(0.1)
        yield e
    finally:
        if process is not None and process.poll() is None:
            process.terminate()  # SIGTERM: fast shutdown
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if process is not None:
            for stream in (process.stdout, process.stderr):
                if stream is not None:
                    stream.close()
        gateway.stop()


@pytest.mark.slow
def test_nginx_t_accepts_the_config(edge: Edge) -> None:
    result = subprocess.run(edge.args("-t"), capture_output=True, text=True, timeout=30,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    assert "[warn]" not in result.stderr, result.stderr


@pytest.mark.slow
def test_https_reaches_the_gateway_with_security_headers(edge: Edge) -> None:
    with httpx.Client(verify=edge.context, timeout=10) as client:
        response = client.get(edge.https("/health"))
    assert response.status_code == 200
    assert response.json()["agent"] == "gateway"
    headers = response.headers
    assert headers["strict-transport-security"].startswith("max-age=63072000")
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["server"] == "nginx", "no version, and not the upstream's"


@pytest.mark.slow
def test_agents_are_reached_under_their_prefix_and_metrics_are_not(edge: Edge) -> None:
    with httpx.Client(verify=edge.context, timeout=10) as client:
        proxied = client.get(edge.https("/agents/receiver/health"))
        assert proxied.status_code == 200 and proxied.json()["agent"] == "gateway"
        bare = client.get(edge.https("/agents/receiver"))
        assert bare.status_code == 301 and bare.headers["location"].endswith("/agents/receiver/")
        for path in ("/metrics", "/agents/worker/metrics"):
            blocked = client.get(edge.https(path))
            assert blocked.status_code == 404, path
            assert blocked.headers["x-content-type-options"] == "nosniff", "even on errors"


@pytest.mark.slow
def test_http_redirects_to_https(edge: Edge) -> None:
    with httpx.Client(timeout=10) as client:
        response = client.get(f"http://127.0.0.1:{edge.http_port}/api/health?x=1")
        assert response.status_code == 301
        assert response.headers["location"] == "https://127.0.0.1/api/health?x=1"
        assert client.get(f"http://127.0.0.1:{edge.http_port}/healthz").text == "ok\n"


def _handshake(edge: Edge, version: ssl.TLSVersion, ciphers: str | None = None) -> str:
    context = ssl.create_default_context(cafile=str(edge.certificate))
    if ciphers:
        context.set_ciphers(ciphers)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1 is deprecated
        context.minimum_version = context.maximum_version = version
    with socket.create_connection(("127.0.0.1", edge.https_port), timeout=5) as raw, \
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        return str(tls.version())


@pytest.mark.slow
def test_tls_12_and_13_only_with_aead_ciphers(edge: Edge) -> None:
    assert _handshake(edge, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    assert _handshake(edge, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    with pytest.raises(ssl.SSLError, match=r"PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL"):
        _handshake(edge, ssl.TLSVersion.TLSv1_1, "ALL:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError, match=r"HANDSHAKE_FAILURE|NO_CIPHERS|NO_SHARED_CIPHER"):
        _handshake(edge, ssl.TLSVersion.TLSv1_2, "ECDHE-ECDSA-AES128-SHA")  # CBC: refused


@pytest.mark.slow
def test_rate_limit_answers_429(edge: Edge) -> None:
    """The agents' zone allows 2 r/s with a burst of 10: 20 quick requests must hit it."""
    statuses = []
    with httpx.Client(verify=edge.context, timeout=10) as client:
        for _ in range(20):
            statuses.append(client.get(edge.https("/agents/credit/health")).status_code)
    assert statuses[0] == 200
    assert 429 in statuses, statuses
    assert set(statuses) <= {200, 429}
