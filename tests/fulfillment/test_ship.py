"""Ship from store: the sandbox carrier books, the label carries the tracking barcode, the
carrier's pickup completes the order; a failed booking cancels an externally routed order."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from cashwrap.fulfillment.documents import barcode
from tests.conftest import Platform, platform_of_its_own
from tests.fulfillment.flows import act, document_text, routed_order, step
from tests.support.stores import StoreTenant, prepare


@pytest.fixture(scope="module")
def quiet_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform that never asks the carrier by itself: the tests below run the confirmation
    round and count what it completed, which a background round would take from them."""
    with platform_of_its_own(
        tmp_path_factory.mktemp("quiet"), "quiet", fulfillment_handover_poll_seconds=0
    ) as platform:
        yield platform


@pytest.fixture
def quiet_store(quiet_platform, tmp_path, oms_sink, carrier) -> Iterator[StoreTenant]:
    tenant = quiet_platform.create_tenant()
    with quiet_platform.client(tenant) as api:
        yield prepare(api, tenant.tenant, tmp_path, oms_sink, carrier=carrier)


def packed(store, **options):
    body, request = routed_order(store, **options)
    for action in ("start", "pick"):
        request = step(store, request, action)
    request = step(
        store,
        request,
        "pack",
        package={"name": "Small box", "length": 30, "width": 20, "height": 10, "weight": 1.2},
    )
    return body, request


def test_ship_from_store_through_carrier_pickup_to_order_completed(store, carrier):
    body, request = packed(store)
    request = step(store, request, "ship")
    assert request["status"] == "ready_for_handover"
    tracking = request["tracking_code"]
    assert tracking.startswith("SBX")
    assert request["carrier"] == "SANDBOX"
    [booking] = carrier.calls("book_shipment")
    assert booking["request"]["external_order_id"] == body["external_id"]
    assert booking["request"]["fulfillment_node_id"] == "US01"
    assert booking["request"]["consumer_address"]["zip_code"] == "10001"
    assert booking["request"]["package_option"]["name"] == "Small box"
    ready = store.wait_event(
        "fulfillment_request.items_ready_for_handover", lambda p: p["id"] == request["id"]
    )
    assert ready["items"][0]["tracking_code"] == tracking

    label = document_text(store, request, "shipping_label")
    assert body["external_id"] in label
    assert tracking in label

    early = act(store, request, "handover")
    assert early.status_code == 409
    assert early.json()["error_code"] == "not_handed_over"
    assert early.json()["carrier_status"] == "booked"

    shipment_id = booking["response"]["shipment_id"]
    moved = carrier.admin("POST", f"/shipments/{shipment_id}/events", json={"status": "picked_up"})
    assert moved.status_code in (200, 201), moved.text
    request = step(store, request, "handover")
    assert request["status"] == "completed"
    completed = store.wait_event(
        "fulfillment_request.items_completed", lambda p: p["id"] == request["id"]
    )
    assert completed["items"][0]["tracking_code"] == tracking
    store.wait_event("order.completed", lambda p: p["id"] == body["id"])
    [listed] = store.requests_of(body["id"])
    assert listed["status"] == "completed"
    assert listed["items"][0] == {
        "item_id": body["items"][0]["id"],
        "product_id": "1000761",
        "status": "shipped",
        "carrier": "SANDBOX",
        "tracking_code": tracking,
    }


def test_the_shipping_label_barcode_reads_back_as_the_tracking_code(store):
    _, request = packed(store)
    request = step(store, request, "ship")
    response = store.api.get(
        store.store_path(request["store_id"], request["id"], "documents/shipping_label")
    )
    page = PdfReader(io.BytesIO(response.content)).pages[0]
    bars: list[tuple[float, float]] = []

    def collect(operator, operands, cm, tm):
        if operator == b"re":
            bars.append((float(operands[0]), float(operands[2])))

    page.extract_text(visitor_operand_before=collect)
    bars.sort()
    module = min(width for _, width in bars)
    runs: list[tuple[bool, int]] = []
    position = bars[0][0]
    for x, width in bars:
        gap = round((x - position) / module)
        if gap:
            runs.append((False, gap))
        runs.append((True, round(width / module)))
        position = x + width
    assert barcode.decode(runs) == request["tracking_code"]


