"""How the sandbox OMS consumes the event stream (the seed's sequences, seen from the OMS)."""

from __future__ import annotations

import uuid

from cashwrap.events import catalog
from tests.sandbox.oms.conftest import Oms
from tests.sandbox.oms.orders import cancelled, captured, completed, platform_order
from tests.sdk.envelopes import envelope


def test_cash_and_carry_created_completed_captured(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    order = platform_order(("1000061", "IN_STORE_HANDOVER"), ("1000062", "IN_STORE_HANDOVER"))
    authorized = catalog.PaymentAccountAmountAuthorized.model_validate(
        captured(order).model_dump() | {"logical_timestamp": 1}
    )
    for payload in (authorized, order, completed(order.id), captured(order)):
        assert oms.deliver(payload).status_code == 200
    held = oms.order(order.external_id)
    assert held["status"] == "complete"
    assert [item["status"] for item in held["items"]] == ["complete", "complete"]
    assert held["paid"] is True
    assert held["fulfillments"] == []  # nothing to route: everything was taken home
    outcomes = [(e["name"], e["outcome"]) for e in oms.events()]
    assert outcomes == [
        ("payment_account.amount_authorized", "handled"),
        ("order.created", "handled"),
        ("order.completed", "handled"),
        ("payment_account.amount_captured", "handled"),
    ]


def test_an_order_is_not_paid_until_captured(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    order = platform_order(("1000061", "IN_STORE_HANDOVER"))
    oms.deliver(order)
    assert oms.order(order.external_id)["paid"] is False


def test_events_before_their_order_wait_for_it(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    order = platform_order(("1000061", "IN_STORE_HANDOVER"))
    assert oms.deliver(captured(order)).json()["outcome"] == "deferred"
    assert oms.deliver(completed(order.id)).json()["outcome"] == "deferred"
    waiting = oms.admin("GET", "/events/deferred").json()["events"]
    assert {e["name"] for e in waiting} == {"payment_account.amount_captured", "order.completed"}
    assert oms.deliver(order).json() == {"outcome": "handled", "released": 2}
    held = oms.order(order.external_id)
    assert held["paid"] is True
    assert held["status"] == "complete"
    log = {e["name"]: e for e in oms.events()}
    assert log["payment_account.amount_captured"]["outcome"] == "handled"
    assert "deferred until order.created" in log["payment_account.amount_captured"]["note"]
    assert oms.admin("GET", "/events/deferred").json()["events"] == []


def test_a_stale_event_does_not_undo_a_newer_one(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    order = platform_order(("1000061", "IN_STORE_HANDOVER"))
    oms.deliver(order)
    oms.deliver(completed(order.id, logical_timestamp=5))
    stale = oms.deliver(completed(order.id, logical_timestamp=4))
    assert stale.json()["outcome"] == "handled"
    assert "stale" in oms.events(name="order.completed")[-1]["note"]


def test_cancellation_of_an_order_the_oms_manages_is_ignored(oms: Oms):
    """The seed: ignore order_cancelled data for the orders the OMS keeps the status of."""
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    oms.stock(("DC01", "1000061", 5))
    order = platform_order(("1000061", "Priority"))
    oms.deliver(order)
    before = oms.order(order.external_id)
    assert oms.deliver(cancelled(order.id, reason_code="customer")).json()["outcome"] == "handled"
    items = catalog.OrderItemsCancelled(
        id=order.id, items=[catalog.CancelledItem(id=order.items[0].id, product_id="1000061")]
    )
    assert oms.deliver(items).status_code == 200
    after = oms.order(order.external_id)
    assert after["status"] == before["status"] == "complete"  # shipped by its DC
    assert after["items"] == before["items"]
    assert after["platform_status"] == "items_cancelled"  # recorded, not applied
    assert all(
        "ignored" in e["note"]
        for e in oms.events()
        if e["name"].startswith("order.") and "cancel" in e["name"]
    )


def test_the_pending_status_of_the_grace_period_is_not_copied(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    order = platform_order(("1000061", "Priority"))
    order.items[0].status = "pending"
    oms.deliver(order)
    assert oms.order(order.external_id)["items"][0]["status"] != "pending"


def test_returned_items_read_returned_in_the_history(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    order = platform_order(("1000061", "IN_STORE_HANDOVER"), ("1000062", "IN_STORE_HANDOVER"))
    oms.deliver(order)
    returned = catalog.ReturnProcessed(
        id=str(uuid.uuid4()),
        order_id=order.id,
        returned_at=order.placed_at,
        total_refund_amount=50,
        total_refund_amount_adjusted=50,
        total_refund_excl_tax=46,
        total_refund_tax=4,
        currency="USD",
        return_location_id="US01",
        items=[
            catalog.ReturnItem(
                id=order.items[0].id,
                product_id="1000061",
                refund_amount=50,
                refund_amount_adjusted=50,
                refund_excl_tax=46,
                refund_tax=4,
            )
        ],
    )
    oms.deliver(returned)
    refund = catalog.PaymentAccountAmountRefunded.model_validate(
        captured(order).model_dump() | {"logical_timestamp": 4}
    )
    oms.deliver(refund)
    with oms.client() as client:
        details = client.get(f"/orders/{order.external_id}").json()
    assert [item["status"] for item in details["items"]] == ["returned", "complete"]
    assert [p["category"] for p in details["payment_history"]] == ["refund"]


def test_duplicated_handling_fault_shows_the_dedupe(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    oms.sandbox.settings(event_duplicates=True)
    order = platform_order(("1000061", "IN_STORE_HANDOVER"))
    oms.deliver(order)
    assert [e["outcome"] for e in oms.events()] == ["handled", "duplicate"]
    assert len(oms.admin("GET", "/orders").json()["orders"]) == 1


def test_reordered_handling_fault_handles_held_events_newest_first(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    oms.sandbox.settings(event_reorder_window=3)
    order = platform_order(("1000061", "IN_STORE_HANDOVER"))
    for payload in (order, completed(order.id)):
        assert oms.deliver(payload).json()["outcome"] == "held"
    assert oms.admin("GET", "/orders").json()["orders"] == []
    assert oms.deliver(captured(order)).json()["outcome"] == "held"  # the third: all handled
    log = oms.events()
    assert [e["name"] for e in log] == [
        "order.created",
        "order.completed",
        "payment_account.amount_captured",
    ]
    assert [e["outcome"] for e in log] == ["handled"] * 3
    held = oms.order(order.external_id)
    assert held["status"] == "complete"
    assert held["paid"] is True


def test_held_events_can_be_flushed_by_hand(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    oms.sandbox.settings(event_reorder_window=10)
    order = platform_order(("1000061", "IN_STORE_HANDOVER"))
    oms.deliver(order)
    assert oms.admin("POST", "/events/_flush").json() == {"handled": 1}
    assert oms.order(order.external_id)["origin_id"] == order.id


def test_unsigned_deliveries_are_refused_when_a_secret_is_set(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    event = envelope(platform_order(("1000061", "IN_STORE_HANDOVER")))
    with oms.client() as client:
        refused = client.post("/events", json=event)
    assert refused.status_code == 401
    assert refused.json()["error_code"] == "invalid_signature"
    assert oms.events() == []


def test_faults_dialed_on_events_are_answered_and_nothing_is_kept(oms: Oms):
    oms.connect("http://127.0.0.1:9", "acme", "c", "s")
    oms.sandbox.dial("events", kind="error", status=503, times=1)
    order = platform_order(("1000061", "IN_STORE_HANDOVER"))
    event = envelope(order)
    first = oms.deliver(event)
    assert first.status_code == 503
    assert oms.events() == []
    assert oms.deliver(event).json()["outcome"] == "handled"
