"""The health checks one at a time, against real sockets, files and databases."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.ops.certs import self_signed
from zkredit.chain.node import free_port
from zkredit.ops.health import (
    check_chain,
    check_circuits,
    check_database,
    check_redis,
    check_service,
    check_tls,
    run_health,
)
from zkredit.settings import Settings, load_settings
from zkredit.store.db import Database


def settings_with(tmp_path: Path, **areas: dict[str, object]) -> Settings:
    app = {"data_dir": tmp_path / "data", "deployments_dir": tmp_path / "deployments",
           **areas.pop("app", {})}
    return load_settings(check=False, env="development", app=app, **areas)


@pytest.fixture
def other_http_server() -> Iterator[int]:
    """Something that is not a ZKredit service, holding a port."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_stopped_service_is_named_with_its_url() -> None:
    port = free_port()
    check = check_service("credit", f"http://127.0.0.1:{port}", 1.0)
    assert check.down
    assert check.detail == (f"credit is down: nothing answers at http://127.0.0.1:{port} "
                            "(connection refused)")


def test_a_port_held_by_another_program_is_not_the_service(other_http_server: int) -> None:
    check = check_service("worker", f"http://127.0.0.1:{other_http_server}", 2.0)
    assert check.down
    assert "answers, but not as the worker service (HTTP 404, no agent name)" in check.detail


def test_chain_unreachable_and_embedded(tmp_path: Path) -> None:
    settings = settings_with(tmp_path)
    embedded = check_chain(settings, None, 1.0)
    assert embedded.status == "skip" and not embedded.required
    url = f"http://127.0.0.1:{free_port()}"
    down = check_chain(settings, url, 1.0)
    assert down.down and down.detail == f"chain unreachable at {url} (connection refused)"


@pytest.mark.parametrize(("days", "status", "words"), [
    (90, "ok", "valid for 90 days"), (10, "warn", "expires in 10 day(s)"),
    (-3, "fail", "expired 3 day(s) ago")])
def test_tls_certificate_days_to_expiry(tmp_path: Path, days: int, status: str,
                                        words: str) -> None:
    cert = self_signed(tmp_path / "tls.crt", days)
    settings = settings_with(tmp_path, security={"tls_enabled": True, "tls_cert": cert,
                                                 "tls_key": cert.with_suffix(".key")})
    check = check_tls(settings)
    assert check.status == status, check.detail
    assert words in check.detail and "CN=zkredit.test" in check.detail


def test_tls_not_configured_or_at_the_proxy_is_skipped(tmp_path: Path) -> None:
    assert check_tls(settings_with(tmp_path)).status == "skip"
    proxied = check_tls(settings_with(tmp_path, security={"tls_proxy": True}))
    assert proxied.status == "skip" and "proxy" in proxied.detail


def test_database_missing_migrated_and_behind(tmp_path: Path) -> None:
    settings = settings_with(tmp_path)
    missing = check_database(settings, "credit", None)
    assert missing.down and "no database for party 'credit'" in missing.detail
    db = Database.open("credit", None, settings.app.data_dir)
    db.ping()  # creates the file, no tables yet
    never = check_database(settings, "credit", None)
    assert never.down and "never migrated" in never.detail
    db.migrate()
    db.dispose()
    ok = check_database(settings, "credit", None)
    assert ok.status == "ok" and "migrations at head" in ok.detail
    assert ok.data["size_bytes"] > 0 and ok.data["heads"]


def test_circuits_intact_then_altered(tmp_path: Path, tmp_keys: object) -> None:
    from zkredit.zk.manifest import CircuitCatalog

    assert isinstance(tmp_keys, CircuitCatalog)
    settings = settings_with(tmp_path, zk={"manifest_path": tmp_keys.circuits_dir /
                                           "circuits.json", "zkey_path": tmp_keys.keys_dir})
    assert check_circuits(settings).status == "ok"
    vkey = tmp_keys.artifact_path("income", "vkey")
    vkey.write_text(vkey.read_text().replace("1", "2", 1))
    altered = check_circuits(settings)
    assert altered.down and "income.vkey.json" in altered.detail


def test_redis_down_is_required_once_configured(tmp_path: Path) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    check = check_redis(settings_with(tmp_path, queue={"redis_url": url}), 1.0)
    assert check.down and "Redis unreachable at redis://127.0.0.1" in check.detail
    assert check_redis(settings_with(tmp_path), 1.0).status == "skip"


def test_the_report_lists_every_check_with_a_time(tmp_path: Path) -> None:
    report = run_health(settings_with(tmp_path))
    names = [c.name for c in report.checks]
    assert names[0] == "system" and "service:gateway" in names and names[-1] == "prometheus"
    assert not report.healthy
    assert all(c.seconds >= 0 for c in report.checks)
    assert report.to_json()["down"] == [c.name for c in report.down]
