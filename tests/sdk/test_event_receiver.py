"""The event-stream receiver: verified, each event handed to its handler once (even across a
restart and under concurrent duplicates), in a usable order whatever order it came in."""

from __future__ import annotations

import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx

from cashwrap.events import catalog
from tests.events.conftest import Stream, order_cancelled, order_created, wait_for
from tests.sdk.conftest import ReceiverServer
from tests.sdk.envelopes import API_KEY, envelope


def captured(order_id: str) -> catalog.PaymentAccountAmountCaptured:
    return catalog.PaymentAccountAmountCaptured(
        id=order_id,
        order_id=order_id,
        transactions=[
            catalog.PaymentTransaction(
                id="t1", instrument_id="i1", amount=50.0, currency="USD", correlation_id="c1"
            )
        ],
        instruments=[
            catalog.PaymentInstrument(id="i1", payment_method="cash", payment_provider="cash")
        ],
    )


def test_a_delivered_event_reaches_its_typed_handler(receiver: ReceiverServer):
    order = order_created()
    response = receiver.deliver(envelope(order))
    assert response.status_code == 200
    assert response.json() == {"outcome": "handled", "released": 0}
    [handled] = receiver.handled
    assert isinstance(handled.payload, catalog.OrderCreated)
    assert handled.payload.id == order.id
    assert handled.payload.items[0].shipping_service_level == "IN_STORE_HANDOVER"


def test_a_repeated_delivery_is_a_duplicate_and_the_handler_runs_once(receiver: ReceiverServer):
    event = envelope(order_created())
    first, second = receiver.deliver(event), receiver.deliver(event)
    assert first.json()["outcome"] == "handled"
    assert second.status_code == 200
    assert second.json()["outcome"] == "duplicate"
    assert receiver.names() == ["order.created"]


def test_the_dedupe_survives_a_restart(receiver: ReceiverServer):
    event = envelope(order_created())
    assert receiver.deliver(event).json()["outcome"] == "handled"
    receiver.stop()
    receiver.handled.clear()
    receiver.start()
    again = receiver.deliver(event)
    assert again.json()["outcome"] == "duplicate"
    assert receiver.handled == []


def test_the_same_event_under_another_name_is_another_event(receiver: ReceiverServer):
    order = order_created()
    first = envelope(order)
    other = envelope(order_cancelled(order.id))
    other["idempotency_key"] = first["idempotency_key"]  # the key is only unique per name
    assert receiver.deliver(first).json()["outcome"] == "handled"
    assert receiver.deliver(other).json()["outcome"] == "handled"
    assert receiver.names() == ["order.created", "order.cancelled"]


def test_concurrent_deliveries_of_one_event_are_handled_once(receiver: ReceiverServer):
    event = envelope(order_created())
    with ThreadPoolExecutor(16) as pool:
        outcomes = [
            r.json()["outcome"] for r in pool.map(lambda _: receiver.deliver(event), range(16))
        ]
    assert sorted(outcomes) == ["duplicate"] * 15 + ["handled"]
    assert receiver.names() == ["order.created"]


def test_cancelled_before_created_is_handed_over_after_created(receiver: ReceiverServer):
    order = order_created()
    early = receiver.deliver(envelope(order_cancelled(order.id)))
    assert early.json() == {"outcome": "deferred", "released": 0, "waits_for": order.id}
    assert receiver.handled == []
    late = receiver.deliver(envelope(order))
    assert late.json() == {"outcome": "handled", "released": 1}
    assert receiver.names() == ["order.created", "order.cancelled"]
    assert [handled.replayed for handled in receiver.handled] == [False, True]


def test_events_in_reverse_order_all_arrive_in_a_usable_order(receiver: ReceiverServer):
    order = order_created()
    completed = catalog.OrderCompleted(
        id=order.id, completed_at=datetime.now(UTC), items=[], logical_timestamp=2
    )
    for payload in (captured(order.id), completed):
        assert receiver.deliver(envelope(payload)).json()["outcome"] == "deferred"
    assert receiver.deliver(envelope(order)).json()["released"] == 2
    assert receiver.names() == [
        "order.created",
        "payment_account.amount_captured",
        "order.completed",
    ]


def test_a_deferred_event_survives_a_restart(receiver: ReceiverServer):
    order = order_created()
    assert receiver.deliver(envelope(captured(order.id))).json()["outcome"] == "deferred"
    receiver.stop()
    receiver.start()
    assert receiver.deliver(envelope(order)).json()["released"] == 1
    assert receiver.names() == ["order.created", "payment_account.amount_captured"]