def test_a_failed_booking_cancels_an_externally_routed_order(store, carrier):
    body, request = packed(store)
    carrier.dial("book_shipment", kind="decline", error_code="booking_rejected", times=1)
    response = act(store, request, "ship")
    assert response.status_code == 409, response.text
    assert response.json()["error_code"] == "shipment_booking_failed"
    assert response.json()["order_cancelled"] is True
    event = store.wait_event("order.cancelled", lambda p: p["id"] == body["id"])
    assert event["reason_code"] == "shipping_booking_failed"
    store.wait_event("fulfillment_request.items_failed", lambda p: p["id"] == request["id"])
    view = store.api.get(store.store_path(request["store_id"], request["id"])).json()
    assert view["status"] == "cancelled"
    insights = store.api.get(
        "/v0/stock/insights", params={"product_id": "1000761", "fulfillment_node_id": "US01"}
    ).json()
    assert (insights["on_hand"], insights["reservations"]) == (5, [])


def test_a_failed_booking_of_an_order_routed_here_keeps_the_request_for_a_retry(store, carrier):
    body, request = packed(store, strategy=None)
    carrier.dial("book_shipment", kind="decline", error_code="booking_rejected", times=1)
    response = act(store, request, "ship")
    assert response.status_code == 409
    assert response.json()["error_code"] == "shipment_booking_rejected"
    assert store.order(body["id"])["items"][0]["status"] == "in_fulfillment"
    request = step(store, request, "ship")
    assert request["status"] == "ready_for_handover"


def test_a_parcel_not_yet_shipped_cannot_be_handed_to_the_carrier(store, carrier):
    _, request = routed_order(store)
    refused = act(store, request, "handover")
    assert refused.status_code == 409, refused.text
    assert refused.json()["error_code"] == "invalid_transition"
    assert refused.json()["current_status"] == "dispatched"
    assert carrier.calls("get_shipment") == []
    view = store.api.get(store.store_path(request["store_id"], request["id"])).json()
    assert view["status"] == "dispatched"


def test_the_carrier_unreachable_changes_nothing(store, carrier):
    _, request = packed(store, strategy=None)
    carrier.dial("book_shipment", kind="error", status=503, retry_after=0)
    response = act(store, request, "ship")
    assert response.status_code == 503
    assert response.json()["error_code"] == "shipping_provider_communication_error"
    view = store.api.get(store.store_path(request["store_id"], request["id"])).json()
    assert view["status"] == "packed"
    carrier.admin("DELETE", "/faults")


def test_carrier_pickup_is_confirmed_without_the_associate(quiet_platform, quiet_store, carrier):
    platform, store = quiet_platform, quiet_store
    body, request = packed(store)
    request = step(store, request, "ship")
    [booking] = carrier.calls("book_shipment")
    carrier.admin(
        "POST",
        f"/shipments/{booking['response']['shipment_id']}/events",
        json={"status": "picked_up"},
    )
    assert _confirm_round(platform) == 1
    store.wait_event("order.completed", lambda p: p["id"] == body["id"])
    deadline = time.monotonic() + 5
    while (
        store.api.get(store.store_path(request["store_id"], request["id"])).json()["status"]
        != "completed"
    ):
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_an_order_cancelled_while_the_carrier_books_gets_its_booking_cancelled(store, carrier):
    """The OMS cancels the order during the seconds the carrier takes to book: the associate
    is told the order was cancelled, and no label is left booked (and billed) for it."""
    body, request = packed(store)
    carrier.dial("book_shipment", kind="latency", delay_ms=1500, times=1)
    with ThreadPoolExecutor(max_workers=1) as pool:
        shipping = pool.submit(act, store, request, "ship")
        time.sleep(0.5)  # the booking is on its way to the carrier
        cancelled = store.api.post(
            f"/v0/orders/{body['id']}/cancel",
            params={"id_type": "internal"},
            json={"reason": "customer"},
        )
        assert cancelled.status_code == 200, cancelled.text
        response = shipping.result()

    assert response.status_code == 409, response.text
    assert response.json()["error_code"] == "order_cancelled"
    [booked] = carrier.calls("book_shipment")
    [released] = carrier.calls("cancel_shipment")
    assert released["path"] == f"/shipments/{booked['response']['shipment_id']}/cancel"
    assert store.order(body["id"])["items"][0]["status"] == "cancelled"


