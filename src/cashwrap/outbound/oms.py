"""Calls the platform makes on the external OMS: the availability (ATP) webhook (b.1), and
the external order webhook (b.2: purchase history and order details, further below).

``request_availabilities`` POSTs the documented request to the configured URL with
``Authorization: Bearer <api_key>`` within the configured timeout, and checks the answer
against the documented shape. It never raises for what the OMS does: the answer says either
``ok`` with the entries, or the ``reason`` it could not be had::

    timeout | refused | dns_error | connection_error | disconnected | invalid_url
    | http_<status> | invalid_json | response_too_large     (from the HTTP client)
    | invalid_payload                                        (JSON, but not the documented shape)

Identical questions asked while one is in flight share that one call (single-flight), so a
burst of checkouts for the same cart costs the OMS one request.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import orjson

from cashwrap.outbound.http import OutboundHttp

AVAILABILITY = "oms_availability"


@dataclass(frozen=True)
class AvailabilityTarget:
    """Where and how to ask: the availability webhook configuration (a.8)."""

    url: str
    api_key: str
    timeout_seconds: float
    external_identifier: str = "product_id"


@dataclass(frozen=True)
class AtpEntry:
    product_id: str
    external_identifier: str
    fulfillment_location: str
    atp: int


@dataclass(frozen=True)
class AtpAnswer:
    """``reason`` is None when the OMS answered in the documented shape."""

    entries: tuple[AtpEntry, ...] = ()
    reason: str | None = None
    detail: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason is None


def availability_request(
    product_ids: Sequence[str], locations: Sequence[str]
) -> dict[str, list[Any]]:
    """The webhook's request body, in a canonical order (same question, same bytes)."""
    return {
        "products": [
            {"product_id": product, "external_identifier": product}
            for product in sorted(set(product_ids))
        ],
        "fulfillment_locations": sorted(set(locations)),
    }


async def request_availabilities(
    http: OutboundHttp,
    target: AvailabilityTarget,
    product_ids: Sequence[str],
    locations: Sequence[str],
) -> AtpAnswer:
    """Ask the OMS for ATP of ``product_ids`` at ``locations`` (both non-empty)."""
    body = availability_request(product_ids, locations)
    encoded = orjson.dumps(body)
    key = (
        AVAILABILITY,
        target.url,
        hashlib.sha256(target.api_key.encode()).hexdigest(),
        target.timeout_seconds,
        encoded,
    )

    async def call() -> AtpAnswer:
        result = await http.post_json(
            AVAILABILITY,
            target.url,
            body,
            bearer=target.api_key,
            timeout_seconds=target.timeout_seconds,
        )
        if not result.ok:
            return AtpAnswer(reason=result.outcome, detail=result.detail, elapsed=result.elapsed)
        entries, problem = parse_availabilities(result.body)
        if problem is not None:
            return AtpAnswer(reason="invalid_payload", detail=problem, elapsed=result.elapsed)
        return AtpAnswer(entries=entries, elapsed=result.elapsed)

    return await http.single_flight(key, call)


def parse_availabilities(body: Any) -> tuple[tuple[AtpEntry, ...], str | None]:
    """The entries of a webhook answer, or the first way it departs from the documented shape.

    ``{"availabilities": [{"product_id": str, "external_identifier": str,
    "fulfillment_location": str, "atp": int >= 0}]}``; ``external_identifier`` may be omitted
    (it defaults to the product id). One malformed entry makes the whole answer unusable: the
    platform fails closed rather than trust half an answer.
    """
    if not isinstance(body, dict) or not isinstance(body.get("availabilities"), list):
        return (), "the answer is not an object with an 'availabilities' array"
    entries: list[AtpEntry] = []
    for index, item in enumerate(body["availabilities"]):
        where = f"availabilities[{index}]"
        if not isinstance(item, dict):
            return (), f"{where} is not an object"
        product = item.get("product_id")
        location = item.get("fulfillment_location")
        atp = item.get("atp")
        identifier = item.get("external_identifier", product)
        if not isinstance(product, str) or not product:
            return (), f"{where}.product_id must be a non-empty string"
        if not isinstance(location, str) or not location:
            return (), f"{where}.fulfillment_location must be a non-empty string"
        if isinstance(atp, bool) or not isinstance(atp, int) or atp < 0:
            return (), f"{where}.atp must be an integer >= 0, not {atp!r}"
        if not isinstance(identifier, str):
            return (), f"{where}.external_identifier must be a string"
        entries.append(AtpEntry(product, identifier, location, atp))
    return tuple(entries), None


# --- the external order webhook (b.2): purchase history and order details ----------------------

PURCHASE_HISTORY = "oms_purchase_history"
ORDER_DETAILS = "oms_order_details"


@dataclass(frozen=True)
class OrderWebhookTarget:
    """Where and how to ask: the external order webhook configuration (a.9).

    ``url`` is the webhook's base URL; the calls append ``/orders`` and ``/orders/{id}``
    (methods and suffixes are not documented by NewStore: GET and these paths are inferred
    in ``openapi/webhook-sales-order.yml``).
    """

    url: str
    api_key: str
    timeout_seconds: float


@dataclass(frozen=True)
class OrderWebhookAnswer:
    """The parsed JSON body when ``reason`` is None; otherwise why there is none.

    ``reason`` is one of the outcomes of :mod:`cashwrap.outbound.http` (``timeout``,
    ``refused``, ``http_<status>``, ``invalid_json``, …). ``status`` is the HTTP status when
    the OMS answered at all.
    """

    body: Any = None
    reason: str | None = None
    status: int | None = None
    detail: str | None = None
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.reason is None


async def request_purchase_history(
    http: OutboundHttp,
    target: OrderWebhookTarget,
    *,
    consumer_email: str | None = None,
    consumer_token: str | None = None,
) -> OrderWebhookAnswer:
    """``GET {url}/orders?consumer_email=…`` (or ``consumer_token=…``): a customer's orders.

    Exactly one of ``consumer_email`` (tenants without PII tokenization) and
    ``consumer_token`` is sent. The body is returned as the OMS sent it: checking it against
    the documented shape, ordering it and keeping the 100 newest is the caller's job.
    """
    if (consumer_email is None) == (consumer_token is None):
        raise ValueError("give exactly one of consumer_email and consumer_token")
    params = (
        {"consumer_email": consumer_email}
        if consumer_email is not None
        else {"consumer_token": consumer_token or ""}
    )
    return await _get(http, PURCHASE_HISTORY, f"{target.url.rstrip('/')}/orders", target, params)


async def request_order_details(
    http: OutboundHttp, target: OrderWebhookTarget, order_id: str
) -> OrderWebhookAnswer:
    """``GET {url}/orders/{id}``: one order, by the identifier people see (``GD000001234``)."""
    if not order_id:
        raise ValueError("the order id must not be empty")
    url = f"{target.url.rstrip('/')}/orders/{quote(order_id, safe='')}"
    return await _get(http, ORDER_DETAILS, url, target, None)


async def _get(
    http: OutboundHttp,
    counterpart: str,
    url: str,
    target: OrderWebhookTarget,
    params: dict[str, str] | None,
) -> OrderWebhookAnswer:
    result = await http.request(
        counterpart,
        "GET",
        url,
        params=params,
        bearer=target.api_key,
        timeout_seconds=target.timeout_seconds,
    )
    if not result.ok:
        return OrderWebhookAnswer(
            reason=result.outcome,
            status=result.status,
            detail=result.detail or result.excerpt,
            elapsed=result.elapsed,
        )
    return OrderWebhookAnswer(body=result.body, status=result.status, elapsed=result.elapsed)
