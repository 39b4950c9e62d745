"""Every operation of the OpenAPI document, sent bad input: a problem document, never a 500.

Paths get ids that do not exist, bodies get what no endpoint accepts: text that is not JSON, a
JSON list, an object of the wrong members, and members of the wrong types. Whatever the
endpoint, the answer is a 4xx ``application/problem+json`` with an ``error_code``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Platform, TenantCredentials
from tests.sandbox.oms.conftest import Oms
from tests.sandbox.support import RunningSandbox
from tests.support.demo_tenant import configure_like_the_demo
from tests.support.stores import order_payload

# Operations of the process, not of a tenant: nothing to send them.
SKIPPED = {"/metrics", "/openapi.json", "/health/live", "/health/ready"}
# Open without a token: getting one, and the event schemas (documentation of the contract).
PUBLIC = ("/auth/", "/v0/token", "/v0/event-stream/schemas")
BODIES: list[tuple[str, Any]] = [
    ("not json", b"{not json"),
    ("a list", [1, 2, 3]),
    ("unknown members", {"surely_not_a_member": True}),
    ("wrong types", {"id": 7, "items": "many", "enabled": "yes", "value": [], "url": 3}),
]


def operations(spec: dict[str, Any]) -> list[tuple[str, str]]:
    found = []
    for path, item in spec["paths"].items():
        if path in SKIPPED:
            continue
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                found.append((method.upper(), path))
    return found


def concrete(path: str) -> str:
    """Path parameters filled with ids nothing has."""
    return re.sub(r"\{[^}]+\}", "no-such-id-0000", path)


@pytest.fixture(scope="module")
def spec(platform: Platform) -> dict[str, Any]:
    with platform.client() as client:
        document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def assert_problem(response: httpx.Response, what: str) -> None:
    assert response.status_code < 500, f"{what}: {response.status_code} {response.text[:300]}"
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/problem+json"), what
        assert response.json().get("error_code"), what


def test_no_operation_answers_bad_bodies_with_a_server_error(
    platform: Platform, tenant: TenantCredentials, spec: dict[str, Any]
):
    with platform.client(tenant) as api:
        for method, path in operations(spec):
            url = concrete(path)
            if method in ("GET", "DELETE"):
                assert_problem(api.request(method, url), f"{method} {path}")
                continue
            for label, body in BODIES:
                if isinstance(body, bytes):
                    response = api.request(
                        method, url, content=body, headers={"Content-Type": "application/json"}
                    )
                else:
                    response = api.request(method, url, json=body)
                assert_problem(response, f"{method} {path} with {label}")


def test_without_a_token_every_tenant_operation_is_a_401_problem(
    platform: Platform, spec: dict[str, Any]
):
    with platform.client() as anonymous:
        for method, path in operations(spec):
            if path.startswith(PUBLIC):
                continue
            response = anonymous.request(method, concrete(path), json={})
            assert response.status_code == 401, f"{method} {path}: {response.status_code}"
            assert response.headers["content-type"].startswith("application/problem+json")


def real_ids(api: httpx.Client) -> dict[str, str]:
    """Ids of things that exist: a cart with a line, a sale, an injected order and its request,
    a store, a product, an event-stream integration."""

    def new_cart(product_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = api.post(
            "/checkout/carts",
            json={
                "associate_id": "associate-1", "catalog": "storefront-catalog-en",
                "channel_id": "store-new-york", "currency": "USD", "locale": "en_US",
                "items": [{"product_id": product_id}],
            },
        ).json()  # fmt: skip
        return answer

    cart, sold = new_cart("1000061"), new_cart("1000062")
    sale = api.post(
        f"/checkout/carts/{sold['id']}/checkout",
        json={"payments": [{"method": "cash"}]},
        headers={"Idempotency-Key": f"bad-input-{sold['id']}"},
    ).json()
    injected = api.post("/v0/d/fulfill_order", json=order_payload(products=("1000061",))).json()
    [request] = api.get(f"/v0/fulfillment_requests/{injected['id']}").json()["fulfillment_requests"]
    integration = api.post(
        "/api/v1/org/integrations/eventstream",
        json={
            "id": "bad-input",
            "callback_parameters": {
                "callback_url": "http://127.0.0.1:9/events",
                "api_key": "bad-input-key-0123456789",
            },
        },
    ).json()
    return {
        "cart_id": cart["id"],
        "line_item_id": cart["items"][0]["id"],
        "id": sale["order_id"],
        "order_id": sale["order_id"],
        "account_id": sale["order_id"],
        "item_uuid": sale["items"][0]["id"],
        "order_uuid": injected["id"],
        "ffr_uuid": request["fulfillment_request_id"],
        "ffr_id": request["fulfillment_request_id"],
        "store_id": "store-new-york",
        "product_id": "1000061",
        "fulfillment_node_id": "US01",
        "integration_id": integration["id"],
        "provider_rate_id": "Priority",
        "section": "service_levels",
    }


def test_bad_bodies_sent_to_things_that_exist_are_problems_too(
    platform: Platform,
    tenant: TenantCredentials,
    oms: Oms,
    psp: RunningSandbox,
    carrier: RunningSandbox,
    tmp_path: Path,
    spec: dict[str, Any],
):
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms.url, psp_url=psp.url, carrier_url=carrier.url,
        sandbox_key=oms.sandbox.api_key, state_dir=tmp_path,
    )  # fmt: skip
    with platform.client(tenant) as api:
        ids = real_ids(api)

        def filled(path: str) -> str:
            return re.sub(
                r"\{([^}]+)\}", lambda match: ids.get(match.group(1), "no-such-id-0000"), path
            )

        for method, path in operations(spec):
            if method in ("GET", "DELETE"):
                continue
            for label, body in BODIES:
                if isinstance(body, bytes):
                    response = api.request(
                        method,
                        filled(path),
                        content=body,
                        headers={"Content-Type": "application/json"},
                    )
                else:
                    response = api.request(method, filled(path), json=body)
                assert_problem(response, f"{method} {path} with {label}")


# --- values every schema accepts but no database keeps -------------------------------------


def assert_refused(response: httpx.Response, code: str, *mentions: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["error_code"] == code, body
    for mention in mentions:
        assert mention in body["message"], body["message"]


def test_offsets_beyond_any_list_are_refused(api: httpx.Client):
    beyond = {"offset": str(2**63)}
    assert_refused(api.get("/inventory/reservations", params=beyond), "invalid_request", "offset")
    publications = "/api/v1/org/integrations/eventstream/none/publications"
    assert_refused(api.get(publications, params=beyond), "invalid_request", "offset")
    assert api.get("/inventory/reservations", params={"offset": 2**31 - 1}).status_code == 200


def test_times_without_a_utc_form_are_refused(api: httpx.Client):
    too_early, too_late = "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"
    for placed_at in (too_early, too_late):
        order = order_payload(placed_at=placed_at)
        refused = api.post("/v0/d/fulfill_order", json=order)
        assert_refused(refused, "schema_validation_error", "placed_at", "years 1 to 9999")
        found = api.get(f"/v0/orders/{order['external_id']}", params={"id_type": "external"})
        assert found.status_code == 404
    integration = {
        "id": "times",
        "starts_at": too_early,
        "callback_parameters": {
            "callback_url": "http://127.0.0.1:9/events",
            "api_key": "times-key-0123456789",
        },
    }
    created = api.post("/api/v1/org/integrations/eventstream", json=integration)
    assert_refused(created, "invalid_request", "starts_at")
    assert api.get("/api/v1/org/integrations/eventstream/times").status_code == 404
    publications = "/api/v1/org/integrations/eventstream/none/publications"
    assert_refused(api.get(publications, params={"from": too_early}), "invalid_request", "from")


def test_configuration_values_must_fit_a_json_column(api: httpx.Client):
    injection = "/v1/r/config/order_injection"
    for limit in (2**64, "Infinity"):
        refused = api.patch(
            injection,
            params={"version": "1"},
            content=f'{{"big_sales_order": {{"hard_limit_for_big_orders": {limit}}}}}',
            headers={"Content-Type": "application/json"},
        )
        assert_refused(refused, "invalid_request", "hard_limit_for_big_orders")
    limits = {
        "currency": "USD",
        "service_level": "LEVEL",
        "limit_exceeded_when": [{"shipment_count_gt": 2**64, "order_amount_lt": 10}],
    }
    refused = api.post("/v0/routing/shipments_limit", json=limits)
    assert_refused(refused, "invalid_request", "64 bits")
    assert api.get("/v0/routing/shipments_limit").json()["shipments_limit"] == []
    for version in ("\u00b3", "9" * 5000):
        refused = api.patch(injection, params={"version": version}, json={})
        assert_refused(refused, "invalid_request", "version")
    assert api.get(injection).json()["version"] == "1"


def test_free_form_members_are_not_nested_without_end(api: httpx.Client):
    deep: Any = "bottom"
    for _ in range(500):
        deep = {"d": deep}
    toggles = api.patch("/v0/config/associate_app", json={"release_toggles": {"deep": deep}})
    assert_refused(toggles, "invalid_request", "nested deeper than")
