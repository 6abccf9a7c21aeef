"""`zkredit health` against a running system on anvil: exit 0 with everything up, 1 with
one agent stopped, and the output names that agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.ops.conftest import system_env, zkredit
from zkredit.demo.system import LiveSystem, settings_for
from zkredit.ops.health import Targets, run_health


@pytest.mark.slow
@pytest.mark.e2e
@pytest.mark.anvil
def test_health_exit_code_follows_a_stopped_agent(tmp_path: Path, anvil_url: str) -> None:
    system = LiveSystem(tmp_path / "system", rpc_url=anvil_url, capture_bodies=False,
                        prover_workers=1).start()
    try:
        env = system_env(system)
        up = zkredit(["health", "--exit-code", "--json"], env, tmp_path)
        assert up.returncode == 0, up.stdout + up.stderr
        report = json.loads(up.stdout)
        assert report["healthy"] is True and report["down"] == []
        by_name = {c["name"]: c for c in report["checks"]}
        expected = {"system", "chain", "circuits", "tls", "redis", "prometheus",
                    *(f"service:{n}" for n in system.ports),
                    *(f"database:{n}" for n in ("worker", "credit", "remittance", "receiver",
                                                "access"))}
        assert set(by_name) == expected
        assert all(isinstance(c["ms"], float) for c in report["checks"])
        assert by_name["chain"]["status"] == "ok"
        assert by_name["chain"]["data"]["chain_id"] == system.client.chain_id  # type: ignore[union-attr]
        assert by_name["circuits"]["data"]["verification_keys"] == 4
        assert by_name["database:credit"]["data"]["size_bytes"] > 0

        system.servers["credit"].stop()
        down = zkredit(["health", "--exit-code"], env, tmp_path)
        assert down.returncode == 1, down.stdout + down.stderr
        assert "down: service:credit" in down.stdout, down.stdout
        assert f"credit is down: nothing answers at http://127.0.0.1:{system.ports['credit']}" \
            in down.stdout, down.stdout

        # Without --exit-code the status is 0 whatever the result (the seed's script).
        assert zkredit(["health"], env, tmp_path).returncode == 0

        settings = settings_for(system.data_dir, system.ports, rpc_url=anvil_url,
                                deployments_dir=system.data_dir / "chain")
        report_obj = run_health(settings, Targets.from_settings(settings))
        assert [c.name for c in report_obj.down] == ["service:credit"]
    finally:
        system.stop()
