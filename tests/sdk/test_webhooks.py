"""``webhook_app``: the ATP and external-order webhooks with the contract's rules applied."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cashwrap.sdk import (
    AvailabilityRequest,
    AvailabilityResponse,
    OrderDetail,
    OrderSummary,
    availability_answer,
    webhook_app,
)
from tests.support.servers import ServerThread

KEY = "webhook-key-0123456789"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def order(number: int, methods: Iterable[str] = ("credit_card",)) -> OrderDetail:
    return OrderDetail.model_validate(
        {
            "id": f"GD{number:09d}",
            "placed_at": (NOW - timedelta(hours=number)).isoformat(),
            "channel_type": "store",
            "origin": "external",
            "origin_id": f"GD{number:09d}",
            "status": "complete",
            "currency": "USD",
            "fulfillment_type": "in_store_purchase",
            "items": [
                {
                    "id": f"{number}-1",
                    "origin_id": f"{number}-1",
                    "status": "complete",
                    "price": {"net": 80, "tax": 8, "gross": 88},
                    "product_attributes": {"name": "Kate Dress"},
                }
            ],
            "totals": {"net": 80, "tax": 8, "gross": 88, "total": 88},
            "payment_history": [
                {"category": "payment", "method": method, "amount": 88, "currency": "USD"}
                for method in methods
            ],
        }
    )


ORDERS = {o.id: o for o in [order(n) for n in range(1, 131)] + [order(500, ["paypal"])]}


async def atp(request: AvailabilityRequest) -> AvailabilityResponse:
    return availability_answer(request, lambda product, node: {"US01": 3}.get(node, 0))


async def history(email: str | None, token: str | None) -> list[OrderSummary]:
    return list(ORDERS.values()) if email == "jane@example.com" else []


async def details(order_id: str) -> OrderDetail | None:
    return ORDERS.get(order_id)


@pytest.fixture(scope="module")
def oms() -> Iterator[httpx.Client]:
    app = webhook_app(
        api_key=KEY, availability=atp, purchase_history=history, order_details=details
    )
    server = ServerThread(app, name="webhooks").start()
    try:
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {KEY}"}) as c:
            yield c
    finally:
        server.stop()


def test_atp_has_one_entry_per_product_and_location(oms: httpx.Client):
    answer = oms.post(
        "/availabilities",
        json={"products": [{"product_id": "p1"}], "fulfillment_locations": ["US01", "US02"]},
    ).json()
    assert answer == {
        "availabilities": [
            {
                "product_id": "p1",
                "external_identifier": "p1",
                "fulfillment_location": "US01",
                "atp": 3,
            },
            {
                "product_id": "p1",
                "external_identifier": "p1",
                "fulfillment_location": "US02",
                "atp": 0,
            },
        ]
    }


def test_history_is_capped_at_100_newest_first_whatever_the_handler_returns(oms: httpx.Client):
    orders: list[dict[str, Any]] = oms.get(
        "/orders", params={"consumer_email": "jane@example.com"}
    ).json()["orders"]
    assert len(orders) == 100
    assert [o["id"] for o in orders[:2]] == ["GD000000001", "GD000000002"]
    assert all("payment_history" not in o for o in orders)


def test_details_leave_out_payment_history_for_other_methods(oms: httpx.Client):
    assert oms.get("/orders/GD000000001").json()["payment_history"][0]["method"] == "credit_card"
    assert "payment_history" not in oms.get("/orders/GD000000500").json()


def test_errors_are_answered_in_the_contract_s_words(oms: httpx.Client):
    assert oms.get("/orders/NOPE").status_code == 404
    assert oms.get("/orders").status_code == 400
    assert oms.post("/availabilities", json={"products": []}).status_code == 400
    refused = oms.get("/orders/GD000000001", headers={"Authorization": "Bearer wrong"})
    assert refused.status_code == 401
    assert oms.get("/nothing-here").status_code == 404
