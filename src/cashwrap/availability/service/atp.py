"""Available-to-promise: one service every caller uses (checkout, ``POST /v0/availability``).

Where ATP comes from (seed, "Retrieving ATP for products from an external OMS"):

* ``uses_external_atp`` on **and** the availability webhook configured → ask the external OMS,
  one call per question (never one per item). If the call fails in any way — timeout, refused
  connection, non-2xx, bad JSON, a payload that does not match — every requested item is
  unavailable (ATP 0) and keeps the ``reason``, so "unknown" is never mistaken for "zero": in
  the answer, in the logs (``cashwrap.availability``) and in
  ``cashwrap_atp_answers_total{source, outcome}``.
* otherwise → the platform's stock: on-hand minus active reservations.

No transaction is open while the OMS is asked (on SQLite every transaction holds the write
lock): the configuration is read in one short transaction, the call is made, and the stock
path reads in its own short transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import service as config
from cashwrap.config.service import kept
from cashwrap.core.cache import Recent
from cashwrap.core.uow import Database
from cashwrap.locations import service as locations
from cashwrap.outbound import oms
from cashwrap.outbound.http import OutboundHttp

logger = logging.getLogger("cashwrap.availability")

EXTERNAL = "external"
STOCK = "stock"
MISSING_FROM_ANSWER = "missing_from_answer"
NO_LOCATIONS = "no_fulfillment_locations"

ATP_ANSWERS = Counter(
    "cashwrap_atp_answers_total",
    "ATP questions answered, by source (external | stock) and outcome (ok or the failure reason)",
    ["source", "outcome"],
)


@dataclass(frozen=True)
class Availability:
    """ATP of one product at one location; ``reason`` says why it is unknown (ATP then 0)."""

    product_id: str
    external_identifier: str
    fulfillment_location: str
    atp: int
    source: str
    reason: str | None = None


@dataclass(frozen=True)
class AtpResult:
    """The answer to one question. ``reason`` is set when the whole answer could not be had."""

    source: str
    availabilities: list[Availability]
    reason: str | None = None
    detail: str | None = None
    _index: dict[tuple[str, str], int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for entry in self.availabilities:
            self._index[(entry.fulfillment_location, entry.product_id)] = entry.atp

    def atp(self, location: str, product_id: str) -> int:
        """Units promised at a location (0 when unknown or not answered)."""
        return self._index.get((location, product_id), 0)

    def locations_of(self, product_id: str) -> list[str]:
        return [e.fulfillment_location for e in self.availabilities if e.product_id == product_id]


@dataclass(frozen=True)
class Question:
    """What the configuration says to do for one question, read in a short transaction."""

    product_ids: list[str]
    locations: list[str]
    target: oms.AvailabilityTarget | None


async def prepare(
    session: AsyncSession,
    tenant: str,
    product_ids: Sequence[str],
    locations_asked: Sequence[str] | None,
) -> Question:
    """Read the configuration (and, without a list, the known locations) for a question."""
    products = list(dict.fromkeys(product_ids))
    if locations_asked is None:
        asked = sorted(await locations.known_location_ids(session, tenant))
    else:
        asked = list(dict.fromkeys(locations_asked))
    target = None
    if await config.routing_switch(session, tenant, "uses_external_atp"):
        webhook = await config.availability_webhook(session, tenant)
        if webhook is not None:
            target = oms.AvailabilityTarget(
                url=webhook.url,
                api_key=webhook.api_key,
                timeout_seconds=float(webhook.timeout),
                external_identifier=webhook.external_identifier,
            )
    return Question(products, asked, target)


async def answer(
    database: Database, http: OutboundHttp, tenant: str, question: Question
) -> AtpResult:
    """Answer a prepared question: the OMS (no transaction open) or the stock (a short one)."""
    if question.target is None:
        async with database.transaction() as session:
            return await _from_stock(session, tenant, question)
    return await _ask_oms(http, tenant, question)


async def atp(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    product_ids: Sequence[str],
    locations_asked: Sequence[str] | None = None,
    *,
    config_max_age: float = 0.0,
) -> AtpResult:
    """ATP of every product at every location (default: every location the platform knows).

    The answer has one entry per requested (product, location) pair, plus the OMS's entries
    for the requested products at locations it was not asked about (the OMS may know locations
    the platform does not; the "Products not available" evaluation reports them).

    ``config_max_age`` > 0 lets this process reuse the tenant's ATP configuration (the switch
    and the webhook) read at most that many seconds ago, so that a question with its locations
    and external ATP costs no database transaction at all: ``POST /v0/availability`` passes
    ``atp_config_cache_seconds``. A configuration change committed by this process applies
    to the next question, one made by another process within that delay.
    """
    target = _TARGETS.get((id(database), tenant), config_max_age)
    if locations_asked is not None and target is not None:
        products = list(dict.fromkeys(product_ids))
        question = Question(products, list(dict.fromkeys(locations_asked)), target)
        return await _ask_oms(http, tenant, question)
    async with database.transaction() as session:
        question = await prepare(session, tenant, product_ids, locations_asked)
        _TARGETS.put((id(database), tenant), question.target, config_max_age)
        if question.target is None:
            return await _from_stock(session, tenant, question)
    return await _ask_oms(http, tenant, question)


# (id of the Database, tenant) → the webhook target (None: ATP from the platform's stock);
# forgotten as soon as this process commits a configuration change (config.service.kept).
_TARGETS: Recent[tuple[int, str], oms.AvailabilityTarget | None] = kept.forgotten_on_change(
    Recent()
)


async def _from_stock(session: AsyncSession, tenant: str, question: Question) -> AtpResult:
    if not question.product_ids or not question.locations:
        return _nothing_to_ask(STOCK, question)
    levels = await locations.atp_from_stock(
        session, tenant, question.locations, question.product_ids
    )
    ATP_ANSWERS.labels(STOCK, "ok").inc()
    return AtpResult(
        source=STOCK,
        availabilities=[
            Availability(product, product, location, levels[(location, product)], STOCK)
            for product in question.product_ids
            for location in question.locations
        ],
    )


async def _ask_oms(http: OutboundHttp, tenant: str, question: Question) -> AtpResult:
    assert question.target is not None
    if not question.product_ids or not question.locations:
        return _nothing_to_ask(EXTERNAL, question)
    reply = await oms.request_availabilities(
        http, question.target, question.product_ids, question.locations
    )
    return _from_oms(tenant, question, reply)


def _nothing_to_ask(source: str, question: Question) -> AtpResult:
    ATP_ANSWERS.labels(source, NO_LOCATIONS).inc()
    return AtpResult(
        source=source,
        availabilities=[],
        reason=NO_LOCATIONS if question.product_ids else None,
    )


def _from_oms(tenant: str, question: Question, reply: oms.AtpAnswer) -> AtpResult:
    if not reply.ok:
        ATP_ANSWERS.labels(EXTERNAL, reply.reason).inc()
        logger.warning(
            "ATP unavailable: the OMS could not answer; every item is unavailable",
            extra={
                "tenant": tenant,
                "reason": reply.reason,
                "detail": reply.detail,
                "products": len(question.product_ids),
                "locations": len(question.locations),
                "duration_ms": round(reply.elapsed * 1000, 2),
            },
        )
        return AtpResult(
            source=EXTERNAL,
            reason=reply.reason,
            detail=reply.detail,
            availabilities=[
                Availability(product, product, location, 0, EXTERNAL, reply.reason)
                for product in question.product_ids
                for location in question.locations
            ],
        )
    answered: dict[tuple[str, str], oms.AtpEntry] = {}
    wanted = set(question.product_ids)
    for entry in reply.entries:
        if entry.product_id not in wanted:
            continue
        key = (entry.product_id, entry.fulfillment_location)
        # Two figures for one pair: trust the smaller (failing closed, never overselling).
        known = answered.get(key)
        if known is None or entry.atp < known.atp:
            answered[key] = entry
    missing = 0
    result: list[Availability] = []
    for product in question.product_ids:
        for location in question.locations:
            found = answered.pop((product, location), None)
            if found is None:
                missing += 1
                result.append(
                    Availability(product, product, location, 0, EXTERNAL, MISSING_FROM_ANSWER)
                )
            else:
                result.append(
                    Availability(product, found.external_identifier, location, found.atp, EXTERNAL)
                )
    result.extend(_unasked(answered.values()))
    ATP_ANSWERS.labels(EXTERNAL, "ok").inc()
    if missing:
        logger.info(
            "the OMS answer leaves requested pairs out; they count as unavailable",
            extra={"tenant": tenant, "missing": missing},
        )
    return AtpResult(source=EXTERNAL, availabilities=result)


def _unasked(entries: Iterable[oms.AtpEntry]) -> list[Availability]:
    return [
        Availability(e.product_id, e.external_identifier, e.fulfillment_location, e.atp, EXTERNAL)
        for e in sorted(entries, key=lambda e: (e.product_id, e.fulfillment_location))
    ]
