"""Carts as the Associate App builds them (``/checkout/carts``): create, read, change; add,
change and remove line items.

A cart belongs to a store (``channel_id``, which must be a store the platform knows: taken
items leave from its fulfillment location) and is priced in one currency from one catalog.
Prices come from the catalog when a line is added (the pricebook is the line's
``price.source_id``, ``default`` when omitted) and stay as the associate saw them.

Lines change only while the cart is ``open``; a cart being checked out or checked out is 409
``cart_not_open``. Concurrent changes of one cart take turns on its row (``FOR UPDATE``), and each
reads the lines once it holds the row, so the mixed-cart rule is checked against the lines as
they are, not as they were before the change it waited for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, column, delete, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.catalog import service as catalog
from cashwrap.checkout.models import Cart, CartItem
from cashwrap.checkout.schemas import (
    AddItemRequestBody,
    Address,
    CartLinks,
    CartResource,
    CartTotals,
    ChangeCartRequestBody,
    ChangeItemRequestBody,
    CreateCartRequestBody,
    ExtendedAttribute,
    ItemLinks,
    ItemPrice,
    ItemResource,
    Link,
)
from cashwrap.checkout.service import rules
from cashwrap.config import service as config
from cashwrap.config.schemas import AssociateAppConfig
from cashwrap.core import clock, money, sql
from cashwrap.core.errors import Conflict, InvalidInput, NotFound
from cashwrap.core.ids import new_id
from cashwrap.core.uow import Database
from cashwrap.locations import service as locations

carts_table = cast(Table, Cart.__table__)
items_table = cast(Table, CartItem.__table__)
MAX_LINES = 100

# Built once: a cart's lines are read and written on every call of the Associate App.
_INSERT_CART = sql.Statement(insert(carts_table))
_INSERT_ITEMS = sql.Statement(insert(items_table))
_CART_KEYS = tuple(column.key for column in carts_table.columns)
_ITEM_KEYS = tuple(column.key for column in items_table.columns)
# A cart and its lines in one round trip, found by its primary key alone (the tenant is checked
# on the row): no plan can prefer another index, whatever the planner's statistics say.
_CART_WITH_LINES = (
    select(carts_table, *(column.label(f"line_{column.key}") for column in items_table.columns))
    .select_from(carts_table.outerjoin(items_table, items_table.c.cart_id == carts_table.c.id))
    .where(carts_table.c.id == bindparam("cart_id"))
    .order_by(items_table.c.position)
)
_LOAD = sql.Statement(_CART_WITH_LINES)


def _cart_with_lines_once_locked() -> Select[Any]:
    """PostgreSQL: the cart's row locked, then its lines read as they are once it is.

    Joined in the locking query itself, the lines would be read with the snapshot of the
    query's start: a call that waited for the cart would see it without the lines the call
    holding it had just added (migration ``0012``: the function reads with a fresh snapshot).
    """
    locked = (
        select(carts_table)
        .where(carts_table.c.id == bindparam("cart_id"))
        .with_for_update()
        .cte("locked_cart")
        .prefix_with("MATERIALIZED")  # locked before the function is called on it
    )
    lines = (
        func.cashwrap_cart_lines(locked.c.id)
        .table_valued(*(column(item.key, item.type) for item in items_table.columns))
        .lateral("lines")
    )
    return (
        select(
            *locked.c,
            *(lines.c[item.key].label(f"line_{item.key}") for item in items_table.columns),
        )
        .select_from(locked.outerjoin(lines, true()))
        .order_by(lines.c.position)
    )


# SQLite's writers take turns (BEGIN IMMEDIATE): the lines it joins are the latest.
_LOAD_FOR_UPDATE = sql.Statement(
    _CART_WITH_LINES, postgresql=_cart_with_lines_once_locked(), reads=(items_table,)
)
_TENANT_AT = _CART_KEYS.index("tenant")
_LINE_ID_AT = len(_CART_KEYS) + _ITEM_KEYS.index("id")


@dataclass(frozen=True)
class CartRecord:
    """A cart's row and its lines' rows, as plain mappings."""

    cart: dict[str, Any]
    items: list[dict[str, Any]]

    @property
    def id(self) -> str:
        return str(self.cart["id"])

    @property
    def kind(self) -> str:
        return rules.cart_kind(item["fulfillment"] for item in self.items)

    @property
    def subtotal(self) -> int:
        return sum(item["unit_price"] * item["quantity"] for item in self.items)

    def lines(self, fulfillment: str) -> list[dict[str, Any]]:
        return [item for item in self.items if item["fulfillment"] == fulfillment]


async def create_cart(
    database: Database, tenant: str, body: CreateCartRequestBody, *, config_max_age: float = 0.0
) -> tuple[CartRecord, int]:
    """The new cart and its shipping price. 400 ``invalid_currency`` for an unknown currency,
    ``store_not_found`` for a store the platform does not know (import its store mapping
    first). ``config_max_age``: the settings and the store's location may be that many seconds
    old (``config.service.kept``).

    A cart without lines — how the Associate App starts every sale — is one ``INSERT`` that
    commits by itself: one round trip instead of a transaction's three.
    """
    currency = body.currency.upper()
    if not money.is_currency(currency):
        raise InvalidInput(f"currency: {body.currency!r} is not ISO 4217", code="invalid_currency")
    if body.items:
        async with database.transaction() as session:
            row = await _new_cart(session, tenant, body, currency, config_max_age)
            app = await config.associate_app(session, tenant, max_age=config_max_age)
            lines = await _new_lines(
                session, tenant, row, app, [], body.items, row["created_at"], config_max_age
            )
            await sql.execute(session, _INSERT_CART, [row])
            await sql.execute(session, _INSERT_ITEMS, lines)
            record = CartRecord(cart=row, items=lines)
            return record, await shipping_price(session, tenant, record)
    async with database.sessions() as session:
        row = await _new_cart(session, tenant, body, currency, config_max_age)
    await sql.execute_alone(database.engine, _INSERT_CART, row)
    return CartRecord(cart=row, items=[]), 0


async def _new_cart(
    session: AsyncSession,
    tenant: str,
    body: CreateCartRequestBody,
    currency: str,
    config_max_age: float,
) -> dict[str, Any]:
    try:
        node = await locations.store_node(session, tenant, body.channel_id, max_age=config_max_age)
    except NotFound:
        raise InvalidInput(
            f"channel_id: store {body.channel_id!r} is not known to the platform (import its "
            "store_mapping first)",
            code="store_not_found",
        ) from None
    now = clock.now()
    return {
        "id": new_id(),
        "tenant": tenant,
        "state": "open",
        "associate_id": body.associate_id,
        "catalog": body.catalog,
        "locale": body.locale,
        "channel_id": body.channel_id,
        "channel_type": body.channel_type,
        "currency": currency,
        "fulfillment_node_id": node,
        "customer_id": body.customer_id,
        "customer_email": body.customer_email,
        "customer_name": body.customer_name,
        "device_id": body.device_id,
        "fulfillment_group": body.fulfillment_group,
        "service_level": body.service_level,
        "shipping_address": _address(body.shipping_address),
        "billing_address": _address(body.billing_address),
        "checkout_key": None,
        "order_id": None,
        "created_at": now,
        "updated_at": now,
    }


async def load(
    session: AsyncSession, tenant: str, cart_id: str, *, for_update: bool = False
) -> CartRecord:
    """The cart and its lines in order; another tenant's cart is 404 ``cart_not_found``."""
    query = _LOAD_FOR_UPDATE if for_update else _LOAD
    rows = await sql.fetch(session, query, {"cart_id": cart_id})
    if not rows or rows[0][_TENANT_AT] != tenant:
        raise NotFound(f"cart {cart_id} not found", code="cart_not_found")
    width = len(_CART_KEYS)
    cart = dict(zip(_CART_KEYS, rows[0][:width], strict=True))
    items = [
        dict(zip(_ITEM_KEYS, row[width:], strict=True))
        for row in rows
        if row[_LINE_ID_AT] is not None  # a cart without lines: one row, its line columns null
    ]
    return CartRecord(cart=cart, items=items)


