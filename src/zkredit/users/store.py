"""The access database's operations: accounts, logins, refresh rotation, confirmations,
owners. Every method is one unit of work; no password or token is stored in clear."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from zkredit.errors import InputError, ZKreditError
from zkredit.store.columns import utcnow
from zkredit.store.db import Database
from zkredit.users.models import AccountRow, OwnerRow, RefreshTokenRow, UsedConfirmationRow
from zkredit.users.passwords import dummy_hash, hash_password, verify_password
from zkredit.users.roles import Role, parse_roles
from zkredit.users.tokens import Confirmation, TokenKeys

PARTY = "access"


class LoginFailed(ZKreditError):
    """Raised when a username, password or refresh token is not accepted (401)."""

    http_status = 401


class UserExists(InputError):
    """Raised when ``users add`` names a username that is taken."""

    http_status = 409


class UnknownUser(InputError):
    """Raised when a command names a user that does not exist."""

    http_status = 404


class ConfirmationSpent(ZKreditError):
    """Raised when a confirmation token was already used for another request (403)."""

    http_status = 403


class OwnedByAnother(ZKreditError):
    """Raised when a resource id is already recorded for another user (never expected)."""

    http_status = 409


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    roles: frozenset[Role]
    disabled: bool
    created_at: dt.datetime

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username,
                "roles": sorted(r.value for r in self.roles), "disabled": self.disabled,
                "created_at": self.created_at.isoformat()}


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int

    def __repr__(self) -> str:
        return f"TokenPair(expires_in={self.expires_in})"

    def to_json(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "token_type": "bearer", "expires_in": self.expires_in}


def _account(row: AccountRow) -> Account:
    return Account(row.id, row.username, parse_roles(row.roles), bool(row.disabled),
                   row.created_at)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_access_db(settings: Any, schema_prefix: str | None = None,
                   data_dir: Path | None = None) -> Database:
    """The deployment's access database, migrated."""
    schema = f"{schema_prefix}_{PARTY}" if schema_prefix else None
    db = Database.open(PARTY, settings.database.url, data_dir or settings.app.data_dir,
                       schema=schema)
    db.migrate()
    return db


