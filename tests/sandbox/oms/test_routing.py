"""The sandbox OMS routes shipped items to its DC or back to a platform store (an injected order
under another number, routing ``external``), and re-routes when the platform cancels it.

The platform here is a loopback stub of its token and injection endpoints: it records what the
OMS sends with the SDK's client."""

from __future__ import annotations

import json

from tests.sandbox.oms.conftest import Oms, eventually
from tests.sandbox.oms.orders import cancelled, completed, platform_order
from tests.sdk.stub_platform import Reply, StubPlatform


def test_a_dc_holding_every_unit_ships_the_order(oms: Oms, stub_platform: StubPlatform):
    oms.stock(("DC01", "1000061", 5), ("US01", "1000061", 5))
    order = platform_order(("1000061", "Priority"), ("1000061", "Priority"))
    oms.deliver(order)
    held = oms.order(order.external_id)
    [shipment] = held["fulfillments"]
    assert (shipment["kind"], shipment["location"], shipment["status"]) == ("dc", "DC01", "shipped")
    assert shipment["tracking_code"]
    assert [item["status"] for item in held["items"]] == ["complete", "complete"]
    stock = oms.admin("GET", "/stock", params={"location": "DC01"}).json()["stock"]
    assert stock[0]["atp"] == 3
    assert stub_platform.injections() == []


def test_a_store_order_is_injected_under_another_number_with_external_routing(
    oms: Oms, stub_platform: StubPlatform
):
    oms.stock(("DC01", "1000061", 1), ("US02", "1000061", 4), ("US01", "1000061", 1))
    order = platform_order(
        ("1000061", "Priority"), ("1000061", "Priority"), ("1000062", "IN_STORE_HANDOVER")
    )
    oms.deliver(order)
    [sent] = eventually(stub_platform.injections, what="the injection")
    body = json.loads(sent.body)
    assert body["external_id"] == f"{order.external_id}-R1" != order.external_id
    [shipment] = body["shipments"]
    assert shipment["shipping_option"]["routing_strategy"] == {
        "strategy": "external",
        "fulfillment_node_id": "US02",
    }
    assert shipment["shipping_option"]["service_level_identifier"] == "Priority"
    assert [item["product_id"] for item in shipment["items"]] == ["1000061", "1000061"]
    assert [item["external_item_id"] for item in shipment["items"]] == [
        order.items[0].id,
        order.items[1].id,
    ]
    assert body["payments"][0]["amount"] == 100.0
    assert sent.authorization == "Bearer token-1"
    [copy] = eventually(lambda: oms.injections(status="injected"), what="injected")
    assert copy["platform_order_id"] == stub_platform.created["id"]
    held = oms.order(order.external_id)
    assert [item["status"] for item in held["items"]] == [
        "in_fulfillment",
        "in_fulfillment",
        "complete",
    ]


def test_the_store_order_completed_completes_the_oms_order(oms: Oms, stub_platform: StubPlatform):
    oms.stock(("US01", "1000061", 1))
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    [copy] = eventually(lambda: oms.injections(status="injected"), what="injected")
    done = completed(copy["platform_order_id"], external_id=copy["external_id"])
    assert "store fulfillment" in (oms.deliver(done).json() and oms.events()[-1]["note"])
    held = oms.order(order.external_id)
    assert held["status"] == "complete"
    assert held["fulfillments"][0]["status"] == "completed"


def test_a_cancelled_store_order_is_re_routed_to_another_store_under_a_new_number(
    oms: Oms, stub_platform: StubPlatform
):
    oms.stock(("US01", "1000061", 2), ("US02", "1000061", 2))
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    [first] = eventually(lambda: oms.injections(status="injected"), what="first injection")
    assert first["location"] == "US01"
    outcome = oms.deliver(cancelled(first["platform_order_id"], external_id=first["external_id"]))
    assert outcome.json()["outcome"] == "handled"
    second = eventually(
        lambda: [i for i in oms.injections(status="injected") if i["attempt"] == 2],
        what="the re-routed injection",
    )[0]
    assert second["location"] == "US02"
    assert second["external_id"] == f"{order.external_id}-R2"
    assert second["tried_locations"] == ["US01", "US02"]
    bodies = [json.loads(seen.body) for seen in stub_platform.injections()]
    assert [b["external_id"] for b in bodies] == [first["external_id"], second["external_id"]]
    assert (
        bodies[1]["shipments"][0]["shipping_option"]["routing_strategy"]["fulfillment_node_id"]
        == "US02"
    )
    # A mispick: the OMS stops promising the units at the store that had not got them.
    stock = oms.admin("GET", "/stock", params={"location": "US01"}).json()["stock"]
    assert stock[0]["atp"] == 0
    assert oms.order(order.external_id)["items"][0]["status"] == "in_fulfillment"


