"""Paying out a return's refund, with no transaction open during the call, and retrying it.

* ``original`` — the payment domain's refund operation on the order's payment account: planned
  and reserved when the return is recorded, executed here, recorded with
  ``payment_account.amount_refunded`` (by the payment domain) in the same transaction that
  records the refund's status on the return and the order's payment status.
* ``external`` — the built-in placeholder adapter answers the refund as done without any call;
  the platform books it on the account of the return's own order and publishes
  ``payment_account.amount_refunded`` with ``payment_method: external`` for the external OMS to
  pay out.

The refund's status moves only through the guarded update of :data:`REFUND_LIFECYCLE`: of two
requests finishing the same refund, one wins and the other gets 409 and writes nothing (the
payment operation is keyed, so neither pays twice).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import NotFound
from cashwrap.core.states import transition
from cashwrap.core.uow import Database
from cashwrap.events import outbox
from cashwrap.orders import service as orders
from cashwrap.orders.states import PaymentStatus
from cashwrap.outbound import payments as outbound
from cashwrap.outbound.http import OutboundHttp
from cashwrap.payments import service as payments
from cashwrap.returns import events, repository
from cashwrap.returns.service.reading import ReturnView, belongs_to, payment_account_id, view
from cashwrap.returns.states import REFUND_LIFECYCLE, RefundStatus

_STATES = {
    "succeeded": RefundStatus.REFUNDED,
    "partial": RefundStatus.PARTIAL,
    "failed": RefundStatus.FAILED,
    "unknown": RefundStatus.PENDING,
}


def idempotency_key(return_id: str, attempt: int) -> str:
    """One key per attempt: a repeat of an unknown outcome reuses it, a retry after a definite
    refusal takes the next one."""
    return f"return:{return_id}:refund:{attempt}"


async def pay_out(
    database: Database,
    tenant: str,
    row: dict[str, Any],
    *,
    current: RefundStatus,
    operation: payments.Operation | None,
    providers: payments.Providers | None,
) -> ReturnView:
    """Refund what the return still owes and record the outcome (no transaction may be open)."""
    if row["refund_method"] == "original":
        assert operation is not None
        assert providers is not None
        executed = await payments.execute(operation, providers)
        async with database.transaction() as session:
            result = await payments.record(session, executed)
            target = _STATES[result.state]
            refusal = result.refusal
            outcome = {
                "operation_id": result.operation_id,
                "state": result.state,
                "error_code": refusal.error_code if refusal else None,
                "message": refusal.describe() if refusal else None,
            }
            if result.account_status is not None and result.state != "unknown":
                await orders.set_payment_status(
                    session, tenant, row["order_id"], PaymentStatus(result.account_status)
                )
            return await _finish(session, tenant, row, current, target, result.refunded, outcome)
    owed = row["total_refund_amount"] - row["refunded_amount"]
    account_id = payment_account_id(row)
    answer = await outbound.payment_provider("external", None).refund(
        idempotency_key=idempotency_key(row["id"], row["refund_attempt"]),
        identifier=f"{account_id}.external",
        amount=owed,
        currency=row["currency"],
        reason=f"return {row['id']}",
    )
    async with database.transaction() as session:
        if isinstance(answer, outbound.Approved):
            await outbox.record(
                session,
                tenant=tenant,
                payload=events.external_refunded(
                    row, account_id, answer.transactions, at=clock.now()
                ),
                entity_type="payment_account",
                entity_id=account_id,
            )
            return await _finish(
                session, tenant, row, current, RefundStatus.REFUNDED, owed, {"state": "succeeded"}
            )
        return await _finish(
            session,
            tenant,
            row,
            current,
            RefundStatus.FAILED,
            0,
            {"state": "failed", "error_code": "refund_failed", "message": repr(answer)},
        )


async def retry(
    database: Database, http: OutboundHttp, tenant: str, order_key: str, return_id: str
) -> ReturnView:
    """Pay out what a return still owes. A refunded return answers as it is (no call); an
    unknown outcome is repeated with the same key; a failed or partial refund is retried with
    the next key for what is still owed."""
    async with database.transaction() as session:
        row = await repository.get_return(session, tenant, return_id, for_update=True)
        if row is None or not belongs_to(row, order_key):
            raise NotFound(f"order {order_key} has no return {return_id}", code="return_not_found")
        status = RefundStatus(row["refund_status"])
        if status is RefundStatus.REFUNDED:
            items = await repository.items_of(session, [return_id])
            return view(row, items[return_id])
        if status in (RefundStatus.FAILED, RefundStatus.PARTIAL):
            attempt = row["refund_attempt"] + 1
            await transition(
                session,
                repository.returns_table,
                lifecycle=REFUND_LIFECYCLE,
                row_id=return_id,
                current=status,
                target=RefundStatus.REQUESTED,
                status_column="refund_status",
                values={"refund_attempt": attempt, "updated_at": clock.now()},
            )
            row = {**row, "refund_attempt": attempt, "refund_status": RefundStatus.REQUESTED}
            status = RefundStatus.REQUESTED
        operation = chosen = None
        if row["refund_method"] == "original":
            operation = await payments.prepare(
                session,
                tenant,
                account_id=row["order_id"],
                kind="refund",
                idempotency_key=idempotency_key(return_id, row["refund_attempt"]),
                amount=row["total_refund_amount"] - row["refunded_amount"],
                reason=f"return {return_id}",
            )
            chosen = await payments.providers(session, tenant, http)
    return await pay_out(
        database, tenant, row, current=status, operation=operation, providers=chosen
    )


async def read(database: Database, tenant: str, return_id: str) -> ReturnView:
    async with database.transaction() as session:
        row = await repository.get_return(session, tenant, return_id)
        assert row is not None, "read() is given the id of a return just written"
        items = await repository.items_of(session, [return_id])
    return view(row, items[return_id])


async def _finish(
    session: AsyncSession,
    tenant: str,
    row: dict[str, Any],
    current: RefundStatus,
    target: RefundStatus,
    refunded: int,
    outcome: dict[str, Any],
) -> ReturnView:
    """Record the refund's outcome on the return (guarded) and answer the return."""
    values = {
        "refunded_amount": row["refunded_amount"] + refunded,
        "refund_outcome": outcome,
        "updated_at": clock.now(),
    }
    if target is not current:
        await transition(
            session,
            repository.returns_table,
            lifecycle=REFUND_LIFECYCLE,
            row_id=row["id"],
            current=current,
            target=target,
            status_column="refund_status",
            values=values,
        )
    else:
        await repository.update_return(session, row["id"], values)
    if target is RefundStatus.REFUNDED:
        await orders.set_payment_status(
            session, tenant, row["return_order_id"], PaymentStatus.REFUNDED
        )
    after = {**row, **values, "refund_status": str(target)}
    items = await repository.items_of(session, [row["id"]])
    return view(after, items[row["id"]])