async def update_cart(
    session: AsyncSession, tenant: str, cart_id: str, body: ChangeCartRequestBody
) -> CartRecord:
    """Change the members the body sends (``null`` clears one)."""
    record = await load(session, tenant, cart_id, for_update=True)
    _check_open(record)
    changes: dict[str, Any] = {}
    for name in body.model_fields_set:
        value = getattr(body, name)
        changes[name] = _address(value) if isinstance(value, Address) else value
    if not changes:
        return record
    changes["updated_at"] = clock.now()
    await session.execute(update(carts_table).where(carts_table.c.id == cart_id).values(**changes))
    return CartRecord(cart={**record.cart, **changes}, items=record.items)


async def add_item(
    session: AsyncSession,
    tenant: str,
    cart_id: str,
    body: AddItemRequestBody,
    *,
    config_max_age: float = 0.0,
) -> str:
    """Add a line priced from the catalog; its id.

    400 ``product_not_found`` / ``price_not_found`` (no price in the pricebook and the cart's
    currency); 409 ``fulfillment_type_not_allowed``, ``mixed_cart_not_allowed``,
    ``too_many_lines``, ``cart_not_open``.
    """
    record = await load(session, tenant, cart_id, for_update=True)
    _check_open(record)
    app = await config.associate_app(session, tenant, max_age=config_max_age)
    lines = await _new_lines(
        session, tenant, record.cart, app, record.items, [body], clock.now(), config_max_age
    )
    await sql.execute(session, _INSERT_ITEMS, lines)
    return str(lines[0]["id"])


