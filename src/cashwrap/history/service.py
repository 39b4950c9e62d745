"""A customer's purchase history and one order's details: from the external OMS or the platform.

Where the answer comes from (seed, "Retrieving purchase and order history from an external
OMS"; CONTRACT b.2, c.2):

* the **external order webhook**, when the Associate App runs the external-OMS UI
  (``use_new_om_ui``) *and* the webhook is configured (``/v0/config/external_order_webhook``);
* otherwise the **platform's own orders**.

Webhook failures surface as the Sales Orders API documents them::

    412 precondition_error     the webhook configuration has no API key (no call is made)
    409 conflict               the answer is not the documented shape (or not JSON at all)
    404 order_not_found        the OMS does not know the order (404 to order details)
    503 external_server_error  the OMS errored, refused the key, timed out or was unreachable

Rules applied to every answer, whatever the OMS sends:

* purchase history: sorted newest first by ``placed_at`` (ties keep the OMS's order) and cut
  to the **100 newest**;
* order details: ``payment_history`` is kept only when every entry's method is ``gift_card``,
  ``credit_card`` or ``cash`` — otherwise it is left out so Associate App can still show the
  order.

No database transaction is open while the OMS is asked: the configuration is read in one short
transaction, the transaction ends, then the webhook is called.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import service as config
from cashwrap.core import clock
from cashwrap.core.errors import Conflict, ExternalServiceError, NotFound, PreconditionFailed
from cashwrap.core.uow import Database
from cashwrap.history.schemas import (
    PAYMENT_METHODS,
    ExternalSalesOrderDetail,
    Pagination,
    SalesOrder,
    SalesOrderItem,
    SalesOrderListResponse,
    SalesOrderPrice,
    SalesOrderProductAttributes,
    WebhookOrder,
    WebhookOrderDetail,
    WebhookOrderList,
    WebhookPayment,
    WebhookPaymentHistory,
)
from cashwrap.orders import service as orders
from cashwrap.orders import views
from cashwrap.orders.schemas import SalesOrderPaymentHistory
from cashwrap.outbound import oms
from cashwrap.outbound.http import OutboundHttp

MAX_ORDERS = 100
"""NewStore's cap: only the 100 newest orders of a customer are shown."""

_SCHEMA_ERROR = "Failed JSON schema validation of the external order webhook answer. Error: "
_MAX_MESSAGES = 20


@dataclass(frozen=True)
class History:
    """A customer's orders, newest first, at most :data:`MAX_ORDERS`."""

    orders: list[SalesOrder]
    source: str
    """``external_oms`` (the webhook answered) or ``platform``."""


async def webhook_target(session: AsyncSession, tenant: str) -> oms.OrderWebhookTarget | None:
    """The external order webhook when the OMS is the source of order history, else None.

    The OMS is the source once ``use_new_om_ui`` is on and the webhook is configured. A
    webhook configured without an API key is 412 ``precondition_error`` (NewStore's answer),
    raised before any call.
    """
    app = await config.associate_app(session, tenant)
    if not app.use_new_om_ui:
        return None
    webhook = await config.external_order_webhook(session, tenant)
    if webhook is None:
        return None
    if not webhook.api_key:
        raise PreconditionFailed("API Key is required to access external OMS")
    return oms.OrderWebhookTarget(
        url=webhook.url, api_key=webhook.api_key, timeout_seconds=float(webhook.timeout)
    )


