"""Bulk statements for imports and the catalog's reads.

Imports write with SQLAlchemy Core: one upsert statement executed with a list of parameter
sets (SQLAlchemy sends it as batched multi-row ``INSERT … ON CONFLICT`` on PostgreSQL and as
one prepared statement stepped per row on SQLite), never one ORM object per record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, or_, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.catalog.models import ImportJob, ImportRecordError, Product, ProductPrice
from cashwrap.core import sql

PRODUCTS: Table = Product.__table__  # type: ignore[assignment]
PRICES: Table = ProductPrice.__table__  # type: ignore[assignment]
JOBS: Table = ImportJob.__table__  # type: ignore[assignment]
ERRORS: Table = ImportRecordError.__table__  # type: ignore[assignment]

OPEN_STATUSES = ("received", "processing")


def upsert(
    session: AsyncSession, table: Table, keys: Sequence[str]
) -> postgresql.Insert | sqlite.Insert:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` every other column, for this session's dialect."""
    dialect = session.get_bind().dialect.name
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    updates = {c.name: statement.excluded[c.name] for c in table.columns if c.name not in keys}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=updates)


async def upsert_products(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        statement = upsert(session, PRODUCTS, ("tenant", "shop", "locale", "product_id"))
        await session.execute(statement, list(rows))


async def upsert_prices(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        statement = upsert(session, PRICES, ("tenant", "pricebook", "currency", "product_id"))
        await session.execute(statement, list(rows))


async def insert_errors(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        await session.execute(ERRORS.insert(), list(rows))


async def remove_products_not_in(
    session: AsyncSession, tenant: str, job_id: str, shops: Iterable[tuple[str, str]]
) -> int:
    """Delete the products of these (shop, locale) pairs that ``job_id`` did not write."""
    pairs = list(shops)
    if not pairs:
        return 0
    result = await session.execute(
        delete(PRODUCTS).where(
            PRODUCTS.c.tenant == tenant,
            tuple_(PRODUCTS.c.shop, PRODUCTS.c.locale).in_(pairs),
            or_(PRODUCTS.c.import_id.is_(None), PRODUCTS.c.import_id != job_id),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def remove_prices_not_in(
    session: AsyncSession, tenant: str, job_id: str, books: Iterable[tuple[str, str]]
) -> int:
    """Delete the prices of these (pricebook, currency) pairs that ``job_id`` did not write."""
    pairs = list(books)
    if not pairs:
        return 0
    result = await session.execute(
        delete(PRICES).where(
            PRICES.c.tenant == tenant,
            tuple_(PRICES.c.pricebook, PRICES.c.currency).in_(pairs),
            or_(PRICES.c.import_id.is_(None), PRICES.c.import_id != job_id),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def count_open_jobs(session: AsyncSession, tenant: str) -> tuple[int, int]:
    """(open jobs, open jobs that import products) of a tenant."""
    rows = await session.execute(
        select(JOBS.c.entities).where(JOBS.c.tenant == tenant, JOBS.c.status.in_(OPEN_STATUSES))
    )
    entities = [row[0] for row in rows]
    return len(entities), sum(1 for names in entities if "products" in names)


async def job_errors(session: AsyncSession, job_id: str, limit: int) -> list[ImportRecordError]:
    rows = await session.scalars(
        select(ImportRecordError)
        .where(ImportRecordError.job_id == job_id)
        .order_by(ImportRecordError.seq)
        .limit(limit)
    )
    return list(rows)


async def count_products(session: AsyncSession, tenant: str) -> int:
    return int(
        await session.scalar(
            select(func.count()).select_from(Product).where(Product.tenant == tenant)
        )
        or 0
    )


async def products_by_id(
    session: AsyncSession, tenant: str, product_ids: Sequence[str]
) -> list[Product]:
    rows = await session.scalars(
        select(Product)
        .where(Product.tenant == tenant, Product.product_id.in_(list(product_ids)))
        .order_by(Product.product_id, Product.shop, Product.locale)
    )
    return list(rows)


async def product_content(
    session: AsyncSession, tenant: str, product_id: str
) -> list[dict[str, Any]]:
    """One product's records (shop, locale, title, brand, description), on the driver: every
    cart line reads them."""
    values = {"tenant": tenant, "product_id": product_id}
    return await sql.fetch_mappings(session, _CONTENT, values)


async def product_prices(
    session: AsyncSession, tenant: str, product_id: str
) -> list[dict[str, Any]]:
    """One product's prices (pricebook, currency, amount), on the driver, as above."""
    return await sql.fetch_mappings(session, _PRICES, {"tenant": tenant, "product_id": product_id})


async def titles_and_price(
    session: AsyncSession, tenant: str, product_id: str, *, pricebook: str, currency: str
) -> list[dict[str, Any]]:
    """One product's records (shop, locale, title), each with the product's price in
    ``pricebook`` and ``currency`` (None when it has none there): one statement for a cart line.
    """
    values = {
        "tenant": tenant,
        "product_id": product_id,
        "pricebook": pricebook,
        "currency": currency,
    }
    return await sql.fetch_mappings(session, _TITLES_AND_PRICE, values)


_PRICE_IN = (
    select(ProductPrice.amount)
    .where(
        ProductPrice.tenant == bindparam("tenant"),
        ProductPrice.product_id == bindparam("product_id"),
        ProductPrice.pricebook == bindparam("pricebook"),
        ProductPrice.currency == bindparam("currency"),
    )
    .scalar_subquery()
)
_TITLES_AND_PRICE = sql.Statement(
    select(Product.shop, Product.locale, Product.title, _PRICE_IN.label("amount"))
    .where(Product.tenant == bindparam("tenant"), Product.product_id == bindparam("product_id"))
    .order_by(Product.shop, Product.locale)
)
_CONTENT = sql.Statement(
    select(Product.shop, Product.locale, Product.title, Product.brand, Product.description)
    .where(Product.tenant == bindparam("tenant"), Product.product_id == bindparam("product_id"))
    .order_by(Product.shop, Product.locale)
)
_PRICES = sql.Statement(
    select(ProductPrice.pricebook, ProductPrice.currency, ProductPrice.amount)
    .where(
        ProductPrice.tenant == bindparam("tenant"),
        ProductPrice.product_id == bindparam("product_id"),
    )
    .order_by(ProductPrice.pricebook, ProductPrice.currency)
)


async def some_product_ids(session: AsyncSession, tenant: str, limit: int) -> list[str]:
    rows = await session.scalars(
        select(Product.product_id)
        .where(Product.tenant == tenant)
        .order_by(Product.product_id)
        .limit(limit)
    )
    return list(rows)
