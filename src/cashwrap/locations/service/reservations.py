"""Reservations: units held at a location for a customer, or an order's soft allocation.

Rules (NewStore's Reservations API, with cashwrap's stock model):

* A reservation is created ``RESERVED`` (default) or ``PENDING``; one item is one unit.
* ``RESERVED`` needs the units: on-hand minus active reservations must cover every item, else
  409 ``insufficient_stock`` and nothing is written. The stock rows are locked for the check
  (``FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two reservations racing for
  the last unit cannot both get it.
* Expiry: ``expires_in_min`` of the request, else the tenant's configuration, else 1440 minutes
  (24 h). An expired item still shows ``RESERVED`` but no longer holds stock for ATP.
* Items move ``RESERVED → CONVERTED`` (the unit is sold: on-hand decreases by one) or
  ``RESERVED → UNRESERVED`` (released); both are terminal. A ``PENDING`` reservation is accepted
  (``RESERVED``, expiry reset) or rejected (``REJECTED``) as a whole.
* ``Idempotency-Key``: the same key with the same request returns the first reservation; the
  same key with a different request is 409 ``idempotency_key_reused``.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from cashwrap.core.ids import new_id
from cashwrap.core.states import transition
from cashwrap.locations import repository
from cashwrap.locations.models import Reservation, ReservationConfig, ReservationItem
from cashwrap.locations.service.locations import get_location
from cashwrap.locations.service.stock import adjust_stock, atp_from_stock
from cashwrap.locations.states import (
    CONVERTED,
    PENDING,
    REJECTED,
    RESERVATION,
    RESERVATION_ITEM,
    RESERVED,
    STATUSES,
    UNRESERVED,
    derived_status,
)

DEFAULT_EXPIRES_IN_MIN = 1440
UNTIL_SETTLED = datetime(9999, 12, 31, tzinfo=UTC)
"""The expiry of an order's soft allocation: none, in a column every stock check compares."""
_DISPLAY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
_SORTS: dict[str, Any] = {
    "created_at|asc": Reservation.created_at.asc(),
    "created_at|desc": Reservation.created_at.desc(),
    "status|asc": Reservation.status.asc(),
    "status|desc": Reservation.status.desc(),
}


@dataclass(frozen=True)
class ReservedUnit:
    """One unit to hold; ``order_item_id`` links it to an order item (soft allocation)."""

    product_id: str
    order_item_id: str | None = None


@dataclass
class ReservationView:
    reservation: Reservation
    items: list[ReservationItem] = field(default_factory=list)

    @property
    def reserved_item_count(self) -> int:
        return sum(1 for item in self.items if item.status == RESERVED)


# --- configuration ---------------------------------------------------------------------------


async def get_config(session: AsyncSession, tenant: str) -> dict[str, Any]:
    config = await session.get(ReservationConfig, tenant)
    if config is None:
        return {
            "expires_in_min": DEFAULT_EXPIRES_IN_MIN,
            "send_accepted_emails": False,
            "send_rejected_emails": False,
        }
    return {
        "expires_in_min": config.expires_in_min,
        "send_accepted_emails": config.send_accepted_emails,
        "send_rejected_emails": config.send_rejected_emails,
    }


async def update_config(
    session: AsyncSession,
    tenant: str,
    *,
    expires_in_min: int | None = None,
    send_accepted_emails: bool | None = None,
    send_rejected_emails: bool | None = None,
) -> dict[str, Any]:
    """Change the given members only (``PATCH`` semantics)."""
    current = await get_config(session, tenant)
    if expires_in_min is not None:
        current["expires_in_min"] = expires_in_min
    if send_accepted_emails is not None:
        current["send_accepted_emails"] = send_accepted_emails
    if send_rejected_emails is not None:
        current["send_rejected_emails"] = send_rejected_emails
    config = await session.get(ReservationConfig, tenant)
    if config is None:
        session.add(ReservationConfig(tenant=tenant, updated_at=clock.now(), **current))
    else:
        for key, value in current.items():
            setattr(config, key, value)
        config.updated_at = clock.now()
    await session.flush()
    return current


# --- creation --------------------------------------------------------------------------------


