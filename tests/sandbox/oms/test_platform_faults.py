"""Every fault the sandbox OMS can be dialed into, and what the platform makes of it.

ATP (seed: "If the webhook request fails, or the external OMS is unavailable, NewStore assumes
that no items are available"): the platform answers 200 with every item unavailable and the
reason — never an error. The event stream: failures are retried until the OMS takes the event,
and a delivery the OMS applied but could not acknowledge in time arrives again and is a
duplicate there.
"""

from __future__ import annotations

import socket
from typing import Any

import httpx
import pytest

from tests.events.conftest import Stream, order_created, wait_for
from tests.sandbox.oms.conftest import Oms

PRODUCT = "1000061"
LOCATIONS = ["US01", "US02"]
WEBHOOK_TIMEOUT = 5


def use_oms_for_atp(api: httpx.Client, oms: Oms, **override: Any) -> None:
    webhook = {
        "url": f"{oms.url}/availabilities",
        "api_key": oms.sandbox.api_key,
        "external_identifier": "product_id",
        "timeout": WEBHOOK_TIMEOUT,
    } | override
    assert api.put("/v0/config/availability_webhook", json=webhook).status_code == 200
    switch = api.post("/v0/config/routing/uses_external_atp", json={"value": True})
    assert switch.status_code == 200


def atp(api: httpx.Client) -> tuple[int, dict[str, tuple[int, str | None, str]]]:
    response = api.post(
        "/v0/availability",
        json={"products": [{"product_id": PRODUCT}], "fulfillment_locations": LOCATIONS},
    )
    entries = response.json()["availabilities"] if response.status_code == 200 else []
    return response.status_code, {
        e["fulfillment_location"]: (e["atp"], e["reason"], e["source"]) for e in entries
    }


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_a_healthy_oms_is_the_source_of_atp(api: httpx.Client, oms: Oms):
    oms.stock(("US01", PRODUCT, 6), ("US02", PRODUCT, 1))
    use_oms_for_atp(api, oms)
    assert atp(api) == (200, {"US01": (6, None, "external"), "US02": (1, None, "external")})
    [call] = oms.sandbox.calls("availability")
    assert call["authorized"] is True
    assert call["request"] == {
        "products": [{"product_id": PRODUCT, "external_identifier": PRODUCT}],
        "fulfillment_locations": LOCATIONS,
    }


def test_a_slow_oms_within_the_timeout_is_still_answered(api: httpx.Client, oms: Oms):
    oms.stock(("US01", PRODUCT, 6))
    use_oms_for_atp(api, oms)
    oms.sandbox.dial("availability", kind="latency", delay_ms=500)
    status, answer = atp(api)
    assert (status, answer["US01"]) == (200, (6, None, "external"))


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"kind": "timeout", "delay_ms": (WEBHOOK_TIMEOUT + 3) * 1000}, "timeout"),
        ({"kind": "error", "status": 500}, "http_500"),
        ({"kind": "error", "status": 503}, "http_503"),
        ({"kind": "error", "status": 429}, "http_429"),
        ({"kind": "malformed"}, "invalid_json"),
        (
            {
                "kind": "malformed",
                "body": '{"availabilities": [{"atp": -1}]}',
                "media_type": "application/json",
            },
            "invalid_payload",
        ),
        ({"kind": "malformed", "status": 502}, "http_502"),
    ],
    ids=["slower-than-timeout", "500", "503", "429", "garbage", "wrong-shape", "bad-gateway"],
)
def test_a_failing_oms_makes_every_item_unavailable_never_an_error(
    api: httpx.Client, oms: Oms, fault: dict[str, Any], reason: str
):
    oms.stock(("US01", PRODUCT, 6), ("US02", PRODUCT, 6))
    use_oms_for_atp(api, oms)
    oms.sandbox.dial("availability", **fault)
    assert atp(api) == (200, dict.fromkeys(LOCATIONS, (0, reason, "external")))


