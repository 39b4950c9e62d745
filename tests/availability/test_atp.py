"""ATP: from the external OMS's webhook (failing closed, with the reason) or from the stock."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.availability.conftest import use_external_atp
from tests.catalog.zips import stock
from tests.support.oms_endpoint import API_KEY, closed_port_url


def ask(api, products, locations=None):
    body: dict[str, object] = {"products": [{"product_id": product} for product in products]}
    if locations is not None:
        body["fulfillment_locations"] = locations
    response = api.post("/v0/availability", json=body)
    assert response.status_code == 200, response.text
    return response.json()["availabilities"]


def by_pair(availabilities):
    return {(a["fulfillment_location"], a["product_id"]): a for a in availabilities}


def reserve(api, location, products, key, **extra):
    response = api.post(
        "/inventory/reservations",
        json={
            "customer_profile_id": "customer-1",
            "location_id": location,
            "items": [{"product_id": product} for product in products],
            **extra,
        },
        headers={"Idempotency-Key": key},
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_stock_minus_active_reservations_is_the_atp_without_external_atp(api, tmp_path):
    stock(api, tmp_path, [("US01", "tee", 5), ("US02", "tee", 2), ("US01", "cap", 1)])
    held = reserve(api, "US01", ["tee", "tee"], "hold-1")
    reserve(api, "US01", ["tee"], "lapsed", expires_in_min=0)

    answer = by_pair(ask(api, ["tee", "cap", "never-stocked"], ["US01", "US02"]))

    assert answer[("US01", "tee")] == {
        "product_id": "tee",
        "external_identifier": "tee",
        "fulfillment_location": "US01",
        "atp": 3,
        "source": "stock",
        "reason": None,
    }
    assert answer[("US02", "tee")]["atp"] == 2
    assert answer[("US01", "cap")]["atp"] == 1
    assert answer[("US02", "never-stocked")]["atp"] == 0
    assert len(answer) == 6

    first, second = (item["id"] for item in held["items"])
    api.patch(
        f"/inventory/reservations/{held['id']}/items",
        json=[{"id": first, "status": "UNRESERVED"}, {"id": second, "status": "CONVERTED"}],
    ).raise_for_status()
    # One unit released, one sold (it left the shelf): 5 on hand - 1 sold = 4 promised.
    assert by_pair(ask(api, ["tee"], ["US01"]))[("US01", "tee")]["atp"] == 4


def test_without_a_location_list_every_known_location_is_answered(api, tmp_path):
    stock(api, tmp_path, [("US01", "tee", 1), ("DC01", "tee", 9)])
    answer = ask(api, ["tee"])
    assert [(a["fulfillment_location"], a["atp"]) for a in answer] == [("DC01", 9), ("US01", 1)]


def test_external_atp_switched_on_without_a_webhook_still_uses_the_stock(api, tmp_path):
    stock(api, tmp_path, [("US01", "tee", 5)])
    api.post("/v0/config/routing/uses_external_atp", json={"value": True}).raise_for_status()
    assert ask(api, ["tee"], ["US01"])[0]["source"] == "stock"


def test_external_atp_asks_the_oms_once_with_the_documented_request(api, oms):
    use_external_atp(api, oms.webhook_config())
    oms.stock.update({("US01", "1000061"): 10, ("US02", "10000211"): 3})

    answer = by_pair(ask(api, ["1000061", "10000211"], ["US01", "US02", "DC01"]))

    assert len(oms.calls) == 1
    assert oms.calls[0].authorization == f"Bearer {API_KEY}"
    assert oms.calls[0].body == {
        "products": [  # sorted: the same question is always the same request
            {"product_id": "10000211", "external_identifier": "10000211"},
            {"product_id": "1000061", "external_identifier": "1000061"},
        ],
        "fulfillment_locations": ["DC01", "US01", "US02"],
    }
    assert answer[("US01", "1000061")] == {
        "product_id": "1000061",
        "external_identifier": "1000061",
        "fulfillment_location": "US01",
        "atp": 10,
        "source": "external",
        "reason": None,
    }
    assert answer[("US02", "10000211")]["atp"] == 3
    assert answer[("DC01", "10000211")] == {
        **answer[("DC01", "10000211")],
        "atp": 0,
        "reason": None,
    }
    assert len(answer) == 6


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        pytest.param({"mode": "status", "status": 500}, "http_500", id="error-500"),
        pytest.param({"mode": "status", "status": 503}, "http_503", id="error-503"),
        pytest.param({"mode": "garbage"}, "invalid_json", id="garbage"),
        pytest.param({"mode": "wrong_shape"}, "invalid_payload", id="wrong-shape"),
        pytest.param({"mode": "negative"}, "invalid_payload", id="negative-atp"),
        pytest.param({"api_key": "a-key-the-oms-does-not-know"}, "http_401", id="wrong-key"),
        pytest.param({"down": True}, "refused", id="down"),
        pytest.param({"delay": 6.5}, "timeout", id="slow"),
    ],
)
def test_every_item_is_unavailable_with_the_reason_when_the_oms_cannot_answer(
    api, oms, anonymous, setup, reason
):
    oms.stock.update({("US01", "tee"): 10, ("US02", "tee"): 10})
    webhook = oms.webhook_config(timeout=5)
    if setup.get("down"):
        webhook["url"] = closed_port_url()
    if "api_key" in setup:
        webhook["api_key"] = setup["api_key"]
    oms.mode = setup.get("mode", "ok")
    oms.status = setup.get("status", 200)
    oms.delay = setup.get("delay", 0.0)
    use_external_atp(api, webhook)

    started = time.monotonic()
    answer = ask(api, ["tee", "cap"], ["US01", "US02"])
    elapsed = time.monotonic() - started

    assert len(answer) == 4
    assert {(a["atp"], a["source"], a["reason"]) for a in answer} == {(0, "external", reason)}
    if reason == "timeout":
        assert 5 <= elapsed < 6.5
    metrics = anonymous.get("/metrics").text
    assert f'cashwrap_atp_answers_total{{outcome="{reason}",source="external"}}' in metrics


def test_pairs_the_oms_leaves_out_are_unavailable_and_say_so(api, oms):
    use_external_atp(api, oms.webhook_config())
    oms.stock.update({("US01", "tee"): 4, ("US02", "tee"): 6})
    oms.omit.add(("US02", "tee"))
    oms.extra.append(
        {"product_id": "tee", "external_identifier": "tee", "fulfillment_location": "EU9", "atp": 2}
    )
    oms.extra.append(
        {
            "product_id": "unasked",
            "external_identifier": "x",
            "fulfillment_location": "US01",
            "atp": 1,
        }
    )

    answer = by_pair(ask(api, ["tee"], ["US01", "US02"]))

    assert answer[("US01", "tee")]["atp"] == 4
    assert answer[("US02", "tee")]["atp"] == 0
    assert answer[("US02", "tee")]["reason"] == "missing_from_answer"
    # The OMS's word about a location it was not asked about is kept; other products are not.
    assert answer[("EU9", "tee")]["atp"] == 2
    assert ("US01", "unasked") not in answer


def test_identical_concurrent_questions_share_one_oms_call(platform, tenant, oms):
    with platform.client(tenant) as api:
        use_external_atp(api, oms.webhook_config())
    oms.stock[("US01", "tee")] = 7
    oms.delay = 0.6
    barrier = threading.Barrier(6)

    def question(products):
        with platform.client(tenant) as client:
            barrier.wait()
            return ask(client, products, ["US01"])

    with ThreadPoolExecutor(6) as pool:
        same = [pool.submit(question, ["tee"]) for _ in range(5)]
        other = pool.submit(question, ["tee", "cap"])
        answers = [future.result() for future in same]
        other.result()

    assert all(answer == answers[0] for answer in answers)
    assert answers[0][0]["atp"] == 7
    bodies = [call.body for call in oms.calls]
    assert len(bodies) == 2, bodies
    assert sorted(len(body["products"]) for body in bodies) == [1, 2]


def test_no_transaction_is_held_while_the_oms_is_asked(platform, tenant, oms):
    with platform.client(tenant) as api:
        use_external_atp(api, oms.webhook_config())
    oms.delay = 1.5
    with ThreadPoolExecutor(1) as pool, platform.client(tenant) as api:
        slow = pool.submit(ask, api, ["tee"], ["US01"])
        time.sleep(0.3)
        with platform.client(tenant) as writer:
            started = time.monotonic()
            written = writer.patch("/inventory/config/reservations", json={"expires_in_min": 90})
            elapsed = time.monotonic() - started
        assert written.status_code == 204
        assert not slow.done()
        assert elapsed < 1.0
        assert slow.result()[0]["reason"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"products": []},
        {"products": [{"product_id": ""}]},
        {"products": [{"product_id": "p"}], "fulfillment_locations": []},
        {"products": [{"product_id": "p"}], "stores": ["x"]},
    ],
)
def test_invalid_questions_are_400(api, body):
    response = api.post("/v0/availability", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"


def test_a_configuration_change_through_the_platform_applies_to_the_next_question(
    platform, api, oms, tmp_path
):
    # The webhook settings are kept for a moment; committing a change forgets them at once.
    assert platform.settings.atp_config_cache_seconds >= 1
    stock(api, tmp_path, [("US01", "tee", 2)])
    use_external_atp(api, oms.webhook_config())
    oms.stock[("US01", "tee")] = 9
    assert ask(api, ["tee"], ["US01"])[0]["atp"] == 9

    api.post("/v0/config/routing/uses_external_atp", json={"value": False}).raise_for_status()

    answer = ask(api, ["tee"], ["US01"])[0]
    assert (answer["source"], answer["atp"]) == ("stock", 2)


def test_atp_needs_a_token(anonymous):
    response = anonymous.post("/v0/availability", json={"products": [{"product_id": "p"}]})
    assert response.status_code == 401
    assert response.json()["error_code"] == "unauthorized"