async def create_reservation(
    session: AsyncSession,
    tenant: str,
    *,
    location_id: str,
    items: Sequence[ReservedUnit],
    idempotency_key: str,
    customer_profile_id: str | None = None,
    associate_id: str | None = None,
    external_id: str | None = None,
    expires_in_min: int | None = None,
    status: str = RESERVED,
    order_id: str | None = None,
) -> tuple[ReservationView, bool]:
    """Create a reservation; (the reservation, whether this call created it)."""
    if status not in (PENDING, RESERVED):
        raise InvalidInput("status must be PENDING or RESERVED", code="invalid_status")
    if not items:
        raise InvalidInput("a reservation needs at least one item", code="invalid_request")
    if not idempotency_key or len(idempotency_key) > 255:
        raise InvalidInput(
            "the Idempotency-Key header is required (1-255 characters)",
            code="idempotency_key_required",
        )
    request_hash = _fingerprint(
        location_id, items, customer_profile_id, associate_id, external_id, expires_in_min,
        status, order_id,
    )  # fmt: skip
    earlier = await _by_idempotency_key(session, tenant, idempotency_key, request_hash)
    if earlier is not None:
        return earlier, False
    await get_location(session, tenant, location_id)
    if expires_in_min is None:
        expires_in_min = int((await get_config(session, tenant))["expires_in_min"])
    if status == RESERVED:
        await _require_units(session, tenant, location_id, [unit.product_id for unit in items])
    moment = clock.now()
    expires_at = moment + timedelta(minutes=expires_in_min)
    reservation = Reservation(
        id=new_id(),
        tenant=tenant,
        location_id=location_id,
        customer_profile_id=customer_profile_id,
        associate_id=associate_id,
        external_id=external_id,
        display_id=_display_id(),
        order_id=order_id,
        status=status,
        idempotency_key=idempotency_key,
        request_hash=request_hash,
        expires_at=expires_at,
        created_at=moment,
        updated_at=moment,
    )
    try:
        async with session.begin_nested():
            session.add(reservation)
            await session.flush()
    except IntegrityError:
        # A concurrent request with the same key won the insert; answer with its reservation.
        earlier = await _by_idempotency_key(session, tenant, idempotency_key, request_hash)
        if earlier is None:  # pragma: no cover - the unique key is the only constraint here
            raise
        return earlier, False
    rows = [
        {
            "id": new_id(),
            "reservation_id": reservation.id,
            "tenant": tenant,
            "location_id": location_id,
            "product_id": unit.product_id,
            "status": status,
            "cart_id": None,
            "order_item_id": unit.order_item_id,
            "position": position,
            "expires_at": expires_at,
            "updated_at": moment,
        }
        for position, unit in enumerate(items)
    ]
    await repository.insert_reservation_items(session, rows)
    return ReservationView(
        reservation, await repository.reservation_items(session, reservation.id)
    ), True


async def reserve_for_order(
    session: AsyncSession,
    tenant: str,
    *,
    order_id: str,
    location_id: str,
    items: Sequence[ReservedUnit],
    expires_in_min: int | None = None,
) -> ReservationView:
    """An order's soft allocation: hold one unit per item at ``location_id``.

    Idempotent per (order, location): calling it again for the same order and location returns
    the existing reservation. 409 ``insufficient_stock`` when the units are not there.
    """
    view, _ = await create_reservation(
        session,
        tenant,
        location_id=location_id,
        items=items,
        idempotency_key=f"order:{order_id}:{location_id}",
        expires_in_min=expires_in_min,
        order_id=order_id,
    )
    return view


