"""Carts and checkouts reuse the settings they read for a moment (``config.service.kept``):
a change made through the platform still applies to the very next request, one made by
another process within ``checkout_config_cache_seconds``, and a store imported just now sells at
once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from tests.catalog.zips import stock


def test_a_change_made_through_the_platform_applies_to_the_next_line(shop):
    # Only worth proving while the platform keeps settings at all.
    assert shop.platform.settings.checkout_config_cache_seconds >= 1
    cart = shop.cart()
    shop.add(cart["id"], "tee", fulfillment="IN_STORE_HANDOVER")  # the settings are now kept

    shop.capabilities(mixed_cart=False, allowed_fulfillment_types=["SHIPPING"])
    refused = shop.api.post(
        f"/checkout/carts/{cart['id']}/items",
        json={"product_id": "cap", "fulfillment": "IN_STORE_HANDOVER"},
    )

    assert refused.status_code == 409, refused.text
    assert refused.json()["error_code"] == "fulfillment_type_not_allowed"


def test_a_change_made_through_the_platform_applies_to_the_next_checkout(shop):
    first = shop.cart()
    shop.add(first["id"], "tee")
    assert shop.checkout(first["id"], hand_over=True).status_code == 201
    second = shop.cart()
    shop.add(second["id"], "tee")

    shop.configure("sales_order", {"enabled": False, "order_number_prefix": "CW-"})
    refused = shop.checkout(second["id"], hand_over=True)

    assert refused.status_code == 412, refused.text
    assert refused.json()["error_code"] == "sales_orders_disabled"


def test_a_change_made_by_another_process_applies_within_the_delay(shop, tmp_path):
    first = shop.cart()
    shop.add(first["id"], "tee")
    assert shop.checkout(first["id"], hand_over=True).status_code == 201
    second = shop.cart()
    shop.add(second["id"], "tee")
    document = tmp_path / "sales_order.json"
    document.write_text(json.dumps({"enabled": False, "order_number_prefix": "CW-"}))
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env["CASHWRAP_DATABASE_URL"] = shop.platform.settings.database_url

    changed = subprocess.run(
        [
            sys.executable,
            "-m",
            "cashwrap",
            "config",
            "set",
            "sales_order",
            str(document),
            "--tenant",
            shop.tenant,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert changed.returncode == 0, changed.stderr
    time.sleep(shop.platform.settings.checkout_config_cache_seconds + 0.1)
    refused = shop.checkout(second["id"], hand_over=True)

    assert refused.status_code == 412, refused.text
    assert refused.json()["error_code"] == "sales_orders_disabled"


def test_a_store_imported_just_after_being_refused_sells_at_once(shop, tmp_path):
    unknown = shop.api.post("/checkout/carts", json=_cart_body("store-2"))
    assert unknown.status_code == 400
    assert unknown.json()["error_code"] == "store_not_found"

    stock(
        shop.api,
        tmp_path,
        [("US02", "tee", 3)],
        stores=[{"store_id": "store-2", "fulfillment_node_id": "US02", "country_code": "US"}],
    )
    created = shop.api.post("/checkout/carts", json=_cart_body("store-2"))

    assert created.status_code == 201, created.text
    assert created.json()["channel_id"] == "store-2"


def _cart_body(store: str) -> dict[str, str]:
    return {
        "associate_id": "associate-17",
        "catalog": "storefront-catalog-en",
        "channel_id": store,
        "channel_type": "STORE",
        "currency": "USD",
        "locale": "en_US",
    }
