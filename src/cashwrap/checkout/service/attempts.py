"""The idempotency of a checkout: one attempt row per ``Idempotency-Key``.

A checkout writes its attempt (``in_progress``, with the order id and order number it will use
and a lease) in the same transaction that claims the cart. What happens to a request with a key
already written:

=================================  ============================================================
the attempt is                     the request
=================================  ============================================================
``succeeded`` / ``failed``         gets the stored answer (same status, same body)
``in_progress`` (lease running)    waits for it (≤ 30 s), then gets its answer — so a checkout
                                   submitted twice at once makes one order and both requests
                                   answer the same; past the wait: 409 ``checkout_in_progress``
``in_progress`` (lease expired)    takes it over: its process died
``unknown``                        resumes it: a payment's outcome was not known; asking again
                                   with the same provider keys learns it without paying twice
deleted                            starts afresh (a failure before any money moved deletes the
                                   attempt so that the same key may be retried)
=================================  ============================================================

A key used with another cart or body is 409 ``idempotency_key_reused``. Race: two requests
inserting one key conflict on the unique index; the loser's transaction rolls back (nothing it
did stays) and it waits as above. On PostgreSQL its insert blocks until the winner commits.
The attempt's row goes with the transaction's first statement, the cart's read ``FOR UPDATE``
(``core.sql.insert_later``): one round trip fewer for every checkout. Two requests for one cart
then meet on the cart's row first, and the second finds the key taken when the first commits.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar, cast

import orjson
from sqlalchemy import RowMapping, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.checkout.models import Cart, CheckoutAttempt
from cashwrap.core import clock, sql
from cashwrap.core.errors import Conflict, DomainError, InvalidInput
from cashwrap.core.ids import new_id
from cashwrap.core.uow import Database

T = TypeVar("T")
Row = Mapping[str, Any] | RowMapping
logger = logging.getLogger("cashwrap.checkout")

attempts_table = cast(Table, CheckoutAttempt.__table__)
carts_table = cast(Table, Cart.__table__)
LEASE_SECONDS = 120.0
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.02
MAX_KEY = 256


@dataclass(frozen=True)
class Attempt:
    id: str
    tenant: str
    idempotency_key: str
    cart_id: str
    order_id: str
    order_number: str | None
    resumed: bool


@dataclass(frozen=True)
class Answer:
    """A checkout's answer: a body to send with ``status``, or a stored problem to replay."""

    status: int
    body: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None
    replayed: bool = False


