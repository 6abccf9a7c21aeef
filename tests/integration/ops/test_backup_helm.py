"""The chart's backup CronJobs: off by default; on, one per scheduled type, on the seed's
schedule, valid Kubernetes, secrets by reference only, and the same schedule as
`zkredit backup schedule`."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from tests.conftest import require
from tests.integration.deploy.test_helm import KUBE_VERSIONS, REQUIRED, by_kind, deep_merge, render
from zkredit.ops.backup.schedule import SCHEDULES

ON = deep_merge(REQUIRED, {"backup": {"enabled": True, "store": "s3://zkredit-backups/prod",
                                      "credentialsSecret": "zkredit-backup-s3",
                                      "pushgatewayUrl": "http://pushgateway:9091"}})


def test_no_cronjob_by_default() -> None:
    assert not by_kind(render(REQUIRED), "CronJob")


def test_a_cronjob_per_type_on_the_seeds_schedule() -> None:
    jobs = by_kind(render(ON), "CronJob")
    assert sorted(jobs) == [f"zkredit-backup-{t}" for t in
                            ("circuits", "contracts", "database", "metrics")]
    for name, job in jobs.items():
        kind = name.removeprefix("zkredit-backup-")
        assert job["spec"]["schedule"] == SCHEDULES[kind].cron
        pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert f"zkredit backup create --type {kind} --env production" in container["args"][0]
        assert f"zkredit backup prune --type {kind}" in container["args"][0]
        env = {e["name"]: e for e in container["env"]}
        assert env["ZKREDIT_BACKUP_STORE"]["value"] == "s3://zkredit-backups/prod"
        for secret in ("JWT_SECRET", "ENCRYPTION_KEY", "DATABASE_URL", "BACKUP_KEY",
                       "AWS_SECRET_ACCESS_KEY"):
            assert set(env[secret]) == {"name", "valueFrom"}, secret
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert pod["securityContext"]["runAsUser"] == 10001


def test_the_store_is_required() -> None:
    with pytest.raises(Exception, match=r"backup\.store is required"):
        render(deep_merge(REQUIRED, {"backup": {"enabled": True}}))


def test_cronjobs_validate_against_kubernetes_schemas() -> None:
    require(importlib.util.find_spec("kubernetes_validate") is not None,
            "kubernetes-validate is not installed (pip install -e '.[dev]')")
    import kubernetes_validate

    jobs: dict[str, Any] = by_kind(render(ON), "CronJob")
    for job in jobs.values():
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(job, version, strict=True)
