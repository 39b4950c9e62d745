"""Lifecycles as data, and the one guarded way to move a row from one status to another.

A status changes only through :func:`transition`: one ``UPDATE … WHERE id = :id AND status =
:expected``. Two requests racing to move the same row both read the same current status; the
database lets exactly one of them match the ``WHERE`` and the other updates no row, which we turn
into a 409 instead of letting it overwrite the winner's move.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import sql
from cashwrap.core.errors import InvalidTransition


@dataclass(frozen=True)
class Lifecycle:
    """The allowed moves of one status dimension (order, item, payment, fulfillment request…)."""

    name: str
    moves: Mapping[str, frozenset[str]]

    def allows(self, current: str, target: str) -> bool:
        return target in self.moves.get(current, frozenset())

    def check(self, current: str, target: str) -> None:
        if not self.allows(current, target):
            current, target = str(current), str(target)  # a StrEnum's repr is not for people
            raise InvalidTransition(
                f"{self.name} cannot move from {current!r} to {target!r}",
                extra={"current_status": current, "target_status": target},
            )

    @property
    def terminal(self) -> frozenset[str]:
        return frozenset(status for status, targets in self.moves.items() if not targets)


def lifecycle(name: str, moves: Mapping[str, set[str] | frozenset[str]]) -> Lifecycle:
    return Lifecycle(name, {status: frozenset(targets) for status, targets in moves.items()})


async def transition(
    session: AsyncSession,
    table: Table,
    *,
    lifecycle: Lifecycle,
    row_id: Any,
    current: str,
    target: str,
    status_column: str = "status",
    values: Mapping[str, Any] | None = None,
    locked: bool = False,
) -> None:
    """Move one row from ``current`` to ``target``, or raise 409 if someone else moved it first.

    ``locked``: the caller read the row ``FOR UPDATE`` in this transaction and saw it in
    ``current``, so no one else can move it first: the update then goes with the transaction's
    next statement (``core.sql.run_later``) instead of a round trip of its own.
    """
    lifecycle.check(current, target)
    changes = {status_column: target, **(values or {})}
    statement = _guarded_update(table, status_column, tuple(changes))
    arguments = {"row_id": row_id, "current": current} | {
        f"new_{column}": value for column, value in changes.items()
    }
    if locked:
        await sql.run_later(session, statement, arguments)
        return
    moved = await sql.run(session, statement, arguments)
    if moved != 1:
        raise InvalidTransition(
            f"{lifecycle.name} {row_id} is no longer {current!r}; it was changed concurrently",
            code="concurrent_modification",
        )


@functools.cache
def _guarded_update(table: Table, status_column: str, columns: tuple[str, ...]) -> sql.Statement:
    """``UPDATE … SET <columns> WHERE id = :row_id AND <status> = :current``, built and compiled
    once per table and set of columns (statuses move on every hot path)."""
    return sql.Statement(
        update(table)
        .where(
            table.c.id == bindparam("row_id"),
            table.c[status_column] == bindparam("current"),
        )
        .values(
            {column: bindparam(f"new_{column}", type_=table.c[column].type) for column in columns}
        )
    )
