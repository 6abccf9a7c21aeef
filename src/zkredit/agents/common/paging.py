"""Newest-first pages of an agent's rows, for the list routes people read.

A page is ``limit`` rows ordered by ``(created_at, id)`` descending; the next page
starts ``before`` the last id of the one just read. The cursor is an id, not an offset,
so rows created while someone pages do not shift what they see.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from zkredit.errors import InputError

MAX_PAGE = 200

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="rows in this page")]
Before = Annotated[str | None, Query(max_length=64,
                                     description="the last id of the previous page")]


class UnknownCursor(InputError):
    """Raised when ``before`` names no row of the list being paged."""

    http_status = 422


def newest_first(s: Session, model: Any, *filters: Any, limit: int,
                 before: str | None) -> list[Any]:
    """``model`` rows matching ``filters``, newest first, after the cursor ``before``."""
    query = select(model).where(*filters)
    if before is not None:
        anchor = s.get(model, before)
        if anchor is None:
            raise UnknownCursor(f"no row {before!r} to page from: pass the last id of "
                                "the previous page, or omit before for the first page")
        query = query.where(or_(model.created_at < anchor.created_at,
                                and_(model.created_at == anchor.created_at,
                                     model.id < anchor.id)))
    query = query.order_by(model.created_at.desc(), model.id.desc()).limit(limit)
    return list(s.scalars(query))
