"""Carts as the Associate App builds them: NewStore's fields, catalog prices, the cart rules."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.checkout.support import ADDRESS, STORE


def test_a_cart_is_created_read_and_changed_with_newstore_field_names(shop):
    created = shop.api.post(
        "/checkout/carts",
        json={
            "associate_id": "associate-17",
            "catalog": "storefront-catalog-en",
            "channel_id": STORE,
            "channel_type": "STORE",
            "currency": "usd",
            "locale": "en_US",
            "device_id": "ipad-3",
        },
    )
    assert created.status_code == 201, created.text
    cart = created.json()
    assert created.headers["location"] == f"/checkout/carts/{cart['id']}"
    assert cart["state"] == "open"
    assert cart["currency"] == "USD"
    assert cart["items"] == []
    assert cart["cart_type"] == "empty"
    assert cart["_links"]["self"]["href"] == f"/checkout/carts/{cart['id']}"
    assert cart["_links"]["add_item"] == {
        "href": f"/checkout/carts/{cart['id']}/items",
        "method": "POST",
    }

    changed = shop.api.patch(
        f"/checkout/carts/{cart['id']}",
        json={"customer_id": "cust-9", "shipping_address": ADDRESS, "service_level": "Priority"},
    )
    assert changed.status_code == 200, changed.text

    read = shop.api.get(f"/checkout/carts/{cart['id']}").json()
    assert read["customer_id"] == "cust-9"
    assert read["device_id"] == "ipad-3"
    assert read["shipping_address"]["zip_code"] == "10001"
    assert read["service_level"] == "Priority"

    cleared = shop.api.patch(f"/checkout/carts/{cart['id']}", json={"customer_id": None}).json()
    assert "customer_id" not in cleared
    assert cleared["service_level"] == "Priority"


def test_lines_are_priced_from_the_catalog_and_counted_in_the_totals(shop):
    cart = shop.cart()
    added = shop.api.post(
        f"/checkout/carts/{cart['id']}/items", json={"product_id": "tee", "quantity": 2}
    )
    assert added.status_code == 201, added.text
    assert added.json()["messages"] == []
    assert added.json()["warnings"] == []
    line_id = added.json()["id"]
    assert added.headers["location"] == f"/checkout/carts/{cart['id']}/items/{line_id}"
    shop.add(cart["id"], "cap", price={"source": "INTERNAL", "source_id": "default"})

    read = shop.api.get(f"/checkout/carts/{cart['id']}").json()
    tee, cap = read["items"]
    assert tee["id"] == line_id
    assert tee["product_name"] == "Organic cotton tee"
    assert tee["fulfillment"] == "IN_STORE_HANDOVER"
    assert tee["price"] == {
        "source": "INTERNAL",
        "source_id": "default",
        "amount": 19.99,
        "total": 39.98,
        "currency": "USD",
    }
    assert cap["quantity"] == 1
    assert read["cart_type"] == "cash_and_carry"
    assert read["totals"] == {"subtotal": 52.48, "shipping": 0.0, "tax": 0.0, "total": 52.48}


def test_a_product_or_price_the_catalog_lacks_is_refused_and_changes_nothing(shop):
    cart = shop.cart()
    unknown = shop.api.post(f"/checkout/carts/{cart['id']}/items", json={"product_id": "nope"})
    assert unknown.status_code == 400
    assert unknown.json()["error_code"] == "product_not_found"

    no_price = shop.api.post(
        f"/checkout/carts/{cart['id']}/items",
        json={"product_id": "tee", "price": {"source_id": "outlet"}},
    )
    assert no_price.status_code == 400
    assert no_price.json()["error_code"] == "price_not_found"

    too_many = shop.api.post(
        f"/checkout/carts/{cart['id']}/items", json={"product_id": "tee", "quantity": 0}
    )
    assert too_many.status_code == 400
    assert too_many.json()["error_code"] == "invalid_request"
    assert "quantity" in too_many.json()["message"]

    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["items"] == []


def test_a_line_is_changed_and_removed(shop):
    cart = shop.cart()
    line = shop.add(cart["id"], "tee")
    other = shop.add(cart["id"], "cap")

    changed = shop.api.patch(
        f"/checkout/carts/{cart['id']}/items/{line}",
        json={"quantity": 3, "extended_attributes": [{"name": "engraving", "value": "For you."}]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"messages": [], "warnings": []}

    removed = shop.api.delete(f"/checkout/carts/{cart['id']}/items/{other}")
    assert removed.status_code == 200, removed.text

    read = shop.api.get(f"/checkout/carts/{cart['id']}").json()
    assert [(item["product_id"], item["quantity"]) for item in read["items"]] == [("tee", 3)]
    assert read["items"][0]["extended_attributes"] == [{"name": "engraving", "value": "For you."}]
    assert read["totals"]["total"] == 59.97

    missing = shop.api.delete(f"/checkout/carts/{cart['id']}/items/{other}")
    assert missing.status_code == 404
    assert missing.json()["error_code"] == "line_item_not_found"


def test_a_cart_needs_a_known_store_a_currency_and_the_required_fields(shop):
    base = {
        "associate_id": "a",
        "catalog": "storefront-catalog-en",
        "channel_id": STORE,
        "currency": "USD",
        "locale": "en_US",
    }
    unknown_store = shop.api.post("/checkout/carts", json=base | {"channel_id": "store-404"})
    assert unknown_store.status_code == 400
    assert unknown_store.json()["error_code"] == "store_not_found"

    bad_currency = shop.api.post("/checkout/carts", json=base | {"currency": "XXY"})
    assert bad_currency.status_code == 400
    assert bad_currency.json()["error_code"] == "invalid_currency"

    missing = shop.api.post(
        "/checkout/carts", json={k: v for k, v in base.items() if k != "locale"}
    )
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["field"] == "locale"


def test_another_tenants_cart_is_not_found(shop, platform):
    cart = shop.cart()
    other = platform.create_tenant()
    with platform.client(other) as client:
        response = client.get(f"/checkout/carts/{cart['id']}")
        added = client.post(f"/checkout/carts/{cart['id']}/items", json={"product_id": "tee"})
    assert response.status_code == 404
    assert response.json()["error_code"] == "cart_not_found"
    assert added.status_code == 404


def test_a_mixed_cart_is_refused_without_the_associate_app_capability(shop):
    shop.capabilities(mixed_cart=False)
    cart = shop.cart()
    shop.add(cart["id"], "tee")

    refused = shop.api.post(
        f"/checkout/carts/{cart['id']}/items",
        json={"product_id": "boot", "fulfillment": "SHIPPING"},
    )

    assert refused.status_code == 409
    problem = refused.json()
    assert problem["error_code"] == "mixed_cart_not_allowed"
    assert "capabilities.mixed_cart" in problem["message"]
    assert problem["associate_app_mixed_cart"] is False
    assert len(shop.api.get(f"/checkout/carts/{cart['id']}").json()["items"]) == 1


def test_a_mixed_cart_is_refused_without_the_store_setting(shop):
    shop.store_mixed_cart(False)
    cart = shop.cart()
    line = shop.add(cart["id"], "boot", fulfillment="SHIPPING")
    shop.add(cart["id"], "sock", fulfillment="SHIPPING")

    refused = shop.api.post(f"/checkout/carts/{cart['id']}/items", json={"product_id": "tee"})
    changed = shop.api.patch(
        f"/checkout/carts/{cart['id']}/items/{line}", json={"fulfillment": "IN_STORE_HANDOVER"}
    )

    for response in (refused, changed):
        assert response.status_code == 409
        assert response.json()["error_code"] == "mixed_cart_not_allowed"
        assert "store's mixed_cart" in response.json()["message"]
        assert response.json()["store_mixed_cart"] is False
    read = shop.api.get(f"/checkout/carts/{cart['id']}").json()
    assert read["cart_type"] == "endless_aisle"


def test_a_fulfillment_type_the_associate_app_does_not_allow_is_refused(shop):
    shop.configure(
        "associate_app",
        {"capabilities": {"mixed_cart": False, "allowed_fulfillment_types": ["IN_STORE_HANDOVER"]}},
        method="PATCH",
    )
    cart = shop.cart()

    refused = shop.api.post(
        f"/checkout/carts/{cart['id']}/items",
        json={"product_id": "boot", "fulfillment": "SHIPPING"},
    )

    assert refused.status_code == 409
    assert refused.json()["error_code"] == "fulfillment_type_not_allowed"
    assert refused.json()["allowed_fulfillment_types"] == ["IN_STORE_HANDOVER"]


def test_lines_take_the_carts_fulfillment_group_when_they_name_none(shop):
    cart = shop.cart(fulfillment_group="SHIPPING")
    shop.add(cart["id"], "boot")
    shop.add(cart["id"], "tee", fulfillment="IN_STORE_HANDOVER")

    read = shop.api.get(f"/checkout/carts/{cart['id']}").json()
    assert [item["fulfillment"] for item in read["items"]] == ["SHIPPING", "IN_STORE_HANDOVER"]
    assert read["cart_type"] == "mixed_cart"


def test_shipping_options_list_levels_prices_and_the_shipments_routing_would_make(shop):
    shop.oms.stock.clear()
    shop.oms.stock.update({("DC01", "boot"): 1, ("US02", "boot"): 2, ("DC01", "sock"): 5})
    cart = shop.cart()
    boot = shop.add(cart["id"], "boot", fulfillment="SHIPPING", quantity=3)
    shop.add(cart["id"], "sock", fulfillment="SHIPPING")
    shop.ship_to(cart["id"])

    response = shop.api.get(f"/checkout/carts/{cart['id']}/shipping_options")

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["destination"] == {"country": "US", "zip_code": "10001"}
    priority, express = body["shipping_options"]
    assert (priority["service_level"], priority["price"], priority["currency"]) == (
        "Priority",
        4.95,
        "USD",
    )
    assert priority["shipping_carrier_name"] == "USPS"
    assert priority["available"] is True
    assert [s["fulfillment_node_id"] for s in priority["shipments"]] == ["DC01", "US02"]
    assert priority["shipments"][1]["items"] == [
        {"line_id": boot, "product_id": "boot", "quantity": 2}
    ]
    # Express ships only from DC01, which has one boot of three.
    assert express["available"] is False
    assert [(p["product_id"], p["error_code"]) for p in express["problems"]] == [
        ("boot", "fulfillment_location_not_in_config")
    ]
    assert shop.api.get(f"/checkout/carts/{cart['id']}").json()["totals"]["shipping"] == 4.95

    elsewhere = shop.api.get(
        f"/checkout/carts/{cart['id']}/shipping_options", params={"country": "FR"}
    )
    assert elsewhere.json()["shipping_options"] == []


def test_a_checked_out_cart_no_longer_changes(shop):
    cart = shop.cart()
    line = shop.add(cart["id"], "tee")
    placed = shop.placed(cart["id"])

    read = shop.api.get(f"/checkout/carts/{cart['id']}").json()
    assert read["state"] == "checked_out"
    assert read["order_id"] == placed["order_id"]
    assert "add_item" not in read["_links"]

    for response in (
        shop.api.post(f"/checkout/carts/{cart['id']}/items", json={"product_id": "cap"}),
        shop.api.delete(f"/checkout/carts/{cart['id']}/items/{line}"),
        shop.api.patch(f"/checkout/carts/{cart['id']}", json={"customer_id": "x"}),
    ):
        assert response.status_code == 409
        assert response.json()["error_code"] == "cart_not_open"


def test_a_cart_can_be_created_with_its_lines_and_the_same_rules_apply(shop):
    cart = shop.cart(items=[{"product_id": "tee", "quantity": 2}, {"product_id": "cap"}])

    assert [(item["product_id"], item["quantity"]) for item in cart["items"]] == [
        ("tee", 2),
        ("cap", 1),
    ]
    assert cart["totals"]["total"] == 52.48

    shop.capabilities(mixed_cart=False)
    refused = shop.api.post(
        "/checkout/carts",
        json={
            "associate_id": "a",
            "catalog": "storefront-catalog-en",
            "channel_id": STORE,
            "currency": "USD",
            "locale": "en_US",
            "items": [{"product_id": "tee"}, {"product_id": "boot", "fulfillment": "SHIPPING"}],
        },
    )
    assert refused.status_code == 409
    assert refused.json()["error_code"] == "mixed_cart_not_allowed"


def test_lines_added_at_once_see_each_other(shop):
    """Eight scans at once into a store without mixed carts: the first line's kind wins, the
    cart never becomes mixed, and the lines keep the order they were added in.

    On PostgreSQL each call waits for the cart another holds; the lines that one added must be
    there once the cart is free.
    """
    shop.store_mixed_cart(False)
    cart = shop.cart()
    start = threading.Barrier(8)

    def add(number: int) -> httpx.Response:
        with shop.platform.client(shop.credentials) as client:
            start.wait()
            answer: httpx.Response = client.post(
                f"/checkout/carts/{cart['id']}/items",
                json={
                    "product_id": ("boot", "tee")[number % 2],
                    "fulfillment": ("SHIPPING", "IN_STORE_HANDOVER")[number % 2],
                },
            )
        return answer

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(add, range(8)))

    added = [answer.json()["id"] for answer in answers if answer.status_code == 201]
    refused = [answer.json()["error_code"] for answer in answers if answer.status_code != 201]
    read = shop.api.get(f"/checkout/carts/{cart['id']}").json()
    assert read["cart_type"] in ("endless_aisle", "cash_and_carry")
    assert len({item["fulfillment"] for item in read["items"]}) == 1
    assert sorted(item["id"] for item in read["items"]) == sorted(added)
    assert len(added) == 4
    assert refused == ["mixed_cart_not_allowed"] * 4
