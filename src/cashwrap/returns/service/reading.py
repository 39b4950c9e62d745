"""Reading returns: one, or all of an order's, as the returns API shows them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import NotFound
from cashwrap.core.money import to_wire
from cashwrap.orders import service as orders
from cashwrap.returns import repository
from cashwrap.returns.schemas import Refund, ReturnedItem, ReturnResponse

ReturnView = ReturnResponse

_ORDER_KEYS = ("order_id", "order_number", "return_order_id", "return_order_number")


def belongs_to(row: Mapping[str, Any], order_key: str) -> bool:
    """Whether ``order_key`` names the order of this return (or the order it created)."""
    return any(row[key] == order_key for key in _ORDER_KEYS)


async def list_returns(session: AsyncSession, tenant: str, order_key: str) -> list[ReturnView]:
    """The returns of an order, oldest first. An order of the platform without returns has an
    empty list; a key that names neither a return nor a platform order is 404."""
    rows = await repository.returns_of_order(session, tenant, order_key)
    if not rows:
        await orders.find_order(session, tenant, order_key)  # 404 order_not_found
        return []
    items = await repository.items_of(session, [row["id"] for row in rows])
    return [view(row, items[row["id"]]) for row in rows]


async def get_return(
    session: AsyncSession, tenant: str, order_key: str, return_id: str
) -> ReturnView:
    row = await repository.get_return(session, tenant, return_id)
    if row is None or not belongs_to(row, order_key):
        raise NotFound(f"order {order_key} has no return {return_id}", code="return_not_found")
    items = await repository.items_of(session, [return_id])
    return view(row, items[return_id])


def view(row: Mapping[str, Any], items: Sequence[Mapping[str, Any]]) -> ReturnView:
    currency = row["currency"]

    def money(amount: int) -> float:
        return to_wire(amount, currency)

    total, tax = row["total_refund_amount"], row["total_refund_tax"]
    outcome = row["refund_outcome"] or {}
    return ReturnResponse(
        id=row["id"],
        kind=row["kind"],
        origin=row["origin"],
        order_id=row["order_id"],
        order_number=row["order_number"],
        return_order_id=row["return_order_id"],
        return_order_number=row["return_order_number"],
        returned_from=row["returned_from"],
        store_id=row["store_id"],
        returned_at=clock.isoformat(clock.as_utc(row["returned_at"])),
        associate_id=row["associate_id"],
        associate_email=row["associate_email"],
        customer_id=row["customer_id"],
        customer_email=row["customer_email"],
        currency=currency,
        total_refund_amount=money(total),
        total_refund_excl_tax=money(total - tax),
        total_refund_tax=money(tax),
        return_fee=money(row["return_fee"]),
        note=row["note"],
        items=[
            ReturnedItem(
                id=item["id"],
                order_item_id=item["order_item_id"],
                return_order_item_id=item["return_order_item_id"],
                product_id=item["product_id"],
                product_name=item["product_name"],
                refund_amount=money(item["refund_amount"]),
                refund_excl_tax=money(item["refund_amount"] - item["refund_tax"]),
                refund_tax=money(item["refund_tax"]),
                return_reason=item["return_reason"],
                return_code=item["return_code"],
                item_condition=item["item_condition"],
                condition_code=item["condition_code"],
                restocked=item["restocked"],
            )
            for item in items
        ],
        refund=Refund(
            id=row["refund_request_id"],
            method=row["refund_method"],
            status=row["refund_status"],
            amount=money(total),
            refunded_amount=money(row["refunded_amount"]),
            payment_account_id=payment_account_id(row),
            attempt=row["refund_attempt"],
            error_code=outcome.get("error_code"),
            message=outcome.get("message"),
        ),
    )


def payment_account_id(row: Mapping[str, Any]) -> str:
    """``original`` refunds the order's own account; every other method books the refund on
    the account of the order the return created."""
    if row["refund_method"] == "original" and row["order_id"] is not None:
        return str(row["order_id"])
    return str(row["return_order_id"])