def test_a_cancellation_before_the_injection_answer_still_re_routes(
    oms: Oms, stub_platform: StubPlatform
):
    """order.cancelled can arrive before the OMS recorded the injection's answer: it is matched
    by the injected order number."""
    oms.stock(("US01", "1000061", 1), ("US02", "1000061", 1))
    stub_platform.script = [Reply(504), Reply(504)]  # the answer comes late
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    number = f"{order.external_id}-R1"
    oms.deliver(cancelled("platform-id-of-the-copy", external_id=number))
    second = eventually(
        lambda: [i for i in oms.injections() if i["attempt"] == 2 and i["status"] == "injected"],
        what="re-routed",
    )[0]
    assert second["location"] == "US02"
    first = next(i for i in oms.injections() if i["attempt"] == 1)
    assert first["status"] == "cancelled"  # the late 200 does not revive it


def test_no_store_left_puts_the_items_on_hold(oms: Oms, stub_platform: StubPlatform):
    oms.stock(("US01", "1000061", 1))
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    [first] = eventually(lambda: oms.injections(status="injected"), what="injected")
    oms.deliver(cancelled(first["platform_order_id"], external_id=first["external_id"]))
    failed = oms.injections(status="failed")
    assert failed[0]["reason"] == "no other store holds every unit"
    assert oms.order(order.external_id)["items"][0]["status"] == "on_hold"


def test_nothing_anywhere_puts_the_items_on_hold_at_once(oms: Oms, stub_platform: StubPlatform):
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    assert oms.order(order.external_id)["status"] == "on_hold"
    assert stub_platform.injections() == []


def test_transient_platform_errors_are_retried_with_the_same_payload(
    oms: Oms, stub_platform: StubPlatform
):
    oms.stock(("US01", "1000061", 1))
    stub_platform.script = [
        Reply(500, {"error_code": "rpc_timeout"}),
        Reply(429, {}, {"Retry-After": "0"}),
    ]
    oms.deliver(platform_order(("1000061", "Priority")))
    [copy] = eventually(lambda: oms.injections(status="injected"), what="injected")
    assert copy["http_attempts"] == 3
    bodies = {seen.body for seen in stub_platform.injections()}
    assert len(bodies) == 1


def test_a_refused_injection_is_failed_and_puts_the_items_on_hold(
    oms: Oms, stub_platform: StubPlatform
):
    oms.stock(("US01", "1000061", 1))
    stub_platform.script = [Reply(400, {"error_code": "invalid_shipments", "message": "no"})]
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    [copy] = eventually(lambda: oms.injections(status="failed"), what="failed")
    assert "invalid_shipments" in copy["reason"]
    assert len(stub_platform.injections()) == 1
    assert oms.order(order.external_id)["items"][0]["status"] == "on_hold"


def test_routing_setting_store_sends_to_a_store_even_when_the_dc_could(
    oms: Oms, stub_platform: StubPlatform
):
    oms.stock(("DC01", "1000061", 9), ("US01", "1000061", 9))
    oms.sandbox.settings(routing="store")
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    [copy] = eventually(lambda: oms.injections(status="injected"), what="injected")
    assert copy["location"] == "US01"


def test_the_oms_recognises_its_own_injected_order_in_the_stream(
    oms: Oms, stub_platform: StubPlatform
):
    oms.stock(("US01", "1000061", 1))
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    [copy] = eventually(lambda: oms.injections(status="injected"), what="injected")
    echo = platform_order(
        ("1000061", "Priority"), number=copy["external_id"], id=copy["platform_order_id"]
    )
    oms.deliver(echo)
    orders = oms.admin("GET", "/orders").json()["orders"]
    assert [o["id"] for o in orders] == [order.external_id]
    assert len(stub_platform.injections()) == 1
