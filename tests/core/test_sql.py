"""Statements run on the driver (``cashwrap.core.sql``) inside the session's transaction, on
SQLite and PostgreSQL alike: committed and rolled back with it, read back by the ORM as written,
and failing with SQLAlchemy's own errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import bindparam, func, insert, literal, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock, sql
from cashwrap.core.errors import DatabaseUnavailable
from cashwrap.core.uow import Database
from cashwrap.injection.repository import INJECTIONS
from cashwrap.tenants import service as tenants
from tests.support import databases
from tests.support.silent_network import SilentNetwork

_INSERT = sql.Statement(insert(INJECTIONS))
_BY_KEY = sql.Statement(
    select(INJECTIONS.c.external_id, INJECTIONS.c.created_at, INJECTIONS.c.status).where(
        INJECTIONS.c.tenant == bindparam("tenant"),
        INJECTIONS.c.external_id == bindparam("external_id"),
    )
)


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with databases.fresh_database(tmp_path_factory.mktemp("sql"), "sql") as url:
        yield url


def run(url: str, work: Any) -> Any:
    async def main() -> Any:
        database = Database(url, pool_size=2)
        try:
            async with database.transaction() as session:
                tenant = (await tenants.create_tenant(session, f"t-{uuid.uuid4().hex[:8]}")).tenant
            return await work(database, tenant)
        finally:
            await database.dispose()

    return asyncio.run(main())


def record(tenant: str, external_id: str, moment: datetime | None = None) -> dict[str, Any]:
    return {
        "tenant": tenant,
        "external_id": external_id,
        "fingerprint": "f" * 64,
        "order_id": str(uuid.uuid4()),
        "status": 200,
        "response": "{}",
        "created_at": moment or clock.now(),
    }


async def stored(database: Database, tenant: str) -> list[str]:
    async with database.transaction() as session:
        rows = await session.execute(
            select(INJECTIONS.c.external_id)
            .where(INJECTIONS.c.tenant == tenant)
            .order_by(INJECTIONS.c.external_id)
        )
        return [row[0] for row in rows]


def test_rows_commit_with_the_session_and_the_orm_reads_them_back(database_url: str) -> None:
    moment = datetime(2026, 3, 1, 10, 15, 0, 123456, tzinfo=UTC)

    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "A", moment), record(tenant, "B")])
            ((external_id, created_at, status),) = await sql.fetch(
                session, _BY_KEY, {"tenant": tenant, "external_id": "A"}
            )
            assert (external_id, clock.as_utc(created_at), status) == ("A", moment, 200)
        assert await stored(database, tenant) == ["A", "B"]

    run(database_url, work)


async def fail_after(database: Database, write: Callable[[AsyncSession], Awaitable[Any]]) -> None:
    """Run ``write`` in a transaction whose handler then fails."""

    async def write_then_fail() -> None:
        async with database.transaction() as session:
            await write(session)
            raise RuntimeError("the handler failed after the write")

    with pytest.raises(RuntimeError):
        await write_then_fail()


def test_rows_roll_back_with_the_session(database_url: str) -> None:
    async def work(database: Database, tenant: str) -> None:
        await fail_after(database, lambda s: sql.execute(s, _INSERT, [record(tenant, "A")]))
        assert await stored(database, tenant) == []

    run(database_url, work)


def test_a_constraint_violation_is_sqlalchemys_integrity_error(database_url: str) -> None:
    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "A")])
        with pytest.raises(IntegrityError):
            async with database.transaction() as session:
                await sql.execute(session, _INSERT, [record(tenant, "A")])
        assert await stored(database, tenant) == ["A"]

    run(database_url, work)


def test_an_expanding_in_list_is_refused_when_compiled(database_url: str) -> None:
    statement = sql.Statement(
        select(INJECTIONS.c.external_id).where(INJECTIONS.c.tenant.in_(["a"]))
    )

    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            with pytest.raises(ValueError, match="one parameter per value"):
                await sql.fetch(session, statement)

    run(database_url, work)


def test_many_rows_are_written_in_multi_row_inserts_all_of_them(database_url: str) -> None:
    count = sql.ROWS_PER_INSERT * 2 + 5

    async def work(database: Database, tenant: str) -> None:
        names = [f"K{number:03d}" for number in range(count)]
        async with database.transaction() as session:
            written = await sql.execute(session, _INSERT, [record(tenant, name) for name in names])
        assert written == count
        assert await stored(database, tenant) == names

    run(database_url, work)


def test_a_statement_alone_commits_by_itself_while_a_transaction_stays_open(
    database_url: str,
) -> None:
    returning = sql.Statement(insert(INJECTIONS).returning(INJECTIONS.c.external_id))

    async def work(database: Database, tenant: str) -> None:
        if database.is_sqlite:
            # One writer at a time: a statement alone waits for an open write transaction.
            assert await sql.fetch_alone(database.engine, returning, record(tenant, "A")) == [
                ("A",)
            ]
            assert await stored(database, tenant) == ["A"]
            return
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "B")])
            written = await sql.fetch_alone(database.engine, returning, record(tenant, "A"))
            assert written == [("A",)]
            # Committed at once: another connection sees it before the transaction ends.
            assert await stored(database, tenant) == ["A"]
        assert await stored(database, tenant) == ["A", "B"]
        with pytest.raises(IntegrityError):
            await sql.fetch_alone(database.engine, returning, record(tenant, "A"))

    run(database_url, work)


def test_a_write_alone_is_committed_when_it_returns_and_a_violation_is_an_integrity_error(
    database_url: str,
) -> None:
    async def work(database: Database, tenant: str) -> None:
        assert await sql.execute_alone(database.engine, _INSERT, record(tenant, "A")) == 1
        # Committed: a connection of its own reads it, and no transaction holds the pool's.
        assert await stored(database, tenant) == ["A"]
        with pytest.raises(IntegrityError):
            await sql.execute_alone(database.engine, _INSERT, record(tenant, "A"))
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "B")])
        assert await stored(database, tenant) == ["A", "B"]

    run(database_url, work)


# --- inserts sent later ------------------------------------------------------------------------

_ONE = sql.Statement(select(literal(1)))


def test_rows_sent_later_are_committed_and_read_back_in_the_transaction(database_url: str) -> None:
    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            await sql.insert_later(session, _INSERT, [record(tenant, "A"), record(tenant, "B")])
            # A driver statement on the same table, and an ORM query, find them.
            assert await sql.fetch(session, _BY_KEY, {"tenant": tenant, "external_id": "A"})
            await sql.insert_later(session, _INSERT, [record(tenant, "C")])
            found = await session.scalars(
                select(INJECTIONS.c.external_id).where(INJECTIONS.c.tenant == tenant)
            )
            assert sorted(found) == ["A", "B", "C"]
            # Waiting at the commit: sent before it.
            await sql.insert_later(session, _INSERT, [record(tenant, "D")])
            assert await sql.fetch(session, _ONE) == [(1,)]
            await sql.insert_later(session, _INSERT, [record(tenant, "E")])
        assert await stored(database, tenant) == ["A", "B", "C", "D", "E"]

    run(database_url, work)


_SET_STATUS = sql.Statement(
    update(INJECTIONS)
    .where(
        INJECTIONS.c.tenant == bindparam("tenant"),
        INJECTIONS.c.external_id == bindparam("external_id"),
    )
    .values(status=bindparam("status"))
)


def test_an_update_sent_later_goes_with_the_next_statement_and_rolls_back_with_it(
    database_url: str,
) -> None:
    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "A"), record(tenant, "B")])
        async with database.transaction() as session:
            await sql.run_later(
                session, _SET_STATUS, {"tenant": tenant, "external_id": "A", "status": 409}
            )
            # Carried by a statement on another table; seen by the transaction's next reads.
            assert await sql.fetch(session, _ONE) == [(1,)]
            assert (await sql.fetch(session, _BY_KEY, {"tenant": tenant, "external_id": "A"}))[0][
                2
            ] == 409
            # Waiting at the commit: sent before it.
            await sql.run_later(
                session, _SET_STATUS, {"tenant": tenant, "external_id": "B", "status": 410}
            )
        await fail_after(
            database,
            lambda s: sql.run_later(
                s, _SET_STATUS, {"tenant": tenant, "external_id": "A", "status": 500}
            ),
        )

        async with database.transaction() as session:
            statuses = [
                (await sql.fetch(session, _BY_KEY, {"tenant": tenant, "external_id": key}))[0][2]
                for key in ("A", "B")
            ]
        assert statuses == [409, 410]

    run(database_url, work)


def test_rows_sent_later_roll_back_with_the_transaction_not_with_a_savepoint(
    database_url: str,
) -> None:
    async def work(database: Database, tenant: str) -> None:
        await fail_after(database, lambda s: sql.insert_later(s, _INSERT, [record(tenant, "A")]))
        assert await stored(database, tenant) == []

        async def queue_in_a_savepoint_then_fail(session: AsyncSession) -> None:
            async with session.begin_nested():
                await sql.insert_later(session, _INSERT, [record(tenant, "C")])
                raise RuntimeError("the savepoint rolls back")

        async with database.transaction() as session:
            await sql.insert_later(session, _INSERT, [record(tenant, "B")])
            with pytest.raises(RuntimeError):
                await queue_in_a_savepoint_then_fail(session)
        # Queued before the savepoint: kept; queued inside it: gone with it.
        assert await stored(database, tenant) == ["B"]

    run(database_url, work)


def test_a_violation_by_a_row_sent_later_is_not_the_next_statements_integrity_error(
    database_url: str,
) -> None:
    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "A")])

        async def queue_a_duplicate() -> None:
            async with database.transaction() as session:
                await sql.insert_later(session, _INSERT, [record(tenant, "A")])
                await sql.fetch(session, _ONE)

        with pytest.raises(DBAPIError) as raised:
            await queue_a_duplicate()
        # A caller catching IntegrityError for its own statement must not take this for its own.
        assert not isinstance(raised.value, IntegrityError)
        assert await stored(database, tenant) == ["A"]

    run(database_url, work)


class _Taken(Exception):
    """What a caller answers when its queued row's key is taken (as a duplicate order number)."""