def test_a_failing_handler_answers_500_keeps_nothing_and_the_retry_is_handled(
    receiver: ReceiverServer,
):
    event = envelope(order_created())
    receiver.fail_next = 1
    failed = receiver.deliver(event)
    assert failed.status_code == 500  # the platform retries 5xx
    assert receiver.handled == []
    retried = receiver.deliver(event)
    assert retried.json()["outcome"] == "handled"
    assert receiver.names() == ["order.created"]


def test_unauthenticated_deliveries_are_refused_and_change_nothing(receiver: ReceiverServer):
    event = envelope(order_created())
    body = json.dumps(event).encode()
    refusals = [
        receiver.deliver(event, Authorization="Bearer wrong-key"),
        receiver.deliver(event, **{"webhook-signature": "v1,AAAA"}),
        receiver.deliver(event, timestamp=time.time() - 3600),  # a replay of an old delivery
        httpx.post(receiver.url, content=body, headers={"Authorization": f"Bearer {API_KEY}"}),
    ]
    assert [r.status_code for r in refusals] == [401, 401, 401, 401]
    assert [r.json()["error_code"] for r in refusals] == [
        "unauthorized",
        "invalid_signature",
        "invalid_signature",
        "invalid_signature",
    ]
    tampered = dict(event, payload=dict(event["payload"], external_id="CHANGED"))
    signed_for_original = receiver.deliver(event)
    assert signed_for_original.json()["outcome"] == "handled"
    forged = httpx.post(
        receiver.url,
        content=json.dumps(tampered).encode(),
        headers={
            **{k: v for k, v in refusals[0].request.headers.items() if k.startswith("webhook")},
            "Authorization": f"Bearer {API_KEY}",
        },
    )
    assert forged.status_code == 401
    assert receiver.names() == ["order.created"]


def test_fields_a_newer_platform_adds_are_ignored(receiver: ReceiverServer):
    event = envelope(order_created())
    event["payload"]["loyalty_tier"] = "gold"
    event["payload"]["items"][0]["engraving"] = "J.D."
    assert receiver.deliver(event).json()["outcome"] == "handled"
    assert receiver.handled[0].payload.items[0].product_id == "1000761"


def test_a_payload_that_does_not_fit_its_model_is_refused_as_unprocessable(
    receiver: ReceiverServer,
):
    event = envelope(order_created())
    del event["payload"]["items"]
    refused = receiver.deliver(event)
    assert refused.status_code == 422  # not retried by the platform: kept as rejected
    assert "items" in refused.json()["message"]


def test_an_event_without_a_handler_is_acknowledged_as_ignored(receiver: ReceiverServer):
    ffr = catalog.FulfillmentRequestAssigned(
        id=str(uuid.uuid4()),
        order_id=str(uuid.uuid4()),
        fulfillment_location_id="US01",
        service_level="Priority",
        items=[],
    )
    assert receiver.deliver(envelope(ffr)).json()["outcome"] == "ignored"


def test_events_from_the_platform_are_verified_and_handled(
    receiver: ReceiverServer, stream: Stream
):
    registered = stream.api.post(
        "/api/v1/org/integrations/eventstream",
        json={
            "id": "sdk-receiver",
            "callback_parameters": {"callback_url": receiver.url, "api_key": API_KEY},
        },
    )
    assert registered.status_code == 200, registered.text
    assert receiver.receiver is not None
    receiver.receiver.signing_secret = registered.json()["signing_secret"]
    order = order_created()
    # Recorded in this order in one transaction; delivered in any order; handled in a usable one.
    stream.record(order_cancelled(order.id), order)
    wait_for(lambda: len(receiver.handled) == 2, what="both events handled")
    assert sorted(receiver.names()) == ["order.cancelled", "order.created"]
    created = next(h for h in receiver.handled if h.name == "order.created")
    assert created.payload.id == order.id
    assert receiver.names().index("order.created") < receiver.names().index("order.cancelled")


def test_an_event_racing_its_order_s_creation_is_never_stranded(receiver: ReceiverServer):
    """The cancellation and the creation of one order delivered at the same moment: whichever
    transaction goes first, the cancellation is handled, after the creation."""
    orders = [order_created() for _ in range(12)]
    deliveries = [
        event
        for order in orders
        for event in (envelope(order_cancelled(order.id)), envelope(order))
    ]
    with ThreadPoolExecutor(8) as pool:
        statuses = [r.status_code for r in pool.map(receiver.deliver, deliveries)]
    assert statuses == [200] * len(deliveries)
    handled = receiver.names()
    assert handled.count("order.created") == handled.count("order.cancelled") == len(orders)
    for order in orders:
        names = [h.name for h in receiver.handled if h.payload.id == order.id]
        assert names == ["order.created", "order.cancelled"]