def request_hash(cart_id: str, body: Mapping[str, Any]) -> str:
    canonical = orjson.dumps({"cart_id": cart_id, "body": body}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def check_key(key: str | None) -> str:
    if not key or len(key) > MAX_KEY or key != key.strip():
        raise InvalidInput(
            f"the Idempotency-Key header is required: 1 to {MAX_KEY} characters, no surrounding "
            "spaces (one key per checkout; send the same key again to repeat it safely)",
            code="idempotency_key_required",
        )
    return key


async def claim(
    database: Database,
    tenant: str,
    *,
    key: str,
    cart_id: str,
    digest: str,
    prepare: Callable[[AsyncSession, Attempt], Awaitable[T]],
) -> tuple[Attempt, T] | Answer:
    """Write (or take over) the attempt and run ``prepare`` in the same transaction, or answer
    what the attempt already answered. ``prepare`` raising rolls everything back."""
    deadline = time.monotonic() + WAIT_SECONDS
    taken = False  # the key was found written by another request: read its attempt
    while True:
        try:
            async with database.transaction() as session:
                if not taken:
                    attempt = Attempt(new_id(), tenant, key, cart_id, new_id(), None, False)
                    await _insert(session, attempt, digest)
                    return attempt, await prepare(session, attempt)
                found = (
                    (
                        await session.execute(
                            select(attempts_table).where(
                                attempts_table.c.tenant == tenant,
                                attempts_table.c.idempotency_key == key,
                            )
                        )
                    )
                    .mappings()
                    .first()
                )
                if found is None:
                    taken = False  # the holder of the key gave it up meanwhile: try again
                else:
                    outcome = await _follow(session, found, key, digest, prepare)
                    if outcome is not None:
                        return outcome
        except _KeyTaken:
            taken = True  # another request wrote the key first: read its attempt at once
            continue
        except IntegrityError:
            pass  # a concurrent write conflicted: wait, then try again
        if time.monotonic() > deadline:
            raise Conflict(
                "a checkout with this Idempotency-Key is still running; repeat the request "
                "to get its answer",
                code="checkout_in_progress",
                headers={"Retry-After": "1"},
            )
        await asyncio.sleep(POLL_SECONDS)


async def _follow(
    session: AsyncSession,
    found: Row,
    key: str,
    digest: str,
    prepare: Callable[[AsyncSession, Attempt], Awaitable[T]],
) -> tuple[Attempt, T] | Answer | None:
    """What a request does with the attempt another one wrote for its key (see the module);
    None: wait for it."""
    if found["request_hash"] != digest:
        raise Conflict(
            f"Idempotency-Key {key!r} was used for another checkout (another cart "
            "or other payments); use a new key for a new checkout",
            code="idempotency_key_reused",
        )
    if found["state"] in ("succeeded", "failed"):
        return _stored(found)
    expired = clock.as_utc(found["lease_until"]) <= clock.now()
    if found["state"] == "unknown" or expired:
        resumed = await _take_over(session, found)
        if resumed is not None:
            return resumed, await prepare(session, resumed)
    return None


async def set_order_number(
    session: AsyncSession, attempt: Attempt, number: str, *, write: bool = True
) -> Attempt:
    """Keep the order number the attempt will use (``write=False``: :func:`finish` writes it,
    in the same transaction)."""
    if write:
        await session.execute(
            update(attempts_table)
            .where(attempts_table.c.id == attempt.id)
            .values(order_number=number)
        )
    return replace(attempt, order_number=number)


async def finish(
    session: AsyncSession, attempt: Attempt, status: int, body: dict[str, Any]
) -> None:
    """Store the answer of a checkout that placed its order (in the order's transaction)."""
    await _store(
        session, attempt, "succeeded", status, {"body": body}, order_number=attempt.order_number
    )


async def abandon(database: Database, attempt: Attempt) -> None:
    """Nothing was taken: forget the attempt and give the cart back (the key may be reused)."""
    try:
        async with database.transaction() as session:
            await session.execute(delete(attempts_table).where(attempts_table.c.id == attempt.id))
            await _release_cart(session, attempt)
    except Exception:
        logger.exception("a checkout attempt could not be abandoned", extra={"key": attempt.id})


async def fail(database: Database, attempt: Attempt, error: DomainError) -> bool:
    """Store a failure answer and give the cart back; False when the attempt is no longer in
    progress (its order was placed after all: a commit that raised yet went through) or the
    failure could not be written (it then stays ``in_progress`` and is taken over after its
    lease) — either way nothing paid may be given back."""
    try:
        async with database.transaction() as session:
            if not await _store(
                session, attempt, "failed", error.status, {"problem": problem(error)}
            ):
                return False
            await _release_cart(session, attempt)
    except Exception:
        logger.exception("a failed checkout could not be recorded", extra={"key": attempt.id})
        return False
    return True


async def suspend(database: Database, attempt: Attempt, error: DomainError) -> None:
    """A payment's outcome is unknown: keep the cart and the attempt for a repeat to resume."""
    try:
        async with database.transaction() as session:
            await _store(session, attempt, "unknown", error.status, {"problem": problem(error)})
    except Exception:
        logger.exception("a suspended checkout could not be recorded", extra={"key": attempt.id})


def problem(error: DomainError) -> dict[str, Any]:
    return {
        "status": error.status,
        "error_code": error.error_code,
        "message": error.message,
        "messages": error.messages,
        "extra": error.extra,
        "headers": error.headers,
    }


class _KeyTaken(Exception):
    """The attempt's key was written by another request (raised by the statement that sends
    the attempt's row; its transaction rolls back)."""


async def _insert(session: AsyncSession, attempt: Attempt, digest: str) -> None:
    """Queue the attempt's row for the transaction's next statement; a key already written
    raises :class:`_KeyTaken` from there (on PostgreSQL after a concurrent writer of the key
    commits)."""
    now = clock.now()
    row = {
        "id": attempt.id,
        "tenant": attempt.tenant,
        "idempotency_key": attempt.idempotency_key,
        "cart_id": attempt.cart_id,
        "request_hash": digest,
        "state": "in_progress",
        "order_id": attempt.order_id,
        "order_number": None,
        "lease_until": now + timedelta(seconds=LEASE_SECONDS),
        "response_status": None,
        "response": None,
        "created_at": now,
        "updated_at": now,
    }
    await sql.insert_later(session, _INSERT, [row], refusal=_KeyTaken(attempt.idempotency_key))


# Built once: every checkout writes its attempt, then its answer.
_STORE = sql.Statement(
    update(attempts_table)
    .where(attempts_table.c.id == bindparam("attempt_id"), attempts_table.c.state == "in_progress")
    .values(
        state=bindparam("state"),
        response_status=bindparam("response_status"),
        response=bindparam("response"),
        updated_at=bindparam("updated_at"),
        order_number=func.coalesce(bindparam("order_number"), attempts_table.c.order_number),
    )
)
_INSERT = sql.Statement(insert(attempts_table))


async def _take_over(session: AsyncSession, found: Row) -> Attempt | None:
    """Move an unknown or expired attempt back to ``in_progress`` under a new lease, unless
    another request did first (the conditional update then matches nothing)."""
    now = clock.now()
    result = await session.execute(
        update(attempts_table)
        .where(
            attempts_table.c.id == found["id"],
            attempts_table.c.state == found["state"],
            attempts_table.c.lease_until == found["lease_until"],
        )
        .values(
            state="in_progress",
            lease_until=now + timedelta(seconds=LEASE_SECONDS),
            updated_at=now,
        )
    )
    if getattr(result, "rowcount", 0) != 1:
        return None
    return Attempt(
        id=found["id"],
        tenant=found["tenant"],
        idempotency_key=found["idempotency_key"],
        cart_id=found["cart_id"],
        order_id=found["order_id"],
        order_number=found["order_number"],
        resumed=True,
    )


async def _store(
    session: AsyncSession,
    attempt: Attempt,
    state: str,
    status: int,
    response: dict[str, Any],
    **values: Any,
) -> bool:
    """False when the attempt was no longer in progress (nothing changed)."""
    stored = await sql.run(
        session,
        _STORE,
        {
            "attempt_id": attempt.id,
            "state": state,
            "response_status": status,
            "response": response,
            "updated_at": clock.now(),
            "order_number": values.get("order_number", attempt.order_number),
        },
    )
    return stored > 0


async def _release_cart(session: AsyncSession, attempt: Attempt) -> None:
    await session.execute(
        update(carts_table)
        .where(
            carts_table.c.id == attempt.cart_id,
            carts_table.c.state == "checking_out",
            carts_table.c.checkout_key == attempt.idempotency_key,
        )
        .values(state="open", checkout_key=None, updated_at=clock.now())
    )


def _stored(found: Row) -> Answer:
    response: dict[str, Any] = found["response"] or {}
    status = int(found["response_status"] or 500)
    if "problem" in response:
        return Answer(status=status, problem=response["problem"], replayed=True)
    return Answer(status=status, body=response.get("body"), replayed=True)
