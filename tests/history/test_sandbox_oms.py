"""Purchase history and order details answered by the bundled sandbox OMS, over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cashwrap.sandbox.oms.app import create_app as create_oms
from tests.sandbox.support import API_KEY, RunningSandbox, running

EMAIL = "history-150@example.com"


@pytest.fixture(scope="module")
def oms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running(create_oms, tmp_path_factory.mktemp("oms"), "oms-history") as sandbox:
        generated = sandbox.admin(
            "POST",
            "/orders/_generate",
            json={"customer_email": EMAIL, "count": 150, "prefix": "SBX"},
        )
        assert generated.status_code == 201, generated.text
        yield sandbox


@pytest.fixture
def via_sandbox(api, oms: RunningSandbox) -> RunningSandbox:
    configured = api.put(
        "/v0/config/external_order_webhook", json={"url": oms.url, "api_key": API_KEY}
    )
    assert configured.status_code == 200, configured.text
    switched = api.patch("/v0/config/associate_app", json={"use_new_om_ui": True})
    assert switched.status_code == 200, switched.text
    return oms


def test_an_oms_sending_150_orders_oldest_first_is_cut_to_the_100_newest(api, via_sandbox):
    # Misbehave on purpose: the whole history, oldest first.
    via_sandbox.settings(history_limit=150, history_newest_first=False)
    try:
        response = api.get("/v0/orders", params={"customer_email": EMAIL})
    finally:
        via_sandbox.settings(history_limit=None, history_newest_first=None)
    assert response.status_code == 200, response.text
    shown = [order["id"] for order in response.json()["orders"]]
    # SBX000001 is the newest (one a day back from now).
    assert shown == [f"SBX{index:06d}" for index in range(1, 101)]


def test_a_well_behaved_oms_history_is_shown_as_sent(api, via_sandbox):
    shown = api.get("/v0/orders", params={"customer_email": EMAIL}).json()["orders"]
    assert len(shown) == 100
    assert shown[0]["id"] == "SBX000001"
    assert shown[0]["origin"] == "external"


def test_order_details_come_from_the_sandbox(api, via_sandbox):
    response = api.get("/v0/orders/SBX000007", params={"id_type": "external"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["id"] == "SBX000007"
    assert body["payment_history"][0]["method"] == "credit_card"
    assert body["totals"]["total"] == 88.0
    assert api.get("/v0/orders/SBX999999", params={"id_type": "external"}).status_code == 404