def test_rows_queued_with_a_refusal_raise_it_whichever_statement_sends_them(
    database_url: str,
) -> None:
    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "A")])

        async def queue_a_taken_key(sent_by: str) -> None:
            async with database.transaction() as session:
                await sql.insert_later(session, _INSERT, [record(tenant, "B")])
                await sql.insert_later(
                    session, _INSERT, [record(tenant, "A")], refusal=_Taken("A is taken")
                )
                if sent_by == "the next statement":
                    await sql.fetch(session, _ONE)
                elif sent_by == "a statement on the same table":
                    await sql.fetch(session, _BY_KEY, {"tenant": tenant, "external_id": "B"})
                # else: the commit sends them

        for sent_by in ("the next statement", "a statement on the same table", "the commit"):
            with pytest.raises(_Taken, match="A is taken"):
                await queue_a_taken_key(sent_by)
        # Each transaction rolled back whole: the row queued before the refused one too.
        assert await stored(database, tenant) == ["A"]

        # A violation that is not of a unique key is still a bug's DBAPIError, not the answer.
        async def queue_a_row_without_its_tenant() -> None:
            async with database.transaction() as session:
                await sql.insert_later(
                    session, _INSERT, [record("no-such-tenant", "C")], refusal=_Taken("taken")
                )

        with pytest.raises(DBAPIError) as raised:
            await queue_a_row_without_its_tenant()
        assert not isinstance(raised.value, IntegrityError)

    run(database_url, work)


