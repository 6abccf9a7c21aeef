"""The one composition root: builds catalogs, provers and (later) stores and clients.

Nothing is constructed at import time; entry points (CLI commands, agent apps,
workers) call these builders with a :class:`Settings`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zkredit.errors import ArtifactError, ConfigurationError
from zkredit.settings import Settings
from zkredit.zk.manifest import CircuitCatalog
from zkredit.zk.prover import Groth16pyBackend, ProverBackend, SnarkjsBackend

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

    from zkredit.agents.common.envelope import AgentDirectory
    from zkredit.agents.common.runtime import PartyRuntime


def build_catalog(settings: Settings) -> CircuitCatalog:
    return CircuitCatalog.load(settings.zk.circuits_manifest, settings.zk.keys_dir)


@dataclass
class ZKServices:
    """The ZK layer as the rest of the system sees it.

    ``integrity_ok`` mirrors the ``zk_circuit_integrity_status`` gauge: when the
    committed artifacts do not match their manifest, proving is disabled and
    :meth:`prover` raises the integrity error instead.
    """

    settings: Settings
    catalog: CircuitCatalog
    integrity_ok: bool = False
    integrity_problems: list[str] = field(default_factory=list)
    setup_kind: str = "ceremony"
    _prover: ProverBackend | None = None

    @classmethod
    def build(cls, settings: Settings) -> ZKServices:
        catalog = build_catalog(settings)
        services = cls(settings, catalog)
        services.check_integrity()
        return services

    def check_integrity(self) -> bool:
        try:
            self.integrity_problems = self.catalog.verify()
            self.setup_kind = self.catalog.setup_kind()
        except ArtifactError as exc:
            self.integrity_problems = [exc.message]
        self.integrity_ok = not self.integrity_problems
        return self.integrity_ok

    @property
    def dev_keys(self) -> bool:
        return self.setup_kind != "ceremony"

    def prover(self) -> ProverBackend:
        """The configured backend; refuses tampered artifacts and unsafe dev keys."""
        if not self.integrity_ok:
            raise ArtifactError(
                "circuit artifacts do not match the manifest, proving is disabled:\n  "
                + "\n  ".join(self.integrity_problems),
                hint="Restore circuits/keys/ from git, or re-run `zkredit ceremony`.",
            )
        if self.dev_keys and not self.settings.is_development:
            raise ConfigurationError(
                "the keys in circuits/keys come from a single-party development setup; "
                f"they are refused in {self.settings.app.env.value!r}",
                hint="Use the committed ceremony keys (`zkredit ceremony`).",
            )
        if self._prover is None:
            if self.settings.zk.backend == "snarkjs":
                self._prover = SnarkjsBackend(self.catalog)
            else:
                self._prover = Groth16pyBackend(self.catalog, dev_keys=self.dev_keys)
        return self._prover


def build_party_runtime(
    party: str,
    settings: Settings,
    data_dir: Path,
    account: LocalAccount,
    directory: AgentDirectory,
    resolve: Callable[[str], str],
    *,
    chain_id: int,
    chain: Any = None,
    inprocess_workers: int = 2,
    schema_prefix: str | None = None,
) -> PartyRuntime:
    """Database (migrated), job queue, audit log, inbox and peers of one agent."""
    from zkredit.agents.common.messaging import Inbox, Peers
    from zkredit.agents.common.runtime import PartyRuntime, party_logger
    from zkredit.jobs.factory import build_queue
    from zkredit.store.db import Database
    from zkredit.store.models import JobRow

    home = data_dir / party
    home.mkdir(parents=True, exist_ok=True)
    schema = f"{schema_prefix}_{party}" if schema_prefix else None
    db = Database.open(party, settings.database.url, data_dir, schema=schema)
    db.ping()
    db.migrate()
    jobs = build_queue(
        settings.queue.redis_url,
        engine=db.engine,
        table=JobRow.__table__,  # type: ignore[arg-type]
        namespace=f"zkredit-{schema_prefix or 'main'}-{party}-{chain_id}",
        worker_threads=inprocess_workers if settings.queue.redis_url else 0,
        inprocess_workers=inprocess_workers,
    )
    return PartyRuntime(
        name=party,
        home=home,
        db=db,
        account=account,
        jobs=jobs,
        directory=directory,
        peers=Peers(party, account, chain_id, resolve),
        inbox=Inbox(party, directory, chain_id),
        chain_id=chain_id,
        chain=chain,
        logger=party_logger(party, home),
    )
