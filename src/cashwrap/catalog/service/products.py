"""Reading the catalog: products of a shop and locale, their prices per pricebook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.catalog import repository
from cashwrap.core.errors import NotFound
from cashwrap.core.money import to_wire


async def count_products(session: AsyncSession, tenant: str) -> int:
    """How many (shop, locale, product) records the tenant's catalog holds."""
    return await repository.count_products(session, tenant)


async def known_product_ids(
    session: AsyncSession, tenant: str, product_ids: Sequence[str]
) -> set[str]:
    """The ids among ``product_ids`` that exist in any shop and locale."""
    return {row.product_id for row in await repository.products_by_id(session, tenant, product_ids)}


async def price_of(
    session: AsyncSession, tenant: str, product_id: str, *, pricebook: str, currency: str
) -> int | None:
    """The price in minor units, or None when the pricebook has none in that currency."""
    for price in await repository.product_prices(session, tenant, product_id):
        if price["pricebook"] == pricebook and price["currency"] == currency.upper():
            return int(price["amount"])
    return None


@dataclass(frozen=True)
class LinePricing:
    """What a cart line needs of a product: its titles per shop and locale, and its price in
    one pricebook and currency (None: none there)."""

    titles: list[dict[str, Any]]
    amount: int | None


async def line_pricing(
    session: AsyncSession, tenant: str, product_id: str, *, pricebook: str, currency: str
) -> LinePricing:
    """One read for a cart line (every added line asks); 404 ``product_not_found``."""
    rows = await repository.titles_and_price(
        session, tenant, product_id, pricebook=pricebook, currency=currency.upper()
    )
    if not rows:
        raise NotFound(f"product {product_id!r} does not exist", code="product_not_found")
    amount = rows[0]["amount"]
    return LinePricing(titles=rows, amount=int(amount) if amount is not None else None)


async def get_product(session: AsyncSession, tenant: str, product_id: str) -> dict[str, Any]:
    """A product with every shop/locale variant of its content and all its prices."""
    content = await repository.product_content(session, tenant, product_id)
    if not content:
        raise NotFound(f"product {product_id!r} does not exist", code="product_not_found")
    prices = await repository.product_prices(session, tenant, product_id)
    return {
        "product_id": product_id,
        "content": content,
        "prices": [
            {
                "pricebook": price["pricebook"],
                "currency": price["currency"],
                "value": to_wire(price["amount"], price["currency"]),
                "amount_minor": price["amount"],
            }
            for price in prices
        ],
    }


async def some_product_ids(session: AsyncSession, tenant: str, limit: int) -> list[str]:
    """A few product ids of the catalog (for probes and samples), in id order."""
    return await repository.some_product_ids(session, tenant, limit)