def test_a_transaction_whose_commit_is_refused_leaves_its_connection_clean(
    database_url: str,
) -> None:
    async def work(database: Database, tenant: str) -> None:
        async def refused_at_commit() -> None:
            async with database.transaction() as session:
                await sql.insert_later(session, _INSERT, [record(tenant, "A")])
                await sql.insert_later(
                    session, _INSERT, [record(tenant, "A")], refusal=_Taken("A is taken")
                )

        for _ in range(3):
            with pytest.raises(_Taken):
                await refused_at_commit()
        # Every pooled connection serves the transactions after them (the pool hands them out
        # in turn): none is left inside the refused transaction.
        for number in range(12):
            async with database.transaction() as session:
                await sql.execute(session, _INSERT, [record(tenant, f"N{number:02}")])
        assert await stored(database, tenant) == [f"N{number:02}" for number in range(12)]

    run(database_url, work)


_BACKEND = sql.Statement(select(func.pg_backend_pid().label("pid")))


@pytest.mark.skipif(not databases.kind().startswith("postgres"), reason="a database server to lose")
def test_a_connection_lost_mid_transaction_is_database_unavailable_and_not_reused(
    database_url: str,
) -> None:
    async def work(database: Database, tenant: str) -> None:
        async def lose_connection(on_driver: bool) -> None:
            async with database.transaction() as session:
                [(pid,)] = await sql.fetch(session, _BACKEND)
                await sql.insert_later(session, _INSERT, [record(tenant, "lost")])
                await databases.postgres_admin("SELECT pg_terminate_backend($1)", pid)
                if on_driver:
                    await sql.fetch(session, _BY_KEY, {"tenant": tenant, "external_id": "x"})
                else:
                    await session.execute(select(literal(1)))

        # On the driver (core.sql), then through SQLAlchemy (the ORM's own statements).
        for lose_on_driver in (True, False):
            with pytest.raises(DatabaseUnavailable):
                await lose_connection(lose_on_driver)
            # The rows of the lost transaction are gone; every connection the pool hands out
            # next works, the lost one among them were it handed out again.
            for number in range(4):
                async with database.transaction() as session:
                    row = record(tenant, f"{lose_on_driver}{number}")
                    await sql.execute(session, _INSERT, [row])
        assert await stored(database, tenant) == sorted(
            f"{flag}{number}" for flag in (True, False) for number in range(4)
        )

    run(database_url, work)


