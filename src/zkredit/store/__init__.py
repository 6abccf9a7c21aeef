"""Persistence: one database per party, SQLAlchemy models, repositories and migrations.

Build a :class:`~zkredit.store.db.Database` with ``Database.open(party, url, data_dir)``
from the composition root, run :meth:`~zkredit.store.db.Database.migrate`, then hand
it to the repositories: :class:`~zkredit.store.audit.AuditLog`,
:class:`~zkredit.store.ledger.Ledger` and
:class:`~zkredit.store.idempotency.IdempotencyStore`. Nothing is built at import time.
"""
