"""The seed's backup schedule, the retention that follows from it, and the crontab and
Kubernetes CronJob that run it.

The seed fixes when each type runs (``BACKUP_SCHEDULE``) but names its retention table
without giving it, so retention here follows the period: keep every backup younger than
``keep_days``, and never fewer than the newest ``keep_min`` verified ones (a stalled
schedule must not prune the last good copies). The database's ``keep_days`` is the
environment's ``services.database.backup_retention_days`` when it sets one.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

import yaml

from zkredit.settings import Settings


@dataclass(frozen=True)
class Schedule:
    type: str
    cron: str
    """When it runs (the seed's ``BACKUP_SCHEDULE``)."""
    period_s: int
    keep_days: int
    keep_min: int


SCHEDULES: dict[str, Schedule] = {
    "database": Schedule("database", "0 2 * * *", 86_400, keep_days=30, keep_min=7),
    "circuits": Schedule("circuits", "0 1 * * 0", 7 * 86_400, keep_days=90, keep_min=4),
    "contracts": Schedule("contracts", "@monthly", 31 * 86_400, keep_days=365, keep_min=3),
    "logs": Schedule("logs", "0 0 * * *", 86_400, keep_days=30, keep_min=7),
    "metrics": Schedule("metrics", "0 */6 * * *", 6 * 3_600, keep_days=7, keep_min=4),
}


def schedules(settings: Settings) -> dict[str, Schedule]:
    """The schedule table with the environment's database retention applied."""
    table = dict(SCHEDULES)
    env = settings.environment
    days = env.services.database.backup_retention_days if env else None
    if days is not None:
        base = table["database"]
        table["database"] = Schedule(base.type, base.cron, base.period_s, keep_days=days,
                                     keep_min=min(base.keep_min, max(days, 1)))
    return table


def crontab(settings: Settings, *, command: str = "zkredit", workdir: str | None = None,
            store: str | None = None) -> str:
    """One crontab line per type: create (verified), then prune."""
    env = settings.app.env.value
    store_arg = f" --store {shlex.quote(store)}" if store else ""
    prefix = f"cd {shlex.quote(workdir)} && " if workdir else ""
    lines = [f"# ZKredit backups ({env}): the seed's schedule; retention per type, see "
             "`zkredit backup schedule --help`", "SHELL=/bin/sh"]
    for s in schedules(settings).values():
        base = f"{command} backup"
        lines.append(
            f"{s.cron:<12} {prefix}{base} create --type {s.type} --env {env} --kind "
            f"scheduled{store_arg} && {base} prune --type {s.type} --env {env}{store_arg}")
    return "\n".join(lines) + "\n"


def cronjobs(settings: Settings, *, image: str = "zkredit:0.1.0", name: str = "zkredit",
             store: str | None = None, secret: str = "zkredit-app") -> str:
    """Kubernetes CronJobs (one per type) as a multi-document YAML."""
    env = settings.app.env.value
    docs = []
    for s in schedules(settings).values():
        args = ["backup", "create", "--type", s.type, "--env", env, "--kind", "scheduled"]
        if store:
            args += ["--store", store]
        docs.append({
            "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": f"{name}-backup-{s.type}",
                         "labels": {"app.kubernetes.io/name": name,
                                    "app.kubernetes.io/component": "backup"}},
            "spec": {
                "schedule": s.cron, "concurrencyPolicy": "Forbid",
                "successfulJobsHistoryLimit": 3, "failedJobsHistoryLimit": 3,
                "jobTemplate": {"spec": {"backoffLimit": 1, "template": {"spec": {
                    "restartPolicy": "Never",
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                        "runAsGroup": 10001, "fsGroup": 10001},
                    "containers": [{
                        "name": "backup", "image": image,
                        "command": ["/bin/sh", "-c"],
                        "args": [" ".join(["zkredit", *map(shlex.quote, args)])
                                 + f" && zkredit backup prune --type {s.type} --env {env}"
                                 + (f" --store {shlex.quote(store)}" if store else "")],
                        "envFrom": [{"secretRef": {"name": secret}}],
                        "securityContext": {"allowPrivilegeEscalation": False,
                                            "readOnlyRootFilesystem": True,
                                            "capabilities": {"drop": ["ALL"]}},
                    }],
                }}}},
            },
        })
    return yaml.safe_dump_all(docs, sort_keys=False)