_LOCK_RECORD_QUERY = (
    select(INJECTIONS.c.external_id)
    .where(
        INJECTIONS.c.tenant == bindparam("tenant"),
        INJECTIONS.c.external_id == bindparam("external_id"),
    )
    .with_for_update()
)
_LOCK_RECORD = sql.Statement(_LOCK_RECORD_QUERY)


@pytest.mark.skipif(not databases.kind().startswith("postgres"), reason="SQLite has no deadlocks")
def test_a_deadlock_is_database_busy_and_the_survivor_commits(database_url: str) -> None:
    """Two transactions lock two rows in opposite orders: PostgreSQL rolls one back, which is a
    503 ``database_busy`` (the same request again is the cure), not an internal error — on the
    driver (core.sql) and through SQLAlchemy alike."""

    async def work(database: Database, tenant: str) -> None:
        async with database.transaction() as session:
            await sql.execute(session, _INSERT, [record(tenant, "A"), record(tenant, "B")])

        async def lock(first: str, second: str, on_driver: bool, both_hold: asyncio.Barrier) -> str:
            async with database.transaction() as session:
                await sql.fetch(session, _LOCK_RECORD, {"tenant": tenant, "external_id": first})
                await both_hold.wait()
                values = {"tenant": tenant, "external_id": second}
                if on_driver:
                    await sql.fetch(session, _LOCK_RECORD, values)
                else:
                    await session.execute(_LOCK_RECORD_QUERY, values)
            return first

        for on_driver in (True, False):
            both_hold = asyncio.Barrier(2)
            outcomes = await asyncio.gather(
                lock("A", "B", on_driver, both_hold),
                lock("B", "A", on_driver, both_hold),
                return_exceptions=True,
            )
            refused = [o for o in outcomes if isinstance(o, BaseException)]
            assert len(refused) == 1, outcomes
            assert isinstance(refused[0], DatabaseUnavailable), refused
            assert refused[0].error_code == "database_busy"
            assert refused[0].headers == {"Retry-After": "1"}

    run(database_url, work)


@pytest.mark.skipif(not databases.kind().startswith("postgres"), reason="a network to lose")
@pytest.mark.parametrize("silent_at", ["driver", "orm", "commit"])
def test_a_statement_without_an_answer_is_database_unavailable_after_the_timeout(
    database_url: str, silent_at: str
) -> None:
    """The network goes silent (no reset): the statement waiting — on the driver (core.sql),
    through SQLAlchemy, or the commit — gives up after the statement timeout, its connection
    is dropped, and once the network speaks again the pool serves fresh ones."""

    async def work(network: SilentNetwork) -> None:
        database = Database(network.url, pool_size=2, pool_timeout=2.0, statement_timeout=1.0)
        try:
            async with database.transaction() as session:
                tenant = (await tenants.create_tenant(session, f"t-{uuid.uuid4().hex[:8]}")).tenant

            async def silenced() -> None:
                async with database.transaction() as session:
                    await sql.fetch(session, _BACKEND)
                    if silent_at != "commit":
                        network.go_silent()
                    if silent_at == "driver":
                        await sql.fetch(session, _BY_KEY, {"tenant": tenant, "external_id": "x"})
                    elif silent_at == "orm":
                        await session.execute(select(literal(1)))
                    else:
                        await sql.insert_later(session, _INSERT, [record(tenant, "silent")])
                        network.go_silent()

            started = asyncio.get_running_loop().time()
            with pytest.raises(DatabaseUnavailable) as raised:
                await silenced()
            assert raised.value.error_code == "database_unavailable"
            assert asyncio.get_running_loop().time() - started < 4
            network.speak_again()
            for number in range(3):
                async with database.transaction() as session:
                    await sql.execute(session, _INSERT, [record(tenant, f"after{number}")])
            assert await stored(database, tenant) in (
                ["after0", "after1", "after2"],
                ["after0", "after1", "after2", "silent"],  # the commit may have gone through
            )
        finally:
            network.speak_again()
            await database.dispose()

    with SilentNetwork(database_url) as network:
        asyncio.run(work(network))