async def _new_lines(
    session: AsyncSession,
    tenant: str,
    cart: Mapping[str, Any],
    app: AssociateAppConfig,
    existing: Sequence[Mapping[str, Any]],
    bodies: Sequence[AddItemRequestBody],
    now: datetime,
    config_max_age: float,
) -> list[dict[str, Any]]:
    """The rows of new lines, priced from the catalog, once the cart's rules allow them all."""
    if len(existing) + len(bodies) > MAX_LINES:
        raise Conflict(f"a cart holds at most {MAX_LINES} lines", code="too_many_lines")
    chosen = [
        body.fulfillment or rules.default_fulfillment(app, cart["fulfillment_group"])
        for body in bodies
    ]
    fulfillments = {item["fulfillment"] for item in existing} | set(chosen)
    await _check_rules(session, tenant, cart, app, fulfillments, config_max_age=config_max_age)
    position = max((item["position"] for item in existing), default=-1)
    rows = []
    for body, fulfillment in zip(bodies, chosen, strict=True):
        pricebook = body.price.source_id if body.price else "default"
        name, unit_price = await _priced(session, tenant, cart, body.product_id, pricebook)
        position += 1
        rows.append(
            {
                "id": new_id(),
                "tenant": tenant,
                "cart_id": cart["id"],
                "position": position,
                "product_id": body.product_id,
                "product_name": name,
                "quantity": body.quantity,
                "fulfillment": fulfillment,
                "price_source": "INTERNAL",
                "pricebook": pricebook,
                "unit_price": unit_price,
                "extended_attributes": [a.model_dump() for a in body.extended_attributes],
                "serial_number": body.serial_number,
                "epc": body.epc,
                "source_id": body.source_id,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def change_item(
    session: AsyncSession,
    tenant: str,
    cart_id: str,
    line_id: str,
    body: ChangeItemRequestBody,
) -> None:
    """Change a line's fulfillment, quantity, extended attributes or source id (the same
    rules as adding it apply to a new fulfillment)."""
    record = await load(session, tenant, cart_id, for_update=True)
    _check_open(record)
    line = _line(record, line_id)
    changes: dict[str, Any] = {}
    if body.fulfillment is not None and body.fulfillment != line["fulfillment"]:
        others = {item["fulfillment"] for item in record.items if item["id"] != line_id}
        app = await config.associate_app(session, tenant)
        await _check_rules(session, tenant, record.cart, app, others | {body.fulfillment})
        changes["fulfillment"] = body.fulfillment
    if body.quantity is not None:
        changes["quantity"] = body.quantity
    if body.extended_attributes is not None:
        changes["extended_attributes"] = [a.model_dump() for a in body.extended_attributes]
    if "source_id" in body.model_fields_set:
        changes["source_id"] = body.source_id
    if not changes:
        return
    changes["updated_at"] = clock.now()
    await session.execute(update(items_table).where(items_table.c.id == line_id).values(**changes))


async def remove_item(session: AsyncSession, tenant: str, cart_id: str, line_id: str) -> None:
    record = await load(session, tenant, cart_id, for_update=True)
    _check_open(record)
    _line(record, line_id)
    await session.execute(delete(items_table).where(items_table.c.id == line_id))
    # The cart's updated_at reads the latest of its own and its lines' changes (see view):
    # a removed line leaves no row to read it from.
    await session.execute(
        update(carts_table).where(carts_table.c.id == cart_id).values(updated_at=clock.now())
    )


async def shipping_price(session: AsyncSession, tenant: str, record: CartRecord) -> int:
    """The chosen service level's price when the cart ships something (0 otherwise or when
    the level is not defined: checkout refuses that with a precise error)."""
    level = record.cart["service_level"]
    if not level or not record.lines(rules.SHIPPED):
        return 0
    fulfillment = await config.fulfillment_config(session, tenant)
    definition = fulfillment.service_levels.get(level) if fulfillment else None
    if definition is None or definition.currency_code.upper() != record.cart["currency"]:
        return 0
    return definition.price


def view(record: CartRecord, shipping: int = 0) -> CartResource:
    cart = record.cart
    currency = cart["currency"]
    base = f"/checkout/carts/{cart['id']}"

    def wire(amount: int) -> float:
        return money.to_wire(amount, currency)

    is_open = cart["state"] == "open"
    links = CartLinks(
        self_=Link(href=base, method="GET"),
        items=Link(href=f"{base}/items", method="GET"),
        add_item=Link(href=f"{base}/items", method="POST") if is_open else None,
        change_cart=Link(href=base, method="PATCH") if is_open else None,
        checkout=Link(href=f"{base}/checkout", method="POST") if is_open else None,
        shipping_options=Link(href=f"{base}/shipping_options", method="GET"),
        order=(
            Link(href=f"/v0/orders/{cart['order_id']}?id_type=internal", method="GET")
            if cart["order_id"]
            else None
        ),
    )
    items = [
        ItemResource(
            links=ItemLinks(
                self_=Link(href=f"{base}/items/{item['id']}", method="GET"),
                add_ons=Link(href=f"{base}/items/{item['id']}/add-ons", method="GET"),
                change_item=(
                    Link(href=f"{base}/items/{item['id']}", method="PATCH") if is_open else None
                ),
                remove_item=(
                    Link(href=f"{base}/items/{item['id']}", method="DELETE") if is_open else None
                ),
            ),
            epc=item["epc"],
            extended_attributes=[ExtendedAttribute(**a) for a in item["extended_attributes"]],
            fulfillment=item["fulfillment"],
            id=item["id"],
            price=ItemPrice(
                source=item["price_source"],
                source_id=item["pricebook"],
                amount=wire(item["unit_price"]),
                total=wire(item["unit_price"] * item["quantity"]),
                currency=currency,
            ),
            product_id=item["product_id"],
            quantity=item["quantity"],
            serial_number=item["serial_number"],
            source_id=item["source_id"],
            product_name=item["product_name"],
        )
        for item in record.items
    ]
    subtotal = record.subtotal
    return CartResource(
        links=links,
        associate_id=cart["associate_id"],
        catalog=cart["catalog"],
        channel_id=cart["channel_id"],
        channel_type=cart["channel_type"],
        currency=currency,
        customer_id=cart["customer_id"],
        device_id=cart["device_id"],
        id=cart["id"],
        items=items,
        locale=cart["locale"],
        state=cart["state"],
        cart_type=rules.cart_kind(item["fulfillment"] for item in record.items),
        fulfillment_group=cart["fulfillment_group"],
        customer_email=cart["customer_email"],
        customer_name=cart["customer_name"],
        service_level=cart["service_level"],
        shipping_address=cart["shipping_address"],
        billing_address=cart["billing_address"],
        totals=CartTotals(
            subtotal=wire(subtotal),
            shipping=wire(shipping),
            tax=0.0,
            total=wire(subtotal + shipping),
        ),
        order_id=cart["order_id"],
        created_at=clock.isoformat(clock.as_utc(cart["created_at"])),
        updated_at=clock.isoformat(
            max(
                [clock.as_utc(cart["updated_at"])]
                + [clock.as_utc(item["updated_at"]) for item in record.items]
            )
        ),
    )


def _check_open(record: CartRecord) -> None:
    if record.cart["state"] != "open":
        raise Conflict(
            f"cart {record.id} is {record.cart['state']}; it can no longer change",
            code="cart_not_open",
            extra={"state": record.cart["state"], "order_id": record.cart["order_id"]},
        )


def _line(record: CartRecord, line_id: str) -> dict[str, Any]:
    for item in record.items:
        if item["id"] == line_id:
            return item
    raise NotFound(f"cart {record.id} has no line item {line_id}", code="line_item_not_found")


async def _check_rules(
    session: AsyncSession,
    tenant: str,
    cart: Mapping[str, Any],
    app: AssociateAppConfig,
    fulfillments: set[str],
    *,
    config_max_age: float = 0.0,
) -> None:
    store_mixed_cart = None
    if len(fulfillments) > 1:
        store_mixed_cart = (
            await config.store_settings(session, tenant, cart["channel_id"], max_age=config_max_age)
        ).mixed_cart
    rules.check_fulfillments(app, store_mixed_cart, fulfillments)


async def _priced(
    session: AsyncSession, tenant: str, cart: Mapping[str, Any], product_id: str, pricebook: str
) -> tuple[str | None, int]:
    currency = cart["currency"]
    try:
        pricing = await catalog.line_pricing(
            session, tenant, product_id, pricebook=pricebook, currency=currency
        )
    except NotFound:
        raise InvalidInput(
            f"product_id: product {product_id!r} is not in the catalog", code="product_not_found"
        ) from None
    if pricing.amount is None:
        raise InvalidInput(
            f"product {product_id!r} has no price in pricebook {pricebook!r} and currency "
            f"{currency}",
            code="price_not_found",
        )
    return _name(pricing.titles, cart["catalog"], cart["locale"]), pricing.amount


def _name(content: Sequence[Mapping[str, Any]], shop: str, locale: str) -> str | None:
    """The title in the cart's catalog and locale (``en_US`` matches ``en-US``), else any."""
    wanted = locale.replace("_", "-").lower()
    for entry in content:
        if entry["shop"] == shop and str(entry["locale"]).replace("_", "-").lower() == wanted:
            return str(entry["title"])
    return str(content[0]["title"]) if content else None


def _address(address: Address | None) -> dict[str, Any] | None:
    return address.model_dump(exclude_none=True) if address is not None else None
