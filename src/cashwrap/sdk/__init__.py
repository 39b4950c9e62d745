"""What an integrator imports to connect an external OMS to the platform.

* :class:`PlatformAuth` — access tokens (client credentials or the legacy password grant),
  cached and renewed, for ``httpx`` clients;
* :class:`OrderInjectionClient` — ``POST /v0/d/fulfill_order`` with the contract's retries,
  typed by :class:`InjectedOrderRequest` / :class:`InjectedOrderResponse`;
* :class:`EventReceiver` — the event-stream callback: verified, de-duplicated in a durable
  :class:`SqlEventStore`, put in a usable order (:class:`Deferred`), handed to typed handlers
  (payload models of :mod:`cashwrap.events.catalog`);
* :mod:`cashwrap.sdk.webhooks` — the ATP and external-order webhooks: models, the rules of their
  answers, and :func:`webhook_app`.

The SDK talks to the platform over HTTP only; the platform never imports it.
"""

from cashwrap.events.catalog import (
    FulfillmentRequestAssigned,
    FulfillmentRequestItemsCompleted,
    FulfillmentRequestItemsFailed,
    FulfillmentRequestItemsReadyForHandover,
    OrderCancelled,
    OrderCompleted,
    OrderCreated,
    OrderItemsCancelled,
    OrderOpened,
    PaymentAccountAmountAuthorized,
    PaymentAccountAmountCaptured,
    PaymentAccountAmountRefunded,
    RefundRequestIssued,
    ReturnProcessed,
)
from cashwrap.sdk.auth import PlatformAuth
from cashwrap.sdk.errors import (
    AuthenticationError,
    InjectionFailed,
    InjectionRejected,
    PlatformError,
)
from cashwrap.sdk.events import (
    Deferred,
    Event,
    EventReceiver,
    MemoryEventStore,
    Receipt,
    SqlEventStore,
)
from cashwrap.sdk.injection import Attempt, OrderInjectionClient, RetryPolicy
from cashwrap.sdk.models import InjectedOrderRequest, InjectedOrderResponse
from cashwrap.sdk.webhooks import (
    AvailabilityRequest,
    AvailabilityResponse,
    OrderDetail,
    OrderSummary,
    availability_answer,
    order_details_answer,
    purchase_history_answer,
    webhook_app,
)

__all__ = [
    "Attempt",
    "AuthenticationError",
    "AvailabilityRequest",
    "AvailabilityResponse",
    "Deferred",
    "Event",
    "EventReceiver",
    "FulfillmentRequestAssigned",
    "FulfillmentRequestItemsCompleted",
    "FulfillmentRequestItemsFailed",
    "FulfillmentRequestItemsReadyForHandover",
    "InjectedOrderRequest",
    "InjectedOrderResponse",
    "InjectionFailed",
    "InjectionRejected",
    "MemoryEventStore",
    "OrderCancelled",
    "OrderCompleted",
    "OrderCreated",
    "OrderDetail",
    "OrderInjectionClient",
    "OrderItemsCancelled",
    "OrderOpened",
    "OrderSummary",
    "PaymentAccountAmountAuthorized",
    "PaymentAccountAmountCaptured",
    "PaymentAccountAmountRefunded",
    "PlatformAuth",
    "PlatformError",
    "Receipt",
    "RefundRequestIssued",
    "RetryPolicy",
    "ReturnProcessed",
    "SqlEventStore",
    "availability_answer",
    "order_details_answer",
    "purchase_history_answer",
    "webhook_app",
]