async def hold_for_new_order(
    session: AsyncSession,
    tenant: str,
    *,
    order_id: str,
    location_id: str,
    items: Sequence[ReservedUnit],
) -> str:
    """The soft allocation of an order **being created in the caller's transaction**: the
    rules of :func:`reserve_for_order` (every unit must be there, the stock rows are locked
    while checking) in three Core statements, for the order-injection hot path. Returns the
    reservation id; 409 ``insufficient_stock`` and nothing written when short.

    It skips what a new order cannot need: the idempotency lookup (the order has no
    reservation yet; its key ``order:<order id>:<location>`` is still unique, so calling
    :func:`reserve_for_order` later for the same order and location finds this one) and the
    location lookup (the caller has checked that the location exists).

    It does not expire (:data:`UNTIL_SETTLED`): the store may take days to fulfil the order,
    and units handed back by an expiry meanwhile would be promised to the next order — one of
    the two a mispick. The order's fulfillment or cancellation settles it.
    """
    if not items:
        raise InvalidInput("a reservation needs at least one item", code="invalid_request")
    moment = clock.now()
    wanted = Counter(unit.product_id for unit in items)
    available = await repository.available_units(session, tenant, location_id, wanted, moment)
    short = {
        product: {"requested": count, "available": available.get(product, 0)}
        for product, count in sorted(wanted.items())
        if available.get(product, 0) < count
    }
    if short:
        raise Conflict(
            f"not enough units at {location_id!r} for: {', '.join(short)}",
            code="insufficient_stock",
            extra={"location_id": location_id, "products": short},
        )
    expires_at = UNTIL_SETTLED
    reservation_id = new_id()
    await repository.insert_reservations(
        session,
        [
            {
                "id": reservation_id,
                "tenant": tenant,
                "location_id": location_id,
                "customer_profile_id": None,
                "associate_id": None,
                "external_id": None,
                "display_id": _display_id(),
                "order_id": order_id,
                "status": RESERVED,
                "idempotency_key": f"order:{order_id}:{location_id}",
                "request_hash": _fingerprint(
                    location_id, items, None, None, None, None, RESERVED, order_id
                ),
                "expires_at": expires_at,
                "created_at": moment,
                "updated_at": moment,
            }
        ],
    )
    await repository.insert_reservation_items(
        session,
        [
            {
                "id": new_id(),
                "reservation_id": reservation_id,
                "tenant": tenant,
                "location_id": location_id,
                "product_id": unit.product_id,
                "status": RESERVED,
                "cart_id": None,
                "order_item_id": unit.order_item_id,
                "position": position,
                "expires_at": expires_at,
                "updated_at": moment,
            }
            for position, unit in enumerate(items)
        ],
    )
    return reservation_id


async def _require_units(
    session: AsyncSession, tenant: str, location_id: str, product_ids: Sequence[str]
) -> None:
    wanted = Counter(product_ids)
    atp = await atp_from_stock(session, tenant, [location_id], list(wanted), lock=True)
    short = {
        product: {"requested": count, "available": atp[(location_id, product)]}
        for product, count in sorted(wanted.items())
        if atp[(location_id, product)] < count
    }
    if short:
        raise Conflict(
            f"not enough units at {location_id!r} for: {', '.join(short)}",
            code="insufficient_stock",
            messages=[
                f"{product}: requested {units['requested']}, available {units['available']}"
                for product, units in short.items()
            ],
            extra={"location_id": location_id, "products": short},
        )


async def _by_idempotency_key(
    session: AsyncSession, tenant: str, key: str, request_hash: str
) -> ReservationView | None:
    existing = await session.scalar(
        select(Reservation).where(Reservation.tenant == tenant, Reservation.idempotency_key == key)
    )
    if existing is None:
        return None
    if existing.request_hash != request_hash:
        raise Conflict(
            "this Idempotency-Key was used for a different reservation request",
            code="idempotency_key_reused",
            extra={"reservation_id": existing.id},
        )
    return ReservationView(existing, await repository.reservation_items(session, existing.id))


def _fingerprint(*parts: Any) -> str:
    def plain(value: Any) -> Any:
        if isinstance(value, ReservedUnit):
            return [value.product_id, value.order_item_id]
        if isinstance(value, list | tuple):
            return [plain(item) for item in value]
        return value

    return hashlib.sha256(orjson.dumps(plain(list(parts)))).hexdigest()


def _display_id() -> str:
    # One read of the system's randomness; 32 letters divide 256, so every letter is as likely.
    return "".join(_DISPLAY_ALPHABET[byte % 32] for byte in secrets.token_bytes(8))


# --- reads -----------------------------------------------------------------------------------


async def get_reservation(
    session: AsyncSession, tenant: str, reservation_id: str
) -> ReservationView:
    reservation = await session.get(Reservation, reservation_id)
    if reservation is None or reservation.tenant != tenant:
        raise NotFound(
            f"reservation {reservation_id!r} does not exist", code="reservation_not_found"
        )
    return ReservationView(reservation, await repository.reservation_items(session, reservation_id))