class AccessStore:
    """Accounts and what their tokens may do, over the access database."""

    def __init__(self, db: Database, keys: TokenKeys, *, access_ttl_s: int = 600,
                 refresh_ttl_s: int = 14 * 86400, confirm_ttl_s: int = 300) -> None:
        self.db = db
        self.keys = keys
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s
        self.confirm_ttl_s = confirm_ttl_s

    # -- accounts -----------------------------------------------------------------

    def add_user(self, username: str, password: str, roles: frozenset[Role]) -> Account:
        if not roles:
            raise InputError("a user needs at least one role")
        row = AccountRow(id=uuid.uuid4().hex, username=username,
                         password_hash=hash_password(password),
                         roles=",".join(sorted(r.value for r in roles)), disabled=False,
                         created_at=utcnow())
        try:
            with self.db.session() as s:
                s.add(row)
        except IntegrityError:
            raise UserExists(f"a user named {username!r} exists",
                             hint="Pick another username, or `zkredit users list`.") from None
        return _account(row)

    def ensure_user(self, username: str, password: str, roles: frozenset[Role]) -> Account:
        """The user, created if missing (seeding); an existing one keeps its password."""
        found = self.find(username)
        return found if found is not None else self.add_user(username, password, roles)

    def find(self, username: str) -> Account | None:
        with self.db.session() as s:
            row = s.scalar(select(AccountRow).where(AccountRow.username == username))
            return _account(row) if row is not None else None

    def users(self) -> list[Account]:
        with self.db.session() as s:
            return [_account(r) for r in s.scalars(select(AccountRow)
                                                   .order_by(AccountRow.username))]

    def disable(self, username: str) -> Account:
        """Refuse the user's logins and refreshes from now on; their access tokens end
        within ``access_ttl_s``."""
        with self.db.session() as s:
            row = s.scalar(select(AccountRow).where(AccountRow.username == username))
            if row is None:
                raise UnknownUser(f"no user named {username!r}",
                                  hint="`zkredit users list` shows the users.")
            row.disabled = True
            row.disabled_at = utcnow()
            s.execute(update(RefreshTokenRow).where(RefreshTokenRow.account_id == row.id)
                      .values(revoked=True))
            return _account(row)

    # -- logins -------------------------------------------------------------------

    def authenticate(self, username: str, password: str) -> Account:
        with self.db.session() as s:
            row = s.scalar(select(AccountRow).where(AccountRow.username == username))
            stored = row.password_hash if row is not None else dummy_hash()
        if not verify_password(stored, password) or row is None or row.disabled:
            raise LoginFailed("wrong username or password, or the account is disabled")
        return _account(row)

    def login(self, username: str, password: str) -> TokenPair:
        return self._pair(self.authenticate(username, password), uuid.uuid4().hex)

    def refresh(self, refresh_token: str) -> TokenPair:
        """Spend ``refresh_token`` for a new pair; a second use revokes its whole family."""
        now = utcnow()
        with self.db.session(lock="access-refresh") as s:
            row = s.get(RefreshTokenRow, _digest(refresh_token))
            if row is None or row.revoked or row.expires_at < now:
                raise LoginFailed("the refresh token is not valid; log in again")
            if row.used_at is not None:
                s.execute(update(RefreshTokenRow).where(RefreshTokenRow.family == row.family)
                          .values(revoked=True))
                reused = True
            else:
                row.used_at = now
                reused = False
            account = s.get(AccountRow, row.account_id)
            family = row.family
        if reused:
            raise LoginFailed("this refresh token was already used: every token of its "
                              "login is revoked; log in again")
        if account is None or account.disabled:
            raise LoginFailed("the account is disabled")
        return self._pair(_account(account), family)

    def logout(self, refresh_token: str) -> None:
        with self.db.session() as s:
            row = s.get(RefreshTokenRow, _digest(refresh_token))
            if row is not None:
                s.execute(update(RefreshTokenRow).where(RefreshTokenRow.family == row.family)
                          .values(revoked=True))

    def _pair(self, account: Account, family: str) -> TokenPair:
        refresh = "zkr_" + secrets.token_urlsafe(32)
        with self.db.session() as s:
            s.add(RefreshTokenRow(
                token_hash=_digest(refresh), account_id=account.id, family=family,
                expires_at=utcnow() + dt.timedelta(seconds=self.refresh_ttl_s),
                revoked=False))
        access = self.keys.issue_access(account.id, account.username, account.roles,
                                        self.access_ttl_s)
        return TokenPair(access, refresh, self.access_ttl_s)

    # -- confirmations ------------------------------------------------------------

    def confirm(self, subject: str, password: str, action: str, resource: str,
                digest: str) -> str:
        """A single-use token for one action, after the user re-enters their password."""
        with self.db.session() as s:
            row = s.get(AccountRow, subject)
            stored = row.password_hash if row is not None else dummy_hash()
        if not verify_password(stored, password) or row is None or row.disabled:
            raise LoginFailed("wrong password: the action is not confirmed")
        return self.keys.issue_confirmation(subject, action, resource, digest,
                                            self.confirm_ttl_s)

    def spend(self, confirmation: Confirmation, request_key: str) -> None:
        """Mark ``confirmation`` used by ``request_key``; the same request may retry,
        any other use is refused."""
        try:
            with self.db.session() as s:
                s.add(UsedConfirmationRow(jti=confirmation.jti, account_id=confirmation.subject,
                                          request_key=request_key, used_at=utcnow()))
        except IntegrityError:
            with self.db.session() as s:
                used = s.get(UsedConfirmationRow, confirmation.jti)
            if used is None or used.request_key != request_key:
                raise ConfirmationSpent(
                    "this confirmation was already used; confirm the action again") from None

    # -- owners -------------------------------------------------------------------

    def record_owner(self, agent: str, kind: str, resource_id: str, owner: str) -> None:
        try:
            with self.db.session() as s:
                s.add(OwnerRow(agent=agent, kind=kind, resource_id=resource_id, owner=owner,
                               created_at=utcnow()))
        except IntegrityError:
            if self.owner_of(agent, kind, resource_id) != owner:
                raise OwnedByAnother(f"{kind} {resource_id} belongs to another user") from None

    def owner_of(self, agent: str, kind: str, resource_id: str) -> str | None:
        with self.db.session() as s:
            row = s.get(OwnerRow, (agent, kind, resource_id))
            return row.owner if row is not None else None

    def owned(self, agent: str, kind: str, owner: str, *, limit: int = 50,
              after: str | None = None) -> list[str]:
        """The ids of ``owner``'s resources of ``kind``, in id order, a page at a time."""
        query = (select(OwnerRow.resource_id)
                 .where(OwnerRow.agent == agent, OwnerRow.kind == kind, OwnerRow.owner == owner)
                 .order_by(OwnerRow.resource_id).limit(limit))
        if after:
            query = query.where(OwnerRow.resource_id > after)
        with self.db.session() as s:
            return list(s.scalars(query))
