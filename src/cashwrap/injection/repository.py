"""The injection records: claimed first, read on a conflict, never updated."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import sql
from cashwrap.injection.models import OrderInjection

INJECTIONS = cast(Table, OrderInjection.__table__)


def _claim(dialect_insert: Any) -> Any:
    return (
        dialect_insert(INJECTIONS)
        .on_conflict_do_nothing(index_elements=["tenant", "external_id"])
        .returning(INJECTIONS.c.external_id)
    )


# Built once and run on the driver (cashwrap.core.sql): the injection hot path.
_CLAIM = {
    False: sql.Statement(_claim(sqlite.insert)),
    True: sql.Statement(_claim(postgresql.insert)),
}
_GET = select(
    INJECTIONS.c.fingerprint, INJECTIONS.c.order_id, INJECTIONS.c.status, INJECTIONS.c.response
)


async def claim(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert the record unless one exists for (tenant, external_id); True when this call did.

    On PostgreSQL a concurrent claim of the same key waits for the first one's transaction: if
    it commits, this one inserts nothing; if it rolls back, this one claims.
    """
    statement = _CLAIM[session.get_bind().dialect.name == "postgresql"]
    return bool(await sql.fetch(session, statement, row))


async def get(session: AsyncSession, tenant: str, external_id: str) -> dict[str, Any] | None:
    row = (
        (
            await session.execute(
                _GET.where(INJECTIONS.c.tenant == tenant, INJECTIONS.c.external_id == external_id)
            )
        )
        .mappings()
        .first()
    )
    return dict(row) if row is not None else None