async def list_reservations(
    session: AsyncSession,
    tenant: str,
    *,
    location_id: str | None = None,
    statuses: Sequence[str] = (),
    external_id: str | None = None,
    display_id: str | None = None,
    customer_profile_id: str | None = None,
    associate_id: str | None = None,
    expired: bool | None = None,
    sort: Sequence[str] = (),
    offset: int = 0,
    count: int = 10,
) -> tuple[list[ReservationView], int, int]:
    """(page of reservations, total matching, reserved items among all matching)."""
    unknown = [status for status in statuses if status not in STATUSES]
    if unknown:
        raise InvalidInput(f"unknown status: {', '.join(unknown)}", code="invalid_status")
    bad_sorts = [key for key in sort if key not in _SORTS]
    if bad_sorts:
        raise InvalidInput(f"unknown sort: {', '.join(bad_sorts)}", code="invalid_sort")
    conditions: list[Any] = [Reservation.tenant == tenant]
    if location_id:
        conditions.append(Reservation.location_id == location_id)
    if statuses:
        conditions.append(Reservation.status.in_(list(statuses)))
    if external_id:
        conditions.append(
            or_(Reservation.external_id == external_id, Reservation.display_id == external_id)
        )
    if display_id:
        conditions.append(Reservation.display_id.contains(display_id.upper(), autoescape=True))
    if customer_profile_id:
        conditions.append(Reservation.customer_profile_id == customer_profile_id)
    if associate_id:
        conditions.append(Reservation.associate_id == associate_id)
    if expired is not None:
        moment = clock.now()
        conditions.append(
            Reservation.expires_at <= moment if expired else Reservation.expires_at > moment
        )
    total = int(
        await session.scalar(select(func.count()).select_from(Reservation).where(*conditions)) or 0
    )
    reserved_items = int(
        await session.scalar(
            select(func.count())
            .select_from(ReservationItem)
            .join(Reservation, Reservation.id == ReservationItem.reservation_id)
            .where(*conditions, ReservationItem.status == RESERVED)
        )
        or 0
    )
    order = [_SORTS[key] for key in sort] or [Reservation.created_at.desc()]
    rows = list(
        await session.scalars(
            select(Reservation)
            .where(*conditions)
            .order_by(*order, Reservation.id)
            .offset(offset)
            .limit(count)
        )
    )
    items = await repository.items_of(session, [row.id for row in rows])
    return [ReservationView(row, items[row.id]) for row in rows], total, reserved_items


# --- status changes --------------------------------------------------------------------------


async def update_reservation_status(
    session: AsyncSession, tenant: str, reservation_id: str, target: str
) -> ReservationView:
    """Accept (``RESERVED``) or reject (``REJECTED``) a ``PENDING`` reservation."""
    if target not in (RESERVED, REJECTED):
        raise InvalidInput("status must be RESERVED or REJECTED", code="invalid_status")
    view = await get_reservation(session, tenant, reservation_id)
    reservation = view.reservation
    RESERVATION.check(reservation.status, target)
    moment = clock.now()
    values: dict[str, Any] = {"updated_at": moment}
    if target == RESERVED:
        await _require_units(
            session, tenant, reservation.location_id, [item.product_id for item in view.items]
        )
        duration = clock.as_utc(reservation.expires_at) - clock.as_utc(reservation.created_at)
        values["expires_at"] = moment + duration
    await transition(
        session,
        repository.RESERVATIONS,
        lifecycle=RESERVATION,
        row_id=reservation.id,
        current=reservation.status,
        target=target,
        values=values,
    )
    for item in view.items:
        await transition(
            session,
            repository.ITEMS,
            lifecycle=RESERVATION_ITEM,
            row_id=item.id,
            current=item.status,
            target=target,
            values={"updated_at": moment, "expires_at": values.get("expires_at", item.expires_at)},
        )
    return await _reloaded(session, tenant, reservation_id)


