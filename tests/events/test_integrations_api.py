"""The integrations API (a.10), the schemas API, and their errors."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import Platform
from tests.events.conftest import Stream

BASE = "/api/v1/org/integrations/eventstream"


def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["error_code"] == code
    return body


def test_register_list_get_stop_start_delete(stream: Stream):
    created = stream.register(id="external-oms-orders", api_key="962b5dfbc57da5448cb4962b5dfbc57d")
    assert created["id"] == "external-oms-orders"
    assert created["status"] == "running"
    assert created["integration_type"] == "permanent"
    assert created["callback_parameters"]["api_key"] == "…c57d"
    assert created["signing_secret"].startswith("whsec_")

    listed = stream.api.get(BASE).json()["integrations"]
    assert [i["id"] for i in listed] == ["external-oms-orders"]
    assert "signing_secret" not in listed[0]
    shown = stream.api.get(f"{BASE}/external-oms-orders").json()
    assert shown["callback_parameters"]["callback_url"].endswith(created["_path"])
    assert "signing_secret" not in shown

    assert stream.api.post(f"{BASE}/external-oms-orders/_stop").json()["status"] == "stopped"
    again = stream.api.post(f"{BASE}/external-oms-orders/_stop").json()
    assert again["status"] == "stopped"
    assert again["stopped_reason"] == "requested"
    assert stream.api.post(f"{BASE}/external-oms-orders/_start", json={}).json()["status"] == (
        "running"
    )

    deleted = stream.api.delete(f"{BASE}/external-oms-orders")
    assert deleted.status_code == 200
    problem(stream.api.get(f"{BASE}/external-oms-orders"), 404, "integration_not_found")
    assert stream.api.get(BASE).json() == {"integrations": []}
    # The id is free again.
    stream.register(id="external-oms-orders")


def test_duplicate_id_is_a_conflict(stream: Stream):
    stream.register(id="dup")
    response = stream.api.post(
        BASE, json={"id": "dup", "callback_parameters": {"callback_url": "http://127.0.0.1:1/x"}}
    )
    problem(response, 409, "integration_exists")


def test_at_most_25_integrations_count_stopped_ones(stream: Stream):
    for n in range(25):
        stream.register(id=f"i{n}")
    stream.api.post(f"{BASE}/i0/_stop")
    response = stream.api.post(
        BASE, json={"id": "i25", "callback_parameters": {"callback_url": "http://127.0.0.1:1/x"}}
    )
    problem(response, 409, "integration_limit_reached")
    assert len(stream.api.get(BASE).json()["integrations"]) == 25


def test_invalid_registrations_are_refused_and_change_nothing(stream: Stream):
    url = {"callback_url": "https://oms.example.com/events"}
    cases = [
        ({"id": "x", "callback_parameters": {"callback_url": "ftp://oms"}}, "invalid_request"),
        ({"id": "bad id!", "callback_parameters": url}, "invalid_request"),
        ({"id": "x"}, "invalid_integration"),
        ({"id": "x", "callback_parameters": url, "unknown": 1}, "invalid_request"),
        (
            {"id": "x", "callback_parameters": url, "integration_type": "temporary"},
            "invalid_integration",
        ),
        (
            {
                "id": "x",
                "callback_parameters": url,
                "starts_at": "2024-02-01T00:00:00Z",
                "ends_at": "2024-01-01T00:00:00Z",
            },
            "invalid_integration",
        ),
        (
            {
                "id": "x",
                "callback_parameters": url,
                "integration_type": "permanent",
                "starts_at": "2024-01-01T00:00:00Z",
                "ends_at": "2024-02-01T00:00:00Z",
            },
            "invalid_integration",
        ),
        (
            {"id": "x", "callback_parameters": url, "starts_at": "2024-01-01T00:00:00"},
            "invalid_request",
        ),
        (
            {
                "id": "x",
                "callback_parameters": url,
                "filter_conditions": {"event_names": ["order.creatd"]},
            },
            "invalid_integration",
        ),
        (
            {"id": "x", "callback_parameters": url, "filter_conditions": {"entities": ["x"]}},
            "invalid_integration",
        ),
        (
            {"id": "x", "s3_parameters": {"bucket": "b", "aws_region": "us-east-1"}},
            "invalid_integration",
        ),
    ]
    for body, code in cases:
        problem(stream.api.post(BASE, json=body), 400, code)
    problem(
        stream.api.post(BASE, content=b"{not json", headers={"content-type": "application/json"}),
        400,
        "invalid_json",
    )
    assert stream.api.get(BASE).json() == {"integrations": []}


def test_unknown_filter_name_is_named_in_the_problem(stream: Stream):
    response = stream.api.post(
        BASE,
        json={
            "id": "x",
            "callback_parameters": {"callback_url": "https://oms.example.com/events"},
            "filter_conditions": {"event_names": ["order.created", "order.creatd"]},
        },
    )
    body = problem(response, 400, "invalid_integration")
    assert any("event_names.1" in message for message in body["messages"])


def test_another_tenants_integration_is_not_found(stream: Stream, event_platform: Platform):
    stream.register(id="mine")
    other = event_platform.create_tenant("other")
    with event_platform.client(other) as client:
        problem(client.get(f"{BASE}/mine"), 404, "integration_not_found")
        problem(client.post(f"{BASE}/mine/_stop"), 404, "integration_not_found")
        problem(client.delete(f"{BASE}/mine"), 404, "integration_not_found")
        problem(client.get(f"{BASE}/mine/publications"), 404, "integration_not_found")
    assert stream.api.get(f"{BASE}/mine").json()["status"] == "running"


def test_integrations_api_needs_a_token(event_platform: Platform):
    with event_platform.client() as anonymous:
        problem(anonymous.get(BASE), 401, "unauthorized")


def test_unknown_publication_is_not_found(stream: Stream):
    stream.register(id="p")
    missing = str(uuid.uuid4())
    problem(stream.api.get(f"{BASE}/p/publications/{missing}"), 404, "publication_not_found")
    problem(
        stream.api.post(f"{BASE}/p/publications/{missing}/_retry"), 404, "publication_not_found"
    )
    problem(
        stream.api.get(f"{BASE}/p/publications", params={"status": "lost"}), 400, "invalid_request"
    )
    problem(stream.api.get(f"{BASE}/p/publications", params={"count": 0}), 400, "invalid_request")


def test_publications_filter_by_name_entity_and_time(stream: Stream):
    from datetime import UTC, datetime, timedelta

    from tests.events.conftest import ffr_assigned, order_created, wait_for

    integration = stream.register(id="mon")
    order = order_created()
    stream.record(order, ffr_assigned(order.id))
    wait_for(lambda: len(stream.sink.at(integration["_path"])) == 2, what="2 events")

    def ids(**params: str) -> list[str]:
        response = stream.api.get(f"{BASE}/mon/publications", params=params)
        assert response.status_code == 200, response.text
        return [event["event_name"] for event in response.json()["events"]]

    assert sorted(ids()) == ["fulfillment_request.assigned", "order.created"]
    assert ids(event_name="order.created") == ["order.created"]
    assert ids(domain_entity_type="fulfillment_request") == ["fulfillment_request.assigned"]
    assert ids(domain_entity_id=order.id, domain_entity_type="order") == ["order.created"]
    future = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert ids(**{"from": future}) == []
    assert len(ids(**{"from": past, "to": future})) == 2
    wait_for(lambda: len(ids(status="success")) == 2, what="both delivered")
    assert ids(status="failure") == []


def test_schemas_are_published_for_every_event(anonymous: httpx.Client):
    body = anonymous.get("/v0/event-stream/schemas").json()
    names = {event["name"] for event in body["events"]}
    assert names == {
        "order.created", "order.opened", "order.completed", "order.cancelled",
        "order.items_cancelled", "payment_account.amount_authorized",
        "payment_account.amount_captured", "payment_account.amount_refunded",
        "fulfillment_request.assigned", "fulfillment_request.items_completed",
        "fulfillment_request.items_failed", "fulfillment_request.items_ready_for_handover",
        "return.processed", "refund_request.issued",
    }  # fmt: skip
    assert "idempotency_key" in body["envelope"]["required"]
    one = anonymous.get("/v0/event-stream/schemas/return.processed").json()
    assert one["x-payload-version"] == 1
    assert "logical_timestamp" in one["required"]
    for field in ("total_refund_amount", "return_location_id", "items"):
        assert field in one["properties"]
    problem(anonymous.get("/v0/event-stream/schemas/order.pending"), 404, "event_not_found")