def test_an_oms_that_is_down_makes_every_item_unavailable(api: httpx.Client, oms: Oms):
    use_oms_for_atp(api, oms, url=f"http://127.0.0.1:{closed_port()}/availabilities")
    assert atp(api) == (200, dict.fromkeys(LOCATIONS, (0, "refused", "external")))


def test_an_oms_refusing_the_key_makes_every_item_unavailable(api: httpx.Client, oms: Oms):
    oms.stock(("US01", PRODUCT, 6))
    use_oms_for_atp(api, oms, api_key="a-key-the-oms-does-not-know")
    assert atp(api) == (200, dict.fromkeys(LOCATIONS, (0, "http_401", "external")))
    assert oms.sandbox.calls("availability")[0]["authorized"] is False


def register_oms(stream: Stream, oms: Oms) -> str:
    registered = stream.api.post(
        "/api/v1/org/integrations/eventstream",
        json={
            "id": "sandbox-oms",
            "callback_parameters": {
                "callback_url": f"{oms.url}/events",
                "api_key": oms.sandbox.api_key,
            },
        },
    )
    assert registered.status_code == 200, registered.text
    oms.secret = registered.json()["signing_secret"]
    oms.connect(
        stream.platform.url,
        stream.tenant,
        stream.credentials.client_id,
        stream.credentials.client_secret,
    )
    return str(registered.json()["id"])


def test_events_the_oms_fails_are_retried_until_it_takes_them(stream: Stream, oms: Oms):
    register_oms(stream, oms)
    oms.sandbox.dial("events", kind="error", status=500, times=2)
    order = order_created()
    stream.record(order)
    wait_for(lambda: oms.events(name="order.created"), what="the event taken", timeout=15)
    statuses = [call["status"] for call in oms.sandbox.calls("events")]
    assert statuses == [500, 500, 200]
    held = oms.order(order.external_id)
    assert held["origin_id"] == order.id


def test_an_event_applied_but_answered_too_late_arrives_again_as_a_duplicate(
    stream: Stream, oms: Oms
):
    register_oms(stream, oms)
    # The OMS handles the delivery, then holds its answer beyond the platform's timeout (1 s).
    oms.sandbox.dial("events", kind="timeout", delay_ms=3000, times=1)
    order = order_created()
    stream.record(order)

    def repeated() -> list[dict[str, Any]]:
        log = oms.events()
        return log if len(log) >= 2 else []

    log = wait_for(repeated, what="the repeat", timeout=15)
    assert [e["outcome"] for e in log[:2]] == ["handled", "duplicate"]
    assert len(oms.admin("GET", "/orders").json()["orders"]) == 1


def test_a_garbled_2xx_answer_counts_as_acknowledged(stream: Stream, oms: Oms):
    integration = register_oms(stream, oms)
    oms.sandbox.dial("events", kind="malformed", times=1)
    stream.record(order_created())
    wait_for(lambda: oms.sandbox.calls("events"), what="the delivery")
    stats = wait_for(
        lambda: (
            (
                s := stream.api.get(
                    f"/api/v1/org/integrations/eventstream/{integration}/stats"
                ).json()
            )["deliveries"]["delivered"]
            == 1
            and s
        ),
        what="delivered",
    )
    assert stats["deliveries"]["pending"] == 0
    assert len(oms.sandbox.calls("events")) == 1


def test_a_signature_the_oms_cannot_verify_is_rejected_and_kept_by_the_platform(
    stream: Stream, oms: Oms
):
    integration = register_oms(stream, oms)
    oms.secret = "whsec_" + "A" * 32  # the OMS holds another secret than the integration's
    oms.connect(stream.platform.url, stream.tenant, "c", "s")
    stream.record(order_created())
    publication = wait_for(
        lambda: stream.api.get(
            f"/api/v1/org/integrations/eventstream/{integration}/publications",
            params={"status": "rejected"},
        ).json()["events"],
        what="rejected",
    )[0]
    assert publication["last_status_code"] == 401
    assert oms.events() == []
