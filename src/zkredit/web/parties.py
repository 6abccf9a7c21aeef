"""Read-only access to the parties' databases, for the operator page's checks the
agents' APIs do not serve (the audit log's chain verification, database health).

Staff lists and details go through the agents' APIs with the staff member's own token,
so the agent's role checks apply (see ``staff.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from zkredit.settings import Settings


class Parties:
    def __init__(self, settings: Settings, schema_prefix: str | None = None) -> None:
        self.settings = settings
        self.schema_prefix = schema_prefix
        self._dbs: dict[str, Any] = {}

    def db(self, party: str) -> Any:
        from zkredit.store.db import Database

        if party not in self._dbs:
            schema = f"{self.schema_prefix}_{party}" if self.schema_prefix else None
            self._dbs[party] = Database.open(party, self.settings.database.url,
                                             self.settings.app.data_dir, schema=schema,
                                             create=False)
        return self._dbs[party]

    @contextmanager
    def session(self, party: str) -> Iterator[Any]:
        with self.db(party).session() as s:
            yield s

    def chain_id(self) -> int:
        found = sorted(self.settings.app.deployments_dir.glob("*.json"))
        for path in found:
            if path.stem.isdigit():
                return int(path.stem)
        return 31337

    def close(self) -> None:
        for db in self._dbs.values():
            db.dispose()
        self._dbs.clear()