async def purchase_history(
    database: Database,
    http: OutboundHttp,
    tenant: str,
    *,
    customer_id: str | None = None,
    customer_email: str | None = None,
) -> History:
    """The customer's 100 newest orders, newest first (one of ``customer_id`` and
    ``customer_email``).

    With the webhook, a ``customer_email`` is sent as ``consumer_email``. A ``customer_id`` is
    sent as the ``consumer_email`` the platform's own orders know for that customer (the
    platform has no customer profiles; NewStore resolves the id through its own), else as
    ``consumer_token`` (the opaque identifier, for tenants whose OMS works with tokens).
    """
    if (customer_id is None) == (customer_email is None):
        raise ValueError("give exactly one of customer_id and customer_email")
    async with database.transaction() as session:
        target = await webhook_target(session, tenant)
        if target is None:
            records = await orders.list_orders(
                session,
                tenant,
                customer_id=customer_id,
                customer_email=customer_email,
                limit=MAX_ORDERS,
            )
            return History([platform_summary(record) for record in records], "platform")
        email, token = customer_email, None
        if customer_id is not None:
            email = await _known_email(session, tenant, customer_id)
            token = None if email is not None else customer_id
    answer = await oms.request_purchase_history(
        http, target, consumer_email=email, consumer_token=token
    )
    _raise_for_failure(answer, target)
    try:
        parsed = WebhookOrderList.model_validate(answer.body)
    except ValidationError as error:
        raise _invalid(error) from None
    return History([webhook_summary(order) for order in newest(parsed.orders)], "external_oms")


def newest(orders_: Sequence[WebhookOrder]) -> list[WebhookOrder]:
    """The :data:`MAX_ORDERS` newest orders, newest first; equal times keep the OMS's order."""
    ordered = sorted(orders_, key=lambda order: clock.as_utc(order.placed), reverse=True)
    # sorted() with reverse=True keeps equal keys in their original order (it is stable).
    return ordered[:MAX_ORDERS]


def page(history: History, *, offset: int, count: int) -> SalesOrderListResponse:
    """One page of the history (the version 2 media type's ``offset`` / ``count``)."""
    chosen = history.orders[offset : offset + count]
    return SalesOrderListResponse(
        orders=chosen,
        pagination=Pagination(offset=offset, count=len(chosen), total=len(history.orders)),
    )


async def order_details(
    database: Database, http: OutboundHttp, tenant: str, order_id: str
) -> ExternalSalesOrderDetail | None:
    """The order as the OMS details it, or None when the OMS is not the source (the caller
    then reads the platform's own order).

    ``payment_history`` is kept only when every method is ``gift_card``, ``credit_card`` or
    ``cash``. Raises 404 ``order_not_found`` when the OMS answers 404.
    """
    found = await external_order(database, http, tenant, order_id)
    if found is None:
        return None
    detail, payments = found
    return detail_wire(detail, payments)


async def external_order(
    database: Database, http: OutboundHttp, tenant: str, order_id: str
) -> tuple[WebhookOrderDetail, list[WebhookPayment] | None] | None:
    """The order details the OMS gives for ``order_id`` and the payment history kept, or None
    when the OMS is not the source of order history (see :func:`webhook_target`)."""
    async with database.transaction() as session:
        target = await webhook_target(session, tenant)
    if target is None:
        return None
    answer = await oms.request_order_details(http, target, order_id)
    if answer.reason == "http_404":
        raise NotFound(
            f"order {order_id} was not found in the external OMS", code="order_not_found"
        )
    _raise_for_failure(answer, target)
    body = answer.body
    try:
        detail = WebhookOrderDetail.model_validate(body)
        payments = keep_payment_history(body.get("payment_history"))
    except ValidationError as error:
        raise _invalid(error) from None
    return detail, payments


def keep_payment_history(raw: Any) -> list[WebhookPayment] | None:
    """The payment history to show, or None to leave it out.

    NewStore's rule: with a payment method other than ``gift_card``, ``credit_card`` or
    ``cash`` the history is left out (Associate App could not show the order otherwise).
    Entries that only use those methods are checked like the rest of the answer.
    """
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise Conflict(_SCHEMA_ERROR + '"payment_history" is not an array.')
    methods = {entry.get("method") if isinstance(entry, dict) else None for entry in raw}
    if not methods <= PAYMENT_METHODS:
        return None
    return WebhookPaymentHistory.model_validate({"payment_history": raw}).payment_history


# --- shapes -------------------------------------------------------------------------------------


