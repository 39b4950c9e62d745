"""The checkout: a cart becomes an order, paid.

1. **Claim** (one transaction): write the checkout attempt, take the cart (``open`` →
   ``checking_out``), read it and the configuration, check every rule, choose the order number.
   Any refusal here rolls all of it back.
2. **Availability** (no transaction): shipped lines go through the ATP evaluation; any of its
   exceptions stops the checkout with one 409 ``products_not_available`` listing each line.
3. **Payment** (no transaction): authorize every tender; capture them at once when the order
   is pre-captured (endless aisle and mixed cart, ``use_charge_api``) or when the taken items
   of a cash & carry cart are handed over now (``hand_over``).
4. **Place** (one transaction): order, items, payment account, the cart checked out, the
   attempt's answer, and the events, in the seed's order:

   - cash & carry: ``payment_account.amount_authorized``, ``order.created``; with
     ``hand_over`` also ``order.completed``, ``payment_account.amount_captured``;
   - endless aisle and mixed cart: ``order.created``, ``payment_account.amount_authorized``,
     ``payment_account.amount_captured``.

Failures: nothing is written before the payment is known. A decline or a failure leaves no
order and no event, and gives back what was authorized or captured before it. An unknown
outcome keeps the cart and the attempt: repeating the request with the same
``Idempotency-Key`` asks the provider again with the same keys. If step 4 fails, the failure
is recorded first and then the money is given back (never the other way round: a repeat must
not find approvals the platform already gave back).

With the external OMS enabled the platform routes nothing: shipped items are handed to the
OMS (``fulfilled_by=external_oms``); the shipments the answer lists are what the platform's
routing rules would do, for the Associate App to show.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.availability import service as availability
from cashwrap.checkout.schemas import (
    CheckoutItem,
    CheckoutPayment,
    CheckoutRequest,
    CheckoutResponse,
    Link,
    PlannedShipment,
    ShipmentItem,
)
from cashwrap.checkout.service import attempts, carts, rules
from cashwrap.checkout.service.attempts import Answer, Attempt
from cashwrap.checkout.service.carts import CartRecord
from cashwrap.checkout.states import CART_LIFECYCLE, CartState
from cashwrap.config import service as config
from cashwrap.core import clock, money
from cashwrap.core.errors import (
    Conflict,
    DatabaseUnavailable,
    DomainError,
    ExternalServiceError,
    InvalidInput,
    PreconditionFailed,
)
from cashwrap.core.states import transition
from cashwrap.core.uow import Database
from cashwrap.events import outbox
from cashwrap.locations import service as locations
from cashwrap.orders import service as orders
from cashwrap.orders.states import (
    FulfilledBy,
    ItemStatus,
    PaymentStatus,
    item_label,
    order_label,
    order_status,
    payment_label,
)
from cashwrap.outbound.http import OutboundHttp
from cashwrap.payments import service as payments
from cashwrap.payments.service import Approval, PaymentNotTaken, Providers, Tender

logger = logging.getLogger("cashwrap.checkout")
carts_table: Table = carts.carts_table


@dataclass(frozen=True)
class Sale:
    """Everything the claim transaction decided, for the steps after it."""

    attempt: Attempt
    record: CartRecord
    kind: str
    tenders: list[Tender]
    subtotal: int
    shipping: int
    service_level: str | None
    destination: availability.Destination | None
    shipping_type: str | None
    precapture: bool
    hand_over: bool
    providers: Providers
    local: bool
    """Nothing to ask another system (cash only, nothing shipped): one transaction does it all."""

    @property
    def currency(self) -> str:
        return str(self.record.cart["currency"])

    @property
    def total(self) -> int:
        return self.subtotal + self.shipping

    @property
    def fulfillment_type(self) -> str:
        if self.kind == "endless_aisle":
            return rules.shipped_fulfillment_type(self.shipping_type)
        return rules.FULFILLMENT_TYPE[self.kind]


async def checkout(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    cart_id: str,
    idempotency_key: str,
    request: CheckoutRequest,
    config_max_age: float = 0.0,
) -> Answer:
    """Check the cart out (see the module); the answer to send (201 and the order, or a
    stored answer replayed). ``config_max_age``: the settings a checkout reads may be that
    many seconds old (``config.service.kept``)."""
    key = attempts.check_key(idempotency_key)
    digest = attempts.request_hash(cart_id, request.model_dump(mode="json"))
    reserved = await _reserve_number(database, tenant)

    async def prepare(session: AsyncSession, attempt: Attempt) -> Sale | Answer:
        sale = await _claim(session, http, tenant, attempt, request, reserved, config_max_age)
        if not sale.local:
            return sale
        # Cash only and nothing to ship: no other system to ask, so the claim's transaction
        # takes the payment and places the order too.
        authorizations = await payments.authorize(
            sale.providers, account_id=sale.attempt.order_id, tenders=sale.tenders
        )
        captures = await _captures(sale, authorizations)
        body = await _place(session, tenant, sale, authorizations, captures, (), ())
        return Answer(status=201, body=body)

    claimed = await attempts.claim(
        database, tenant, key=key, cart_id=cart_id, digest=digest, prepare=prepare
    )
    if isinstance(claimed, Answer):
        return claimed
    attempt, sale_or_answer = claimed
    if isinstance(sale_or_answer, Answer):
        return sale_or_answer
    sale = sale_or_answer
    attempt = sale.attempt  # with the order number the claim chose
    shipments: tuple[availability.Shipment, ...] = ()
    plans: tuple[availability.LinePlan, ...] = ()
    shipped = sale.record.lines(rules.SHIPPED)
    if shipped:
        try:
            evaluation = await _evaluate(database, http, tenant, sale, shipped)
        except DomainError:
            await attempts.abandon(database, attempt)
            raise
        shipments, plans = evaluation.shipments, evaluation.lines
    try:
        authorizations = await payments.authorize(
            sale.providers, account_id=attempt.order_id, tenders=sale.tenders
        )
        captures = await _captures(sale, authorizations)
    except PaymentNotTaken as error:
        if error.refusal.kind == "unknown":
            await attempts.suspend(database, attempt, error)
        elif error.moved:
            await attempts.fail(database, attempt, error)
        else:
            await attempts.abandon(database, attempt)
        raise
    try:
        async with database.transaction() as session:
            body = await _place(session, tenant, sale, authorizations, captures, shipments, plans)
    except DatabaseUnavailable as unavailable:
        # The connection dropped, maybe during the commit: whether the order was written is
        # not known here. The attempt waits for the same request, which finds the order, or
        # resumes the payment with the same provider keys (approved once) and places it.
        await attempts.suspend(database, attempt, unavailable)
        raise
    except Exception as exc:
        failure = exc if isinstance(exc, DomainError) else _placement_failed()
        if failure is not exc:
            logger.exception("a paid checkout could not be written", extra={"cart_id": cart_id})
        if await attempts.fail(database, attempt, failure):
            await payments.undo(sale.providers, authorizations, captures)
        raise failure from None
    return Answer(status=201, body=body)


async def _captures(sale: Sale, authorizations: Sequence[Approval]) -> list[Approval]:
    """Pre-capture (shipped lines), or capture at the till when everything is handed over now."""
    if sale.precapture or (sale.hand_over and sale.kind == "cash_and_carry"):
        return await payments.capture_authorizations(sale.providers, authorizations)
    return []


# --- 1. claim ------------------------------------------------------------------------------------


async def _claim(
    session: AsyncSession,
    http: OutboundHttp,
    tenant: str,
    attempt: Attempt,
    request: CheckoutRequest,
    reserved: int | None,
    config_max_age: float,
) -> Sale:
    record = await carts.load(session, tenant, attempt.cart_id, for_update=True)
    cart = record.cart
    if attempt.resumed:
        if (
            cart["state"] != CartState.CHECKING_OUT
            or cart["checkout_key"] != attempt.idempotency_key
        ):
            raise Conflict(
                f"cart {record.id} is no longer held by this checkout", code="cart_not_open"
            )
    else:
        _check_claimable(record)
    settings = await config.selling(session, tenant, cart["channel_id"], max_age=config_max_age)
    sales = settings.sales_order
    if not sales.enabled:
        raise PreconditionFailed(
            "the platform does not accept orders: enable the sales order configuration "
            '(PUT /v0/config/sales_order {"enabled": true})',
            code="sales_orders_disabled",
        )
    if not record.items:
        raise Conflict(f"cart {record.id} has no line items", code="cart_empty")
    kind = record.kind
    app = settings.associate_app
    fulfillments = {item["fulfillment"] for item in record.items}
    rules.check_fulfillments(app, settings.store.mixed_cart, fulfillments)
    payment_config = settings.payment
    shipping = 0
    destination = None
    shipping_type = None
    level = cart["service_level"]
    if kind != "cash_and_carry":
        if not settings.external_oms_enabled:
            raise PreconditionFailed(
                "shipped lines are fulfilled by the external OMS, which is not enabled "
                '(PUT /v0/config/external_oms {"enabled": true})',
                code="external_oms_disabled",
            )
        if not payment_config.use_charge_api:
            raise PreconditionFailed(
                "endless-aisle and mixed-cart orders are pre-captured: set use_charge_api "
                '(PATCH /v0/config/payment {"use_charge_api": true})',
                code="charge_api_required",
            )
        shipping, destination, shipping_type = await _shipping(session, tenant, record)
    subtotal = record.subtotal
    tenders = _tenders(request, subtotal + shipping, cart["currency"])
    rules.check_cash(app, kind, (tender.method for tender in tenders))
    if request.hand_over and not record.lines(rules.TAKEN):
        raise InvalidInput(
            "hand_over: the cart has no line taken now (IN_STORE_HANDOVER)",
            code="nothing_to_hand_over",
        )
    local = kind == "cash_and_carry" and all(tender.method == "cash" for tender in tenders)
    if not local and not attempt.resumed:
        await transition(
            session,
            carts_table,
            lifecycle=CART_LIFECYCLE,
            row_id=record.id,
            current=CartState.OPEN,
            target=CartState.CHECKING_OUT,
            status_column="state",
            values={"checkout_key": attempt.idempotency_key, "updated_at": clock.now()},
        )
    if attempt.order_number is None:
        # Reserved before this transaction (PostgreSQL), else taken last in it: the tenant's
        # counter row stays locked until the transaction that moves it commits.
        number = (
            orders.order_number(sales.order_number_prefix, reserved)
            if reserved is not None
            else await orders.next_order_number(session, tenant, sales.order_number_prefix)
        )
        attempt = await attempts.set_order_number(session, attempt, number, write=not local)
    return Sale(
        attempt=attempt,
        record=record,
        kind=kind,
        tenders=tenders,
        subtotal=subtotal,
        shipping=shipping,
        service_level=level if kind != "cash_and_carry" else None,
        destination=destination,
        shipping_type=shipping_type,
        precapture=kind != "cash_and_carry",
        hand_over=request.hand_over,
        providers=Providers(http, payment_config.provider),
        local=local,
    )


async def _reserve_number(database: Database, tenant: str) -> int | None:
    """The counter value of the order number, taken before the checkout's transaction by one
    statement that commits by itself (PostgreSQL).

    Every till of a tenant queues on its counter's row until the transaction that moves it
    commits; taken inside a whole checkout, that row made the tills wait on each other
    (measured at 16 tills on PostgreSQL: sale p99 1.3–2.1 s, against 0.5–0.6 s this way). A
    value not used — a replayed key, a checkout refused — leaves a gap, which order numbers
    may have. SQLite serializes writers anyway: None there, and the claim takes the number in
    its own transaction.
    """
    if database.is_sqlite:
        return None
    return await orders.reserve_order_number(database.engine, tenant)


def _check_claimable(record: CartRecord) -> None:
    state = record.cart["state"]
    if state == CartState.CHECKED_OUT:
        raise Conflict(
            f"cart {record.id} was checked out already (order {record.cart['order_id']})",
            code="cart_checked_out",
            extra={"order_id": record.cart["order_id"]},
        )
    if state == CartState.CHECKING_OUT:
        raise Conflict(
            f"cart {record.id} is being checked out by another request (another Idempotency-Key)",
            code="cart_checkout_in_progress",
        )


async def _shipping(
    session: AsyncSession, tenant: str, record: CartRecord
) -> tuple[int, availability.Destination, str | None]:
    """The chosen service level's price, the destination and the shipping type; 400 when the
    cart does not say where or how to ship, or says something the configuration does not
    offer."""
    cart = record.cart
    address = cart["shipping_address"]
    if not address:
        raise InvalidInput(
            "shipping_address: the cart ships lines and has no shipping address "
            "(PATCH /checkout/carts/{id})",
            code="shipping_address_required",
        )
    level = cart["service_level"]
    if not level:
        raise InvalidInput(
            "service_level: the cart ships lines and has no service level "
            "(GET …/shipping_options, then PATCH /checkout/carts/{id})",
            code="service_level_required",
        )
    fulfillment = await config.fulfillment_config(session, tenant)
    if fulfillment is None:
        raise PreconditionFailed(
            "there is no fulfillment configuration: PUT /v0/config/fulfillment first",
            code="fulfillment_config_missing",
        )
    destination = availability.Destination(address["country"], address.get("zip_code"))
    offered = fulfillment.service_levels_for(destination.country, destination.zip_code)
    if level not in offered:
        raise InvalidInput(
            f"service_level: {level!r} is not offered for {destination.country} "
            f"{destination.zip_code or ''} (offered: {', '.join(offered) or 'none'})".replace(
                "  ", " "
            ),
            code="service_level_not_offered",
        )
    definition = fulfillment.service_levels[level]
    if definition.currency_code.upper() != cart["currency"]:
        raise InvalidInput(
            f"service level {level!r} is priced in {definition.currency_code}, the cart in "
            f"{cart['currency']}",
            code="service_level_currency_mismatch",
        )
    rate = fulfillment.provider_rate_for(level)
    return definition.price, destination, rate.shipping_type if rate else None


def _tenders(request: CheckoutRequest, total: int, currency: str) -> list[Tender]:
    if len(request.payments) == 1 and request.payments[0].amount is None:
        amounts = [total]
    else:
        amounts = []
        for index, payment in enumerate(request.payments):
            if payment.amount is None:
                raise InvalidInput(
                    f"payments.{index}.amount: required when the cart is paid in parts",
                    code="invalid_request",
                )
            amounts.append(
                money.to_minor(str(payment.amount), currency, field=f"payments.{index}.amount")
            )
    if sum(amounts) != total:
        raise InvalidInput(
            f"the payments add up to {money.to_wire(sum(amounts), currency)} {currency}; the "
            f"cart's total is {money.to_wire(total, currency)} {currency}",
            code="payment_amount_mismatch",
            extra={"total": money.to_wire(total, currency), "currency": currency},
        )
    return [
        Tender(
            method=payment.method,
            amount=amount,
            currency=currency,
            token=payment.token,
            payment_wallet=payment.payment_wallet,
            metadata=payment.metadata,
        )
        for payment, amount in zip(request.payments, amounts, strict=True)
    ]


# --- 2. availability -----------------------------------------------------------------------------


async def _evaluate(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    sale: Sale,
    shipped: Sequence[dict[str, Any]],
) -> availability.CartAvailability:
    assert sale.service_level is not None
    assert sale.destination is not None
    evaluation = await availability.evaluate_cart(
        database,
        http,
        tenant,
        [availability.CartLine(line["product_id"], line["quantity"]) for line in shipped],
        service_level=sale.service_level,
        destination=sale.destination,
    )
    if not evaluation.available:
        raise products_not_available(evaluation, shipped)
    return evaluation


def products_not_available(
    evaluation: availability.CartAvailability, shipped: Sequence[dict[str, Any]]
) -> Conflict:
    """The seed's "Products not available", with each line's own code and reason."""
    problems = [
        {
            "line_id": shipped[problem.line]["id"],
            "product_id": problem.product_id,
            "error_code": problem.error_code,
            "message": problem.message,
            "requested_quantity": problem.requested_quantity,
            "available_quantity": problem.available_quantity,
            "fulfillment_node_ids": list(problem.fulfillment_node_ids),
            "reason": problem.reason,
        }
        for problem in evaluation.problems
    ]
    return Conflict(
        "Products not available",
        code="products_not_available",
        messages=[problem.message for problem in evaluation.problems],
        extra={"problems": problems, "source": evaluation.source},
    )


# --- 4. place ------------------------------------------------------------------------------------


async def _place(
    session: AsyncSession,
    tenant: str,
    sale: Sale,
    authorizations: Sequence[Approval],
    captures: Sequence[Approval],
    shipments: Sequence[availability.Shipment],
    plans: Sequence[availability.LinePlan],
) -> dict[str, Any]:
    attempt = sale.attempt
    cart = sale.record.cart
    order_id = attempt.order_id
    assert attempt.order_number is not None
    drafts, lines = _items(sale, plans)
    taken_ids_at = [index for index, line in enumerate(lines) if line[1] == rules.TAKEN]
    now = clock.now()
    captured = {capture.instrument_id for capture in captures}
    precaptured = sale.precapture
    draft = orders.OrderDraft(
        id=order_id,
        tenant=tenant,
        external_id=attempt.order_number,
        source="checkout",
        origin="newstore",
        channel_type="store",
        channel_name=cart["channel_id"],
        fulfillment_type=sale.fulfillment_type,
        currency=sale.currency,
        items=drafts,
        price_method="tax_included",
        payment_status=PaymentStatus.CAPTURED if precaptured else PaymentStatus.AUTHORIZED,
        shipping_total=sale.shipping,
        shop=cart["catalog"],
        shop_locale=cart["locale"],
        store_id=cart["channel_id"],
        associate_id=cart["associate_id"],
        customer_id=cart["customer_id"],
        customer_email=cart["customer_email"],
        customer_name=cart["customer_name"],
        billing_address=cart["billing_address"],
        shipping_address=cart["shipping_address"] if sale.kind != "cash_and_carry" else None,
        placed_at=now,
        payments=[
            {
                "method": approval.method,
                "type": "captured" if approval.instrument_id in captured else "authorized",
                "amount": money.to_wire(approval.amount, approval.currency),
                "currency": approval.currency,
                "processor": approval.provider,
                "correlation_ref": approval.instrument_id,
                "processed_at": now,
            }
            for approval in authorizations
        ],
    )
    handed_over = sale.hand_over and bool(taken_ids_at)
    hand_over = taken_ids_at if handed_over else []

    async def place(session: AsyncSession) -> orders.PlacedOrder:
        return await orders.place_order(
            session,
            draft,
            hand_over=hand_over,
            payment_status=PaymentStatus.CAPTURED if captures else None,
        )

    # One INSERT per table for the events too; they keep the seed's order.
    async with outbox.batched(session):
        if sale.kind == "cash_and_carry":
            # amount_authorized, order.created (+ order.completed), amount_captured
            account, placed_or_none = await payments.open_account(
                session,
                tenant,
                account_id=order_id,
                order_id=order_id,
                currency=sale.currency,
                authorizations=authorizations,
                captures=captures,
                between=place,
                account_is_new=True,
            )
            assert placed_or_none is not None
            placed = placed_or_none
        else:
            # order.created, amount_authorized, amount_captured
            placed = await place(session)
            account, _ = await payments.open_account(
                session,
                tenant,
                account_id=order_id,
                order_id=order_id,
                currency=sale.currency,
                authorizations=authorizations,
                captures=captures,
                account_is_new=True,
            )
    held = CartState.OPEN if sale.local else CartState.CHECKING_OUT
    await transition(
        session,
        carts_table,
        lifecycle=CART_LIFECYCLE,
        row_id=sale.record.id,
        current=held,
        target=CartState.CHECKED_OUT,
        status_column="state",
        values={"order_id": order_id, "updated_at": now},
        # A local sale read the cart FOR UPDATE in this very transaction (the claim's).
        locked=sale.local,
    )
    handed_ids = {placed.items[index].id for index in hand_over}
    body = _answer(
        sale,
        placed,
        drafts,
        lines,
        handed_ids,
        str(account.status),
        authorizations,
        captured,
        shipments,
    )
    if handed_over:
        # Queued to go with the attempt's answer, the transaction's last statement: every till
        # selling this product at this store queues on its stock row until the commit.
        await take_from_store(
            session,
            tenant,
            cart["fulfillment_node_id"],
            [drafts[index].product_id for index in hand_over],
        )
    await attempts.finish(session, attempt, 201, body)
    return body


def _items(
    sale: Sale, plans: Sequence[availability.LinePlan]
) -> tuple[list[orders.ItemDraft], list[tuple[str, str]]]:
    """One item per unit, in the cart's order; beside each, its (line id, fulfillment)."""
    cart = sale.record.cart
    shipped_lines = sale.record.lines(rules.SHIPPED)
    plan_of = {shipped_lines[plan.line]["id"]: plan for plan in plans}
    shipment_of: dict[str, int] = {}
    drafts: list[orders.ItemDraft] = []
    lines: list[tuple[str, str]] = []
    for line in sale.record.items:
        taken = line["fulfillment"] == rules.TAKEN
        locations_: list[str | None] = [cart["fulfillment_node_id"]] * line["quantity"]
        if not taken:
            plan = plan_of.get(line["id"])
            locations_ = []
            for allocation in plan.allocations if plan else ():
                locations_ += [allocation.fulfillment_node_id] * allocation.quantity
            locations_ += [None] * (line["quantity"] - len(locations_))
        for unit in range(line["quantity"]):
            node = locations_[unit]
            drafts.append(
                orders.ItemDraft(
                    product_id=line["product_id"],
                    product_name=line["product_name"],
                    shipping_service_level=(rules.TAKEN if taken else str(sale.service_level)),
                    fulfilled_by=FulfilledBy.CUSTOMER if taken else FulfilledBy.EXTERNAL_OMS,
                    fulfillment_location_id=node,
                    shipment_index=(
                        0
                        if taken or node is None
                        else shipment_of.setdefault(node, len(shipment_of) + 1)
                    ),
                    list_price=line["unit_price"],
                    price=line["unit_price"],
                    pricebook=line["pricebook"],
                    extended_attributes=line["extended_attributes"],
                    details={
                        key: value
                        for key, value in {
                            "cart_line_id": line["id"],
                            "serial_number": line["serial_number"],
                            "epc": line["epc"],
                            "source_id": line["source_id"],
                        }.items()
                        if value is not None
                    },
                )
            )
            lines.append((line["id"], line["fulfillment"]))
    return drafts, lines


