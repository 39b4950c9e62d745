"""Taking a return at the till: record it, then refund it.

1. **Locate** the order (platform first, then the external order webhook), with no
   transaction open during the call.
2. **Record** — one transaction: the payment account (referenced returns) and the order are
   locked in that order (as the payment domain records refunds), the units are chosen from
   fresh rows, and then, all or nothing:

   * the return and its units (the unique constraint on ``(tenant, order_ref, item_ref)`` is
     the once-only guard; a platform order's items also move ``complete`` → ``returned``
     through the guarded update of the orders core);
   * the return's own order (``source="return"``, NewStore's "new order for returns"; no
     ``order.created``: the event stream carries the return once, as ``return.processed``);
   * the units back in the store's stock (unless ``restock`` is false);
   * for an ``original`` refund, the payment operation, planned and **reserved** on the
     account (so nothing else can spend it), under the idempotency key
     ``return:<return id>:refund:<attempt>``;
   * ``return.processed`` and ``refund_request.issued``.

   A request that fails any check (more units than can be returned, a refund option the store
   does not offer, more than the account can refund…) changes nothing.
3. **Refund** with no transaction open (:mod:`.refunds`), then record its outcome.

If the refund fails after the return is recorded, the goods stay returned and the return says
so: ``refund.status`` ``failed`` / ``partial`` / ``pending`` (unknown outcome), or ``requested``
if the process stopped before the answer. ``POST …/returns/{id}/refund`` retries it; a repeat
can never pay twice (same key for an unknown outcome, a new key only after a definite
refusal, for what is still owed).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import service as config
from cashwrap.config.schemas import AssociateAppConfig
from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from cashwrap.core.ids import new_id
from cashwrap.core.money import is_currency, to_minor
from cashwrap.core.uow import Database
from cashwrap.events import outbox
from cashwrap.locations import service as locations
from cashwrap.orders import service as orders
from cashwrap.orders.states import IN_STORE_HANDOVER, FulfilledBy, ItemStatus, OrderStatus
from cashwrap.outbound.http import OutboundHttp
from cashwrap.payments import service as payments
from cashwrap.returns import events, repository
from cashwrap.returns.schemas import BlindReturnRequest, ReturnLine, ReturnRequest
from cashwrap.returns.service import refunds, sources
from cashwrap.returns.service.reading import ReturnView
from cashwrap.returns.states import EXECUTED_METHODS, RefundStatus, ReturnKind


@dataclass(frozen=True)
class _Recorded:
    """A return written, and the refund it still owes."""

    row: dict[str, Any]
    operation: payments.Operation | None
    providers: payments.Providers | None


@dataclass(frozen=True)
class _Context:
    """What the configuration says about a return at one store."""

    store_id: str | None
    offered: list[str]
    app: AssociateAppConfig
    order_number_prefix: str


async def take_return(
    database: Database, http: OutboundHttp, tenant: str, order_key: str, request: ReturnRequest
) -> ReturnView:
    """Take back units of the order ``order_key`` (platform id or number, or the OMS's id)."""
    located = await sources.locate(database, http, tenant, order_key)
    async with database.transaction() as session:
        context = await _context(session, tenant, request.returned_from)
        if located.external is not None:
            source = sources.oms_source(located.external)
            method = choose_method(source.kind, request.refund_method, context.offered)
        else:
            assert located.order_id is not None
            peek = await orders.get_order(session, tenant, order_id=located.order_id)
            source = sources.platform_source(peek)
            method = choose_method(source.kind, request.refund_method, context.offered)
            if method == "original":
                # The account first, then the order: the payment domain's recording
                # transaction (the account, then the order's payment status) takes them in
                # this order too, so returns and refunds in flight never wait for each other.
                account = await payments.account_state(
                    session, tenant, located.order_id, for_update=True
                )
                if account is None:
                    raise Conflict(
                        f"order {source.order_number} has no payment in the platform to refund: "
                        "choose another refund method",
                        code="no_original_payment",
                    )
            locked = await orders.get_order(
                session, tenant, order_id=located.order_id, for_update=True
            )
            source = sources.platform_source(locked)
        taken = await repository.returned_refs(session, tenant, source.order_ref)
        chosen = sources.choose_units(source, request.items, taken)
        recorded = await _record(session, http, tenant, request, context, source, chosen, method)
    return await _pay(database, tenant, recorded)


async def take_blind_return(
    database: Database, http: OutboundHttp, tenant: str, request: BlindReturnRequest
) -> ReturnView:
    """Take back units without an order (``blind_return_enabled``): the return's own order has
    the status ``created_for_blind_return``."""
    currency = request.currency.upper()
    if not is_currency(currency):
        raise InvalidInput(f"currency: {request.currency!r} is not an ISO 4217 code")
    async with database.transaction() as session:
        context = await _context(session, tenant, request.returned_from)
        if not context.app.return_process_configuration.blind_return_enabled:
            raise PreconditionFailed(
                "blind returns are not enabled: set "
                "return_process_configuration.blind_return_enabled in /v0/config/associate_app",
                code="blind_return_not_enabled",
            )
        method = choose_method(ReturnKind.BLIND, request.refund_method, context.offered)
        return_id = new_id()
        units: list[tuple[int, sources.Unit]] = []
        for index, line in enumerate(request.items):
            price = to_minor(line.price, currency, field=f"items.{index}.price")
            tax = to_minor(line.tax, currency, field=f"items.{index}.tax")
            for copy in range(line.quantity):
                unit = sources.Unit(
                    ref=f"{index}.{copy}",
                    item_id=f"{index}.{copy}",
                    aliases=frozenset(),
                    product_id=line.product_id,
                    product_name=None,
                    refund_amount=price,
                    refund_tax=tax,
                    returnable=True,
                )
                units.append((index, unit))
        source = sources.SourceOrder(
            kind=ReturnKind.BLIND,
            origin="newstore",
            order_id=None,
            order_number="",
            order_ref=f"blind:{return_id}",
            currency=currency,
            customer_id=request.customer_id,
            customer_email=request.customer_email,
            customer_name=None,
            units=tuple(unit for _, unit in units),
        )
        recorded = await _record(
            session, http, tenant, request, context, source, units, method, return_id=return_id
        )
    return await _pay(database, tenant, recorded)


def choose_method(kind: ReturnKind, requested: str | None, offered: Sequence[str]) -> str:
    """The refund method of a return, checked against what the store offers (a.4).

    Referenced returns default to ``original``; unreferenced and blind returns need one from
    the associate and cannot use ``original`` (there is no payment of the platform to refund);
    ``external`` is for orders captured in the external OMS only.
    """
    if kind is ReturnKind.REFERENCED:
        method = requested or "original"
        if method == "external":
            raise InvalidInput(
                "refund_method: external refunds orders captured in the external OMS; this "
                "order's payment is the platform's (use original)",
                code="refund_method_not_applicable",
            )
    else:
        if requested is None:
            raise InvalidInput(
                f"refund_method: required for an {kind} return (offered: {', '.join(offered)})",
                code="refund_method_required",
                extra={"offered": list(offered)},
            )
        if requested == "original":
            raise InvalidInput(
                "refund_method: original refunds the payment of an order taken in the "
                "platform; this order's payment is not the platform's (use external)",
                code="refund_method_not_applicable",
            )
        method = requested
    if method not in offered:
        raise InvalidInput(
            f"refund_method: {method} is not offered at this store (offered: {', '.join(offered)})",
            code="refund_option_not_offered",
            extra={"offered": list(offered)},
        )
    if method not in EXECUTED_METHODS:
        raise InvalidInput(
            f"refund_method: cashwrap cannot pay out {method} refunds (it refunds original "
            "payments and records external refunds for the OMS)",
            code="refund_method_not_supported",
        )
    return method


async def _context(session: AsyncSession, tenant: str, returned_from: str) -> _Context:
    try:
        location = await locations.get_location(session, tenant, returned_from)
    except NotFound:
        raise InvalidInput(
            f"returned_from: {returned_from!r} is not a fulfillment location of the platform",
            code="unknown_return_location",
        ) from None
    store_id = location.store_id
    offered = await config.refund_options(session, tenant, store_id or returned_from)
    app = await config.associate_app(session, tenant)
    sales = await config.sales_order_config(session, tenant)
    return _Context(store_id, offered, app, sales.order_number_prefix)


def _condition(line: ReturnLine, app: AssociateAppConfig, index: int) -> str | None:
    options = app.return_process_configuration.quality_inspection_options
    if line.condition_code is None:
        return line.item_condition
    if not options:
        return line.item_condition
    for option in options:
        if option.code == line.condition_code:
            return line.item_condition or option.option
    raise InvalidInput(
        f"items.{index}.condition_code: {line.condition_code!r} is not one of the quality "
        f"inspection options ({', '.join(option.code for option in options)})",
        code="unknown_condition_code",
    )


async def _record(
    session: AsyncSession,
    http: OutboundHttp,
    tenant: str,
    request: ReturnRequest,
    context: _Context,
    source: sources.SourceOrder,
    chosen: Sequence[tuple[int, sources.Unit]],
    method: str,
    *,
    return_id: str | None = None,
) -> _Recorded:
    """Write everything the return is (see the module), in the caller's transaction."""
    now = clock.now()
    return_id = return_id or new_id()
    lines = request.items
    conditions = [_condition(line, context.app, index) for index, line in enumerate(lines)]
    total = sum(unit.refund_amount for _, unit in chosen)
    tax = sum(unit.refund_tax for _, unit in chosen)
    number = await orders.next_order_number(session, tenant, f"{context.order_number_prefix}R")
    placed = await orders.place_order(
        session,
        orders.OrderDraft(
            tenant=tenant,
            external_id=number,
            source="return",
            origin="newstore",
            channel_type="store",
            fulfillment_type="in_store_purchase",
            currency=source.currency,
            store_id=context.store_id or request.returned_from,
            associate_id=request.associate_id,
            associate_email=request.associate_email,
            customer_id=source.customer_id,
            customer_email=source.customer_email,
            customer_name=source.customer_name,
            fixed_status=(
                OrderStatus.CREATED_FOR_BLIND_RETURN if source.kind is ReturnKind.BLIND else None
            ),
            extended_attributes=[
                {"name": "return_id", "value": return_id},
                {"name": "returned_order", "value": source.order_number or return_id},
            ],
            items=[
                orders.ItemDraft(
                    product_id=unit.product_id,
                    product_name=unit.product_name,
                    shipping_service_level=IN_STORE_HANDOVER,
                    fulfilled_by=FulfilledBy.CUSTOMER,
                    fulfillment_location_id=request.returned_from,
                    list_price=unit.refund_amount,
                    price=unit.refund_amount,
                    tax=unit.refund_tax,
                    status=ItemStatus.RETURNED,
                    external_item_id=unit.item_id if source.kind is not ReturnKind.BLIND else None,
                )
                for _, unit in chosen
            ],
        ),
        emit_created=False,
    )
    account_id = source.order_id if method == "original" else placed.id
    assert account_id is not None
    row: dict[str, Any] = {
        "id": return_id,
        "tenant": tenant,
        "kind": str(source.kind),
        "origin": source.origin if source.kind is not ReturnKind.BLIND else None,
        "order_id": source.order_id,
        "order_number": source.order_number or placed.external_id,
        "order_ref": source.order_ref,
        "return_order_id": placed.id,
        "return_order_number": placed.external_id,
        "returned_from": request.returned_from,
        "store_id": context.store_id,
        "associate_id": request.associate_id,
        "associate_email": request.associate_email,
        "customer_id": source.customer_id,
        "customer_email": source.customer_email,
        "currency": source.currency,
        "total_refund_amount": total,
        "total_refund_tax": tax,
        "return_fee": 0,
        "note": request.note,
        "refund_request_id": new_id(),
        "refund_method": method,
        "refund_status": str(RefundStatus.REQUESTED if total else RefundStatus.REFUNDED),
        "refunded_amount": 0,
        "refund_attempt": 1,
        "refund_outcome": None,
        "returned_at": now,
        "updated_at": now,
    }
    items = [
        {
            "id": new_id(),
            "tenant": tenant,
            "return_id": return_id,
            "position": position,
            "order_ref": source.order_ref,
            "item_ref": unit.ref,
            "order_item_id": unit.item_id if source.kind is not ReturnKind.BLIND else None,
            "return_order_item_id": placed.items[position].id,
            "product_id": unit.product_id,
            "product_name": unit.product_name,
            "refund_amount": unit.refund_amount,
            "refund_tax": unit.refund_tax,
            "return_reason": lines[index].reason,
            "return_code": lines[index].reason_code,
            "item_condition": conditions[index],
            "condition_code": lines[index].condition_code,
            "restocked": lines[index].restock,
        }
        for position, (index, unit) in enumerate(chosen)
    ]
    try:
        await repository.insert_return(session, row, items)
    except repository.AlreadyReturned:
        raise Conflict(
            f"a unit of order {source.order_number} was returned by another return meanwhile",
            code="return_quantity_exceeded",
        ) from None
    if source.order_id is not None:
        await _mark_returned(session, tenant, source.order_id, [unit for _, unit in chosen])
    restock = Counter(
        unit.product_id for index, unit in chosen if lines[index].restock
    )  # one adjustment per product
    for product_id, count in sorted(restock.items()):
        await locations.adjust_stock(session, tenant, request.returned_from, product_id, count)
    operation = None
    chosen_providers = None
    if total and method == "original":
        operation = await payments.prepare(
            session,
            tenant,
            account_id=account_id,
            kind="refund",
            idempotency_key=refunds.idempotency_key(return_id, 1),
            amount=total,
            reason=f"return {return_id}",
        )
        chosen_providers = await payments.providers(session, tenant, http)
    await outbox.record(
        session,
        tenant=tenant,
        payload=events.return_processed(row, items),
        entity_type="return",
        entity_id=return_id,
    )
    if total:
        await outbox.record(
            session,
            tenant=tenant,
            payload=events.refund_request_issued(
                row, items, payment_account_id=account_id, amount=total
            ),
            entity_type="refund_request",
            entity_id=row["refund_request_id"],
        )
    return _Recorded(row, operation, chosen_providers)


async def _pay(database: Database, tenant: str, recorded: _Recorded) -> ReturnView:
    """Refund a return just recorded (its transaction has ended)."""
    if recorded.row["refund_status"] == RefundStatus.REFUNDED:
        return await refunds.read(database, tenant, recorded.row["id"])
    return await refunds.pay_out(
        database,
        tenant,
        recorded.row,
        current=RefundStatus.REQUESTED,
        operation=recorded.operation,
        providers=recorded.providers,
    )


async def _mark_returned(
    session: AsyncSession, tenant: str, order_id: str, units: Sequence[sources.Unit]
) -> None:
    delivered = [unit.item_id for unit in units if unit.complete_first]
    if delivered:
        await orders.move_items(session, tenant, order_id, delivered, ItemStatus.COMPLETE)
    await orders.move_items(
        session, tenant, order_id, [unit.item_id for unit in units], ItemStatus.RETURNED
    )
