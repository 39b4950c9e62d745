"""The shipping provider client against the sandbox carrier over real HTTP.

Offers, booking, cancelling and tracking, and each way the carrier can fail mapped to the outcome
a caller acts on. Booking is the one call the client must not repeat after an uncertain failure.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from cashwrap.core import clock
from cashwrap.outbound.shipping import (
    Address,
    Booked,
    Cancelled,
    Failed,
    Offers,
    Package,
    Rejected,
    ShipmentRequest,
    ShippingOffer,
    ShippingProviderClient,
    Tracked,
    Unknown,
)
from tests.sandbox.support import RunningSandbox

STORE = Address(
    address_line_1="100 Fifth Avenue", city="New York", zip_code="10011", country="US",
    company="Store US01",
)  # fmt: skip
CUSTOMER = Address(
    address_line_1="1 Elm Street", city="Boston", zip_code="02108", country="US",
    first_name="Ada", last_name="Lovelace", phone="+16175550100",
)  # fmt: skip
SHIPMENT = ShipmentRequest(
    sender_address=STORE,
    consumer_address=CUSTOMER,
    product_ids=["p-1", "p-2"],
    fulfillment_node_id="US01",
    demand_location_id="US01",
    package=Package(name="Small box", length=30, width=20, height=10, weight=1.2),
)


def client_for(http, carrier: RunningSandbox, *, timeout: float = 5.0, **options):
    return ShippingProviderClient(
        http, url=f"{carrier.url}/", api_key=carrier.api_key, timeout=timeout, **options
    )


async def offers_for(client, **options) -> tuple[ShippingOffer, ...]:
    outcome = await client.shipping_offers(SHIPMENT, service_level="Priority", **options)
    assert isinstance(outcome, Offers), outcome
    return outcome.offers


async def booked(client, **options) -> Booked:
    offer = (await offers_for(client))[0]
    outcome = await client.book_offer(SHIPMENT, offer, external_order_id="EXT-1", **options)
    assert isinstance(outcome, Booked), outcome
    return outcome


async def test_offers_then_booking_gives_a_tracking_code_and_label_data(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    offers = await offers_for(client)
    assert [(o.rate, o.carrier_code, o.price, o.currency) for o in offers] == [
        ("SBX_GROUND", "SANDBOX", 5_00, "USD"),
        ("SBX_EXPRESS", "SANDBOX", 15_00, "USD"),
    ]
    assert all(o.expires_at is not None and not o.expired() for o in offers)

    outcome = await client.book_offer(
        SHIPMENT, offers[0], external_order_id="EXT-1", idempotency_key="ffr-1"
    )
    assert isinstance(outcome, Booked)
    shipment = outcome.shipment
    assert shipment.status == "booked"
    assert shipment.tracking_code.startswith("SBX")
    assert shipment.label.barcode_value == shipment.tracking_code
    assert (shipment.label.barcode_symbology, shipment.label.format) == ("code128", "data")
    assert shipment.label.routing_code == "US-021"
    assert shipment.return_label is None
    assert not shipment.handed_over

    sent = carrier.calls("book_shipment")[0]
    assert sent["idempotency_key"] == "ffr-1"
    assert sent["request"] == {
        "sender_address": STORE.to_wire(),
        "consumer_address": CUSTOMER.to_wire(),
        "products": [{"product_id": "p-1"}, {"product_id": "p-2"}],
        "fulfillment_node_id": "US01",
        "demand_location_id": "US01",
        "package_option": {
            "name": "Small box",
            "dimensions": {"length": 30, "width": 20, "height": 10, "unit": "cm"},
            "weight": {"amount": 1.2, "unit": "kg"},
        },
        "rate": "SBX_GROUND",
        "carrier_code": "SANDBOX",
        "external_order_id": "EXT-1",
        "booking_method": "only_shipping",
        "offer": offers[0].offer,
    }


async def test_shipping_and_return_books_a_return_label_too(outbound_http, carrier):
    outcome = await booked(client_for(outbound_http, carrier), booking_method="shipping_and_return")
    shipment = outcome.shipment
    assert shipment.return_tracking_code is not None
    assert shipment.return_label is not None
    assert shipment.return_label.barcode_value == shipment.return_tracking_code


async def test_offer_tokens_expire_but_in_store_pickup_never_does(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    carrier.settings(offer_ttl_seconds=0)
    [ground, _express] = await offers_for(client)
    [pickup] = await offers_for(client, shipping_type="in_store_pick_up")
    assert ground.expired(clock.now() + timedelta(seconds=1))
    assert pickup.never_expires
    assert pickup.price == 0

    expired = await client.book_offer(SHIPMENT, ground, external_order_id="EXT-1")
    assert isinstance(expired, Rejected)
    assert (expired.error_code, expired.status) == ("offer_expired", 409)
    kept = await client.book_offer(SHIPMENT, pickup, external_order_id="EXT-1")
    assert isinstance(kept, Booked)
    assert kept.shipment.carrier_code == "STORE"


async def test_a_token_the_carrier_never_issued_or_for_another_rate_is_rejected(
    outbound_http, carrier
):
    client = client_for(outbound_http, carrier)
    [ground, express] = await offers_for(client)
    forged = await client.book(
        SHIPMENT, rate="SBX_GROUND", carrier_code="SANDBOX", external_order_id="E", offer="off_x"
    )
    swapped = await client.book(
        SHIPMENT,
        rate=express.rate,
        carrier_code="SANDBOX",
        external_order_id="E",
        offer=ground.offer,
    )
    assert isinstance(forged, Rejected)
    assert forged.error_code == "invalid_offer"
    assert isinstance(swapped, Rejected)
    assert swapped.error_code == "offer_mismatch"
    assert carrier.calls("book_shipment")[-1]["status"] == 400


async def test_an_address_the_carrier_cannot_serve_is_rejected(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    nowhere = ShipmentRequest(
        sender_address=STORE,
        consumer_address=Address(address_line_1="?", country="US", zip_code="00000"),
        product_ids=["p-1"],
        fulfillment_node_id="US01",
    )
    outcome = await client.shipping_offers(nowhere, service_level="Priority")
    assert isinstance(outcome, Rejected)
    assert (outcome.error_code, outcome.status) == ("address_invalid", 422)


async def test_a_booking_the_carrier_refuses_is_rejected(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    offer = (await offers_for(client))[0]
    carrier.dial("book_shipment", kind="decline", error_code="booking_rejected", times=1)
    outcome = await client.book_offer(SHIPMENT, offer, external_order_id="EXT-1")
    assert isinstance(outcome, Rejected)
    assert (outcome.error_code, outcome.status, outcome.attempts) == ("booking_rejected", 422, 1)


async def test_a_booking_that_timed_out_is_unknown_and_never_repeated(outbound_http, carrier):
    client = client_for(outbound_http, carrier, timeout=0.3)
    offer = (await offers_for(client))[0]
    carrier.dial("book_shipment", kind="timeout", delay_ms=10_000, times=1)
    outcome = await client.book_offer(SHIPMENT, offer, external_order_id="EXT-1")
    assert isinstance(outcome, Unknown)
    assert (outcome.reason, outcome.attempts) == ("timeout", 1)
    assert len(carrier.calls("book_shipment")) == 1


async def test_a_booking_the_carrier_asks_to_retry_is_repeated(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    offer = (await offers_for(client))[0]
    carrier.dial("book_shipment", kind="error", status=503, retry_after=0, times=1)
    outcome = await client.book_offer(SHIPMENT, offer, external_order_id="EXT-1")
    assert isinstance(outcome, Booked)
    assert outcome.attempts == 2
    assert [c["status"] for c in carrier.calls("book_shipment")] == [503, 201]


async def test_a_garbled_booking_answer_is_unknown_and_not_repeated(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    offer = (await offers_for(client))[0]
    carrier.dial("book_shipment", kind="malformed", times=1)
    outcome = await client.book_offer(SHIPMENT, offer, external_order_id="EXT-1")
    assert isinstance(outcome, Unknown)
    assert outcome.reason == "invalid_json"
    assert len(carrier.calls("book_shipment")) == 1


@pytest.mark.parametrize(
    "change",
    [{"tracking_code": "T" * 257}, {"shipment_id": "S" * 129}, {"carrier_code": "UPS\u0000"}],
)
async def test_a_booking_answer_with_texts_the_platform_cannot_keep_is_unknown(
    outbound_http, carrier, change
):
    client = client_for(outbound_http, carrier)
    offer = (await offers_for(client))[0]
    booked = await client.book_offer(SHIPMENT, offer, external_order_id="EXT-1")
    assert isinstance(booked, Booked)
    [answer] = [call["response"] for call in carrier.calls("book_shipment")]
    carrier.dial("book_shipment", kind="malformed", status=201, body=json.dumps(answer | change),
                 media_type="application/json", times=1)  # fmt: skip
    outcome = await client.book_offer(SHIPMENT, offer, external_order_id="EXT-2")
    assert isinstance(outcome, Unknown)
    assert outcome.reason == "malformed_answer"


async def test_offers_are_asked_again_after_a_timeout(outbound_http, carrier):
    client = client_for(outbound_http, carrier, timeout=0.3)
    carrier.dial("shipping_offers", kind="timeout", delay_ms=10_000, times=1)
    outcome = await client.shipping_offers(SHIPMENT, service_level="Priority")
    assert isinstance(outcome, Offers)
    assert outcome.attempts == 2


@pytest.mark.parametrize(
    ("fault", "expected", "code"),
    [
        ({"kind": "error", "status": 500}, Failed, "internal_error"),
        ({"kind": "error", "status": 429, "retry_after": 60}, Failed, "rate_limit"),
        ({"kind": "error", "status": 503, "retry_after": 0}, Failed, "retry_error"),
        ({"kind": "malformed", "status": 504}, Unknown, "http_504"),
    ],
)
async def test_carrier_failures_are_typed(outbound_http, carrier, fault, expected, code):
    client = client_for(outbound_http, carrier, max_attempts=2)
    carrier.dial("shipping_offers", **fault)
    outcome = await client.shipping_offers(SHIPMENT, service_level="Priority")
    assert isinstance(outcome, expected)
    assert (outcome.error_code if isinstance(outcome, Failed) else outcome.reason) == code


async def test_cancel_a_booked_shipment_and_cancelling_again_is_not_an_error(
    outbound_http, carrier
):
    client = client_for(outbound_http, carrier)
    shipment_id = (await booked(client)).shipment.shipment_id
    first = await client.cancel(shipment_id, reason="mispick")
    again = await client.cancel(shipment_id)
    assert isinstance(first, Cancelled)
    assert first.shipment.status == "cancelled"
    assert isinstance(again, Cancelled)
    assert again.shipment.status == "cancelled"


async def test_a_shipment_the_carrier_has_picked_up_cannot_be_cancelled(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    shipment_id = (await booked(client)).shipment.shipment_id
    carrier.admin("POST", f"/shipments/{shipment_id}/events", json={"status": "picked_up"})
    outcome = await client.cancel(shipment_id)
    unknown = await client.cancel("no-such-shipment")
    assert isinstance(outcome, Rejected)
    assert (outcome.error_code, outcome.status) == ("not_cancellable", 409)
    assert isinstance(unknown, Rejected)
    assert unknown.error_code == "not_found"


async def test_tracking_confirms_handover_then_delivery(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    shipment_id = (await booked(client)).shipment.shipment_id
    tracked = await client.tracking(shipment_id)
    assert isinstance(tracked, Tracked)
    assert not tracked.shipment.handed_over

    carrier.admin("POST", f"/shipments/{shipment_id}/events", json={"status": "picked_up"})
    handed_over = await client.tracking(shipment_id)
    assert isinstance(handed_over, Tracked)
    assert handed_over.shipment.handed_over
    assert not handed_over.shipment.delivered

    carrier.admin("POST", f"/shipments/{shipment_id}/events", json={"status": "delivered"})
    delivered = await client.tracking(shipment_id)
    assert isinstance(delivered, Tracked)
    assert delivered.shipment.delivered
    assert delivered.shipment.delivered_at is not None
    assert [e.status for e in delivered.shipment.events] == ["booked", "picked_up", "delivered"]


async def test_tracking_is_read_again_after_a_dropped_answer(outbound_http, carrier):
    client = client_for(outbound_http, carrier)
    shipment_id = (await booked(client)).shipment.shipment_id
    carrier.dial("get_shipment", kind="malformed", times=1)
    outcome = await client.tracking(shipment_id)
    assert isinstance(outcome, Tracked)
    assert outcome.attempts == 2


async def test_a_wrong_api_key_is_rejected(outbound_http, carrier):
    client = ShippingProviderClient(
        outbound_http, url=carrier.url, api_key="not-the-key-not-the-key", timeout=5
    )
    outcome = await client.shipping_offers(SHIPMENT, service_level="Priority")
    assert isinstance(outcome, Rejected)
    assert outcome.status == 401
