"""A customer's order history: from the OMS's webhook when it is in use, else the platform's."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tests.history.conftest import use_oms_history
from tests.support.order_webhook import API_KEY, OrderWebhook, external_order, history_of
from tests.support.placed_orders import cash_and_carry, place

V2 = "application/x.newstore.orders+json;version=2"
EMAIL = "jane@example.com"


def test_an_oms_holding_150_orders_shows_the_100_newest_newest_first(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    orders = history_of(150, email=EMAIL)
    random.Random(8).shuffle(orders)  # whatever order the OMS sends them in
    webhook.orders.extend(orders)

    response = api.get("/v0/orders", params={"customer_email": EMAIL})

    assert response.status_code == 200, response.text
    assert response.headers["x-order-history-source"] == "external_oms"
    shown = response.json()["orders"]
    assert len(shown) == 100
    assert [order["id"] for order in shown] == [f"H{index:04d}" for index in range(149, 49, -1)]
    placed = [order["placed_at"] for order in shown]
    assert placed == sorted(placed, reverse=True)
    assert all(moment.endswith("Z") for moment in placed)
    call = webhook.recorded()[-1]
    assert call.path == "/oms/orders"
    assert call.query == {"consumer_email": EMAIL}
    assert call.authorization == f"Bearer {API_KEY}"


def test_version_2_pages_through_the_100_newest(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    webhook.orders.extend(history_of(150, email=EMAIL))

    first = api.get("/v0/orders", params={"customer_email": EMAIL}, headers={"Accept": V2})
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("application/x.newstore.orders+json")
    body = first.json()
    assert [order["id"] for order in body["orders"]] == [f"H{i:04d}" for i in range(149, 139, -1)]
    assert body["pagination"] == {"offset": 0, "count": 10, "total": 100}

    last = api.get(
        "/v0/orders",
        params={"customer_email": EMAIL, "offset": 90, "count": 50},
        headers={"Accept": f"application/json, {V2}"},
    ).json()
    assert [order["id"] for order in last["orders"]] == [f"H{i:04d}" for i in range(59, 49, -1)]
    assert last["pagination"] == {"offset": 90, "count": 10, "total": 100}


def test_orders_placed_at_the_same_moment_keep_the_oms_order(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    moment = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    webhook.orders.extend(
        external_order(number, email=EMAIL, placed_at=moment) for number in ("B", "A", "C")
    )
    # Another offset, same instant: still a tie.
    webhook.orders.append(external_order("D", email=EMAIL, placed_at=moment))
    webhook.orders[-1]["placed_at"] = "2024-05-01T12:00:00+02:00"
    webhook.orders.append(
        external_order("NEW", email=EMAIL, placed_at=moment + timedelta(seconds=1))
    )
    shown = api.get("/v0/orders", params={"customer_email": EMAIL}).json()["orders"]
    assert [order["id"] for order in shown] == ["NEW", "B", "A", "C", "D"]
    assert shown[-1]["placed_at"] == "2024-05-01T10:00:00Z"


def test_a_customer_id_is_asked_by_the_email_the_platform_knows(
    platform, tenant, api, webhook: OrderWebhook
):
    place(platform, cash_and_carry(tenant.tenant, "CW-1", customer_id="c-7", customer_email=EMAIL))
    use_oms_history(api, webhook)
    webhook.orders.append(external_order("GD1", email=EMAIL))

    shown = api.get("/v0/orders", params={"customer_id": "c-7"}).json()["orders"]

    assert [order["id"] for order in shown] == ["GD1"]
    assert webhook.recorded()[-1].query == {"consumer_email": EMAIL}


def test_an_unknown_customer_id_is_sent_as_the_consumer_token(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    webhook.orders.append(external_order("GD2", customer_id="token-42"))

    shown = api.get("/v0/orders", params={"customer_id": "token-42"}).json()["orders"]

    assert [order["id"] for order in shown] == ["GD2"]
    assert webhook.recorded()[-1].query == {"consumer_token": "token-42"}


def test_the_oms_answer_is_shown_with_the_documented_members(api, webhook: OrderWebhook):
    use_oms_history(api, webhook)
    order = external_order("GD3", email=EMAIL, origin="newstore", origin_id="8ebc1864")
    order["items"][0]["unknown_member"] = "dropped"
    webhook.orders.append(order)
    shown = api.get("/v0/orders", params={"customer_email": EMAIL}).json()["orders"]
    assert shown == [
        {
            "id": "GD3",
            "placed_at": "2021-11-22T12:51:39Z",
            "channel_type": "store",
            "origin": "newstore",
            "origin_id": "8ebc1864",
            "status": "complete",
            "currency": "USD",
            "fulfillment_type": "in_store_purchase",
            "items": [
                {
                    "id": "GD3-1",
                    "origin_id": "GD3-1",
                    "status": "complete",
                    "price": {"net": 80.0, "tax": 8.0, "gross": 88.0, "discount": 0.0},
                    "product_attributes": {"name": "Kate Dress", "size": "M", "color": "red"},
                    "external_identifier": {"sku": "1000061"},
                    "product_id": "1000061",
                }
            ],
        }
    ]


def test_without_the_om_ui_switch_the_platform_answers_and_the_oms_is_not_asked(
    platform, tenant, api, webhook: OrderWebhook
):
    response = api.put("/v0/config/external_order_webhook", json=webhook.webhook_config())
    assert response.status_code == 200
    old = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(3):
        place(
            platform,
            cash_and_carry(
                tenant.tenant,
                f"CW-{index}",
                customer_email=EMAIL,
                placed_at=old + timedelta(hours=index),
            ),
        )
    place(platform, cash_and_carry(tenant.tenant, "CW-other", customer_email="x@example.com"))

    response = api.get("/v0/orders", params={"customer_email": "JANE@example.com"})

    assert response.status_code == 200, response.text
    assert response.headers["x-order-history-source"] == "platform"
    shown = response.json()["orders"]
    assert [order["id"] for order in shown] == ["CW-2", "CW-1", "CW-0"]
    assert shown[0]["origin"] == "newstore"
    assert shown[0]["items"][0]["product_id"] == "1000061"
    assert shown[0]["items"][0]["price"]["gross"] == 88.0
    assert webhook.recorded() == []


def test_the_platform_keeps_the_100_newest_of_its_own_orders(platform, tenant, api):
    start = datetime(2023, 1, 1, tzinfo=UTC)
    for index in range(105):
        place(
            platform,
            cash_and_carry(
                tenant.tenant,
                f"P{index:04d}",
                customer_id="c-1",
                placed_at=start + timedelta(minutes=index),
            ),
        )
    shown = api.get("/v0/orders", params={"customer_id": "c-1"}).json()["orders"]
    assert [order["id"] for order in shown] == [f"P{i:04d}" for i in range(104, 4, -1)]


def test_an_unknown_customer_is_not_found_unless_paging(api):
    response = api.get("/v0/orders", params={"customer_id": "nobody"})
    assert response.status_code == 404
    assert response.json()["error_code"] == "customer_not_found"
    paged = api.get("/v0/orders", params={"customer_id": "nobody"}, headers={"Accept": V2})
    assert paged.status_code == 200
    assert paged.json() == {"orders": [], "pagination": {"offset": 0, "count": 0, "total": 0}}


def test_the_query_is_checked(api):
    def problem(params, headers=None):
        response = api.get("/v0/orders", params=params, headers=headers or {})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.json()

    assert problem({})["error_code"] == "bad_request"
    assert problem({})["message"] == "Query param 'customer_id' is required."
    assert problem({"customer_id": "a", "customer_email": "a@b.c"})["error_code"] == "bad_request"
    paging = problem({"customer_id": "a", "offset": 5})
    assert paging["error_code"] == "paging_requires_version_2"
    assert problem({"customer_id": "a", "count": 51}, {"Accept": V2})["error_code"] == (
        "invalid_request"
    )
    assert problem({"customer_id": "a", "count": 0}, {"Accept": V2})["error_code"] == (
        "invalid_request"
    )
    assert problem({"customer_id": "a", "offset": -1}, {"Accept": V2})["error_code"] == (
        "invalid_request"
    )


def test_history_needs_a_token(anonymous):
    assert anonymous.get("/v0/orders", params={"customer_id": "a"}).status_code == 401