def webhook_summary(order: WebhookOrder) -> SalesOrder:
    return SalesOrder(
        id=order.id,
        placed_at=clock.isoformat(clock.as_utc(order.placed)),
        channel_type=order.channel_type,
        origin=order.origin,
        origin_id=order.origin_id,
        status=order.status,
        currency=order.currency,
        fulfillment_type=order.fulfillment_type,
        catalog=order.catalog,
        items=[
            SalesOrderItem.model_validate(item.model_dump(exclude_none=True))
            for item in order.items
        ],
    )


def detail_wire(
    detail: WebhookOrderDetail, payments: list[WebhookPayment] | None
) -> ExternalSalesOrderDetail:
    summary = webhook_summary(detail)
    extra = detail.model_dump(
        exclude_none=True,
        include={
            "totals",
            "customer",
            "shipping_address",
            "billing_address",
            "shipments",
            "tax_method",
            "store_id",
            "shop_locale",
            "extended_attributes",
        },
    )
    history = (
        [SalesOrderPaymentHistory.model_validate(entry.model_dump()) for entry in payments]
        if payments is not None
        else None
    )
    return ExternalSalesOrderDetail.model_validate(
        {**summary.model_dump(exclude_none=True), **extra, "payment_history": history}
    )


def platform_summary(record: orders.OrderRecord) -> SalesOrder:
    """A platform order as the history shows it (``SalesOrder``)."""
    full = views.sales_order(record)
    return SalesOrder(
        id=full.id,
        placed_at=full.placed_at,
        channel_type=full.channel_type,
        origin=full.origin,
        origin_id=full.origin_id,
        status=full.status,
        currency=full.currency,
        fulfillment_type=full.fulfillment_type,
        catalog=full.catalog,
        items=[
            SalesOrderItem(
                id=item.id,
                origin_id=item.origin_id,
                status=item.status,
                price=SalesOrderPrice(
                    net=item.price.net,
                    tax=item.price.tax,
                    gross=item.price.gross,
                    discount=item.price.discount,
                    base=item.price.base,
                ),
                product_attributes=SalesOrderProductAttributes(name=item.product_attributes.name),
                product_id=item.product_id,
            )
            for item in full.items
        ],
    )


# --- failures -----------------------------------------------------------------------------------


def _raise_for_failure(answer: oms.OrderWebhookAnswer, target: oms.OrderWebhookTarget) -> None:
    if answer.ok:
        if not isinstance(answer.body, dict):
            raise Conflict(_SCHEMA_ERROR + "the answer is not a JSON object.")
        return
    reason = answer.reason or "unknown"
    extra = {"webhook_outcome": reason}
    if reason in ("invalid_json", "response_too_large"):
        what = "not JSON" if reason == "invalid_json" else "too large"
        raise Conflict(_SCHEMA_ERROR + f"the answer is {what}.", extra=extra)
    if reason in ("http_401", "http_403"):
        message = f"The external OMS refused the API key of the webhook ({answer.status})"
    elif reason == "timeout":
        message = f"The external OMS did not answer within {target.timeout_seconds:g} s"
    elif reason.startswith("http_"):
        message = f"The external OMS answered {answer.status}"
    else:
        message = f"The external OMS could not be reached ({reason})"
    raise ExternalServiceError(message, extra=extra)


def _invalid(error: ValidationError) -> Conflict:
    messages: list[str] = []
    for problem in error.errors()[:_MAX_MESSAGES]:
        location = ".".join(str(part) for part in problem["loc"])
        if problem["type"] == "missing":
            messages.append(f'"{location}" is a required attribute.')
        else:
            text = str(problem["msg"]).removeprefix("Value error, ")
            messages.append(f"{location or 'the answer'}: {text}.")
    return Conflict(_SCHEMA_ERROR + messages[0], messages=[_SCHEMA_ERROR + m for m in messages])


async def _known_email(session: AsyncSession, tenant: str, customer_id: str) -> str | None:
    for record in await orders.list_orders(session, tenant, customer_id=customer_id, limit=10):
        email = record.order.get("customer_email")
        if email:
            return str(email)
    return None