async def take_from_store(
    session: AsyncSession, tenant: str, node_id: str, product_ids: Sequence[str]
) -> None:
    """Handed-over units left the store: take them off its on-hand stock (never below zero:
    what the customer holds was there, whatever the stock said)."""
    for product_id, units in Counter(product_ids).items():
        await locations.take_sold_units(session, tenant, node_id, product_id, units)


def _answer(
    sale: Sale,
    placed: orders.PlacedOrder,
    drafts: Sequence[orders.ItemDraft],
    lines: Sequence[tuple[str, str]],
    handed_over: set[str],
    account_status: str,
    authorizations: Sequence[Approval],
    captured: set[str],
    shipments: Sequence[availability.Shipment],
) -> dict[str, Any]:
    currency = sale.currency
    statuses = [
        (
            str(ItemStatus.COMPLETE) if item.id in handed_over else str(ItemStatus.IN_FULFILLMENT),
            str(draft.fulfilled_by),
        )
        for item, draft in zip(placed.items, drafts, strict=True)
    ]
    labels = [item_label(status, by, account_status) for status, by in statuses]
    status = order_status(statuses, payment_status=account_status)
    shipped_lines = sale.record.lines(rules.SHIPPED)
    order_link = f"/v0/orders/{placed.id}?id_type=internal"
    response = CheckoutResponse(
        order_id=placed.id,
        order_number=placed.external_id,
        cart_id=sale.record.id,
        cart_type=sale.record.kind,
        fulfillment_type=sale.fulfillment_type,
        status=str(status),
        status_label=order_label(labels),
        payment_status=account_status,
        payment_status_label=payment_label(account_status),
        currency=currency,
        subtotal=money.to_wire(sale.subtotal, currency),
        shipping=money.to_wire(sale.shipping, currency),
        total=money.to_wire(sale.total, currency),
        handed_over=bool(handed_over),
        items=[
            CheckoutItem(
                id=item.id,
                line_id=line_id,
                product_id=item.product_id,
                fulfillment=fulfillment,
                status=item_status,
                status_label=label,
                fulfillment_location_id=draft.fulfillment_location_id,
            )
            for item, draft, (line_id, fulfillment), (item_status, _), label in zip(
                placed.items, drafts, lines, statuses, labels, strict=True
            )
        ],
        payments=[
            CheckoutPayment(
                instrument_id=approval.instrument_id,
                method=approval.method,
                payment_wallet=approval.wallet,
                payment_provider=approval.provider,
                amount=money.to_wire(approval.amount, approval.currency),
                currency=approval.currency,
                captured=approval.instrument_id in captured,
            )
            for approval in authorizations
        ],
        shipments=[
            PlannedShipment(
                fulfillment_node_id=shipment.fulfillment_node_id,
                items=[
                    ShipmentItem(
                        line_id=shipped_lines[item.line]["id"],
                        product_id=item.product_id,
                        quantity=item.quantity,
                    )
                    for item in shipment.items
                ],
            )
            for shipment in shipments
        ],
        links={
            "order": Link(href=order_link, method="GET"),
            "handover": Link(
                href=f"/v0/orders/{placed.id}/handover?id_type=internal", method="POST"
            ),
            "cart": Link(href=f"/checkout/carts/{sale.record.id}", method="GET"),
        },
    )
    return response.model_dump(mode="json", by_alias=True, exclude_none=True)


def _placement_failed() -> ExternalServiceError:
    return ExternalServiceError(
        "the order could not be written; the payment was given back. Check out again with a "
        "new Idempotency-Key",
        code="checkout_failed",
    )