def test_a_ship_sent_twice_at_once_books_once_and_keeps_the_booking(store, carrier):
    _, request = packed(store)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: act(store, request, "ship"), range(2)))

    assert sorted(answer.status_code for answer in answers) in ([200, 200], [200, 409])
    assert carrier.calls("cancel_shipment") == []
    view = store.api.get(store.store_path(request["store_id"], request["id"])).json()
    assert view["status"] == "ready_for_handover"
    shipments = {call["response"]["shipment_id"] for call in carrier.calls("book_shipment")}
    assert len(shipments) == 1


def _confirm_round(platform, **options):
    from cashwrap.fulfillment import service

    app = platform.server.app
    return platform.server.call(
        lambda: service.confirm_handovers(app.state.database, app.state.outbound_http, **options)
    )


def test_a_booked_order_cancelled_by_the_oms_gets_its_booking_cancelled(
    quiet_platform, quiet_store, carrier
):
    """The label is booked, then the OMS cancels the order: the next confirmation round cancels
    the booking with the carrier (nobody will ship it, the carrier would bill it) and closes the
    request, which is then asked about no more."""
    platform, store = quiet_platform, quiet_store
    body, request = packed(store)
    request = step(store, request, "ship")
    [booked] = carrier.calls("book_shipment")
    cancelled = store.api.post(
        f"/v0/orders/{body['id']}/cancel",
        params={"id_type": "internal"},
        json={"reason": "customer"},
    )
    assert cancelled.status_code == 200, cancelled.text

    assert _confirm_round(platform) == 0

    shipment_id = booked["response"]["shipment_id"]
    [released] = carrier.calls("cancel_shipment")
    assert released["path"] == f"/shipments/{shipment_id}/cancel"
    view = store.api.get(store.store_path(request["store_id"], request["id"])).json()
    assert view["status"] == "cancelled"
    label = store.api.get(
        store.store_path(request["store_id"], request["id"], "documents/shipping_label")
    )
    assert label.status_code == 409
    assert label.json()["error_code"] == "order_cancelled"
    [listed] = store.requests_of(body["id"])
    assert [item["status"] for item in listed["items"]] == ["cancelled"]

    def asked() -> int:
        return sum(shipment_id in call["path"] for call in carrier.calls())

    before = asked()
    _confirm_round(platform)
    assert asked() == before


def test_every_parcel_waiting_for_the_carrier_is_asked_about_page_after_page(
    quiet_platform, quiet_store, carrier
):
    platform, store = quiet_platform, quiet_store
    shipped = []
    for _ in range(3):
        body, request = packed(store)
        step(store, request, "ship")
        shipped.append(body["id"])
    for booking in carrier.calls("book_shipment"):
        carrier.admin(
            "POST",
            f"/shipments/{booking['response']['shipment_id']}/events",
            json={"status": "picked_up"},
        )

    assert _confirm_round(platform, limit=2) == 3

    for order_id in shipped:
        store.wait_event("order.completed", lambda p, order_id=order_id: p["id"] == order_id)