async def update_items(
    session: AsyncSession,
    tenant: str,
    reservation_id: str,
    updates: Sequence[tuple[str, str, str | None]],
) -> ReservationView:
    """Move items ``(item id, CONVERTED | UNRESERVED, cart_id)``; all of them or none.

    404 for an item that is not in the reservation; 409 when the reservation is still pending
    (or was rejected) or an item is already converted or unreserved.
    """
    if not updates:
        raise InvalidInput("no items to update", code="invalid_request")
    ids = [item_id for item_id, _, _ in updates]
    if len(set(ids)) != len(ids):
        raise InvalidInput("an item appears more than once", code="duplicate_item")
    view = await get_reservation(session, tenant, reservation_id)
    reservation = view.reservation
    if reservation.status in (PENDING, REJECTED):
        raise InvalidTransition(
            f"the items of a {reservation.status} reservation cannot be updated; "
            "accept or reject the reservation instead",
            code="reservation_not_accepted",
        )
    by_id = {item.id: item for item in view.items}
    missing = [item_id for item_id in ids if item_id not in by_id]
    if missing:
        raise NotFound(
            f"reservation {reservation_id!r} has no item {', '.join(missing)}",
            code="reservation_item_not_found",
        )
    for item_id, target, _ in updates:
        if target not in (CONVERTED, UNRESERVED):
            raise InvalidInput("status must be CONVERTED or UNRESERVED", code="invalid_status")
        RESERVATION_ITEM.check(by_id[item_id].status, target)
    moment = clock.now()
    for item_id, target, cart_id in updates:
        item = by_id[item_id]
        values: dict[str, Any] = {"updated_at": moment}
        if target == CONVERTED and cart_id:
            values["cart_id"] = cart_id
        await transition(
            session,
            repository.ITEMS,
            lifecycle=RESERVATION_ITEM,
            row_id=item.id,
            current=item.status,
            target=target,
            values=values,
        )
        if target == CONVERTED:
            await adjust_stock(
                session, tenant, reservation.location_id, item.product_id, -1, clamp=True
            )
    statuses = [
        next((target for item_id, target, _ in updates if item_id == item.id), item.status)
        for item in view.items
    ]
    derived = derived_status(statuses)
    if derived != reservation.status:
        await transition(
            session,
            repository.RESERVATIONS,
            lifecycle=RESERVATION,
            row_id=reservation.id,
            current=reservation.status,
            target=derived,
            values={"updated_at": moment},
        )
    return await _reloaded(session, tenant, reservation_id)


async def convert(
    session: AsyncSession,
    tenant: str,
    reservation_id: str,
    item_ids: Sequence[str] | None = None,
    *,
    cart_id: str | None = None,
) -> ReservationView:
    """The held units were sold: their items become ``CONVERTED`` and leave on-hand stock.

    ``item_ids`` None converts every item still ``RESERVED``.
    """
    return await _settle(session, tenant, reservation_id, item_ids, CONVERTED, cart_id)


async def unreserve(
    session: AsyncSession,
    tenant: str,
    reservation_id: str,
    item_ids: Sequence[str] | None = None,
) -> ReservationView:
    """Release held units (``UNRESERVED``); ``item_ids`` None releases every reserved item."""
    return await _settle(session, tenant, reservation_id, item_ids, UNRESERVED, None)


async def release_for_order(
    session: AsyncSession,
    tenant: str,
    order_id: str,
    order_item_ids: Sequence[str] | None = None,
) -> int:
    """Release what an order still holds — every item, or these order items — and return how
    many units: a cancelled order's units are available again at once, not when its
    reservation expires."""
    reservation_ids = (
        await session.scalars(
            select(Reservation.id).where(
                Reservation.tenant == tenant, Reservation.order_id == order_id
            )
        )
    ).all()
    released = 0
    for reservation_id in reservation_ids:
        released += await settle_order_items(
            session, tenant, reservation_id, order_item_ids, convert=False
        )
    return released


async def settle_order_items(
    session: AsyncSession,
    tenant: str,
    reservation_id: str,
    order_item_ids: Collection[str] | None,
    *,
    convert: bool,
) -> int:
    """Convert (sold: the units leave on-hand) or release the units one reservation still holds
    for these order items (all of them when None); how many."""
    view = await get_reservation(session, tenant, reservation_id)
    wanted = None if order_item_ids is None else set(order_item_ids)
    ids = [
        item.id
        for item in view.items
        if item.status == RESERVED and (wanted is None or item.order_item_id in wanted)
    ]
    if ids:
        target = CONVERTED if convert else UNRESERVED
        await update_items(session, tenant, reservation_id, [(i, target, None) for i in ids])
    return len(ids)


async def _settle(
    session: AsyncSession,
    tenant: str,
    reservation_id: str,
    item_ids: Sequence[str] | None,
    target: str,
    cart_id: str | None,
) -> ReservationView:
    view = await get_reservation(session, tenant, reservation_id)
    if item_ids is None:
        item_ids = [item.id for item in view.items if item.status == RESERVED]
        if not item_ids:
            return view
    return await update_items(
        session, tenant, reservation_id, [(item_id, target, cart_id) for item_id in item_ids]
    )


async def _reloaded(session: AsyncSession, tenant: str, reservation_id: str) -> ReservationView:
    reservation = await session.get(Reservation, reservation_id, populate_existing=True)
    assert reservation is not None
    assert reservation.tenant == tenant
    items = list(
        await session.scalars(
            select(ReservationItem)
            .where(ReservationItem.reservation_id == reservation_id)
            .order_by(ReservationItem.position)
            .execution_options(populate_existing=True)
        )
    )
    return ReservationView(reservation, items)
