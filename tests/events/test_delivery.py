"""Delivery to a real HTTP sink on loopback: envelope, headers, signature, retry classes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import uuid
from typing import Any

import pytest
from sqlalchemy.exc import DBAPIError

from tests.events.conftest import (
    HORIZON_SECONDS,
    TIMEOUT_SECONDS,
    Stream,
    ffr_assigned,
    order_cancelled,
    order_created,
    wait_for,
)
from tests.events.sink import Received, Reply


def verify_standard_webhook(secret: str, request: Received) -> bool:
    """Standard Webhooks verification, written from the specification, not from our code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    message_id = request.headers["webhook-id"]
    timestamp = request.headers["webhook-timestamp"]
    signed = f"{message_id}.{timestamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    versions = request.headers["webhook-signature"].split(" ")
    return any(v == f"v1,{expected}" for v in versions)


def publications(stream: Stream, integration_id: str, **params: str) -> list[dict[str, Any]]:
    response = stream.api.get(
        f"/api/v1/org/integrations/eventstream/{integration_id}/publications", params=params
    )
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_committed_event_arrives_with_envelope_headers_and_valid_signature(stream: Stream):
    integration = stream.register(api_key="962b5dfbc57da5448cb4962b5dfbc57d")
    payload = order_created()
    [event_id] = stream.record(payload)

    [request] = wait_for(lambda: stream.sink.at(integration["_path"]), what="the event")

    body = request.json
    assert body["tenant"] == stream.tenant
    assert body["name"] == "order.created"
    assert body["published_at"].endswith("Z")
    assert body["idempotency_key"] == event_id
    assert body["event_id"] == event_id
    assert body["payload_version"] == 1
    assert body["payload"]["id"] == payload.id
    assert body["payload"]["logical_timestamp"] == 1
    assert body["payload"]["items"][0]["shipping_service_level"] == "IN_STORE_HANDOVER"
    assert body["payload"]["items"][0]["price"]["item_price"] == 50.0
    assert body["payload"]["totals"]["total"] == 50.0
    assert request.headers["content-type"] == "application/json"
    assert request.headers["authorization"] == "Bearer 962b5dfbc57da5448cb4962b5dfbc57d"
    assert request.headers["idempotency-key"] == event_id
    assert request.headers["webhook-id"] == event_id
    assert abs(int(request.headers["webhook-timestamp"]) - time.time()) < 30
    assert integration["signing_secret"].startswith("whsec_")
    assert verify_standard_webhook(integration["signing_secret"], request)
    tampered = Received(request.path, request.headers, request.body + b" ", request.at)
    assert not verify_standard_webhook(integration["signing_secret"], tampered)


def test_delivery_without_api_key_sends_no_authorization_header(stream: Stream):
    integration = stream.register()
    stream.record(order_created())
    [request] = wait_for(lambda: stream.sink.at(integration["_path"]), what="the event")
    assert "authorization" not in request.headers


def test_rolled_back_transaction_sends_nothing(stream: Stream):
    integration = stream.register()
    stream.record(order_created(), order_created(), fail=True)
    [kept] = stream.record(order_created())

    # The committed event arrives; the two rolled back never do.
    wait_for(lambda: stream.sink.at(integration["_path"]), what="the committed event")
    time.sleep(0.5)
    assert [r.event_id for r in stream.sink.all_at(integration["_path"])] == [kept]
    assert [p["event_id"] for p in publications(stream, integration["id"])] == [kept]


def test_each_event_of_a_transaction_arrives_once_per_integration(stream: Stream):
    first, second = stream.register(), stream.register()
    ids = stream.record(order_created(), ffr_assigned(), order_created())
    for integration in (first, second):
        path: str = integration["_path"]
        wait_for(lambda p=path: len(stream.sink.at(p)) == 3, what="3 events")  # type: ignore[misc]
        assert sorted(r.event_id for r in stream.sink.at(integration["_path"])) == sorted(ids)


def test_logical_timestamp_grows_per_entity(stream: Stream):
    integration = stream.register()
    order = order_created()
    stream.record(order)
    stream.record(order_created(order.id))
    stream.record(order_created())
    wait_for(lambda: len(stream.sink.at(integration["_path"])) == 3, what="3 events")
    received = stream.sink.at(integration["_path"])
    stamps = sorted(
        r.json["payload"]["logical_timestamp"]
        for r in received
        if r.json["payload"]["id"] == order.id
    )
    assert stamps == [1, 2]


def test_a_new_entitys_counter_starts_with_its_first_events_and_goes_on_after(stream: Stream):
    integration = stream.register()
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    # Recorded as the entity's first events (an order being placed), one by one and batched:
    # numbered from 1 without reading the counter back.
    stream.record(order_created(first), order_cancelled(first), new={0})
    stream.record(order_created(second), order_cancelled(second), new={0}, batched=True)
    # Later transactions go on from where those left the counter.
    stream.record(order_created(first))
    stream.record(order_cancelled(second), batched=True)
    # Said to be new when it has events already: the transaction fails and sends nothing.
    with pytest.raises(DBAPIError):
        stream.record(order_created(first), new={0})

    path = integration["_path"]
    wait_for(lambda: len(stream.sink.at(path)) >= 6, what="6 events")
    time.sleep(0.5)
    received = stream.sink.all_at(path)
    stamps = {
        entity: sorted(
            r.json["payload"]["logical_timestamp"]
            for r in received
            if r.json["payload"]["id"] == entity
        )
        for entity in (first, second)
    }
    assert stamps == {first: [1, 2, 3], second: [1, 2, 3]}


def test_server_errors_are_retried_until_acknowledged(stream: Stream):
    path = stream.new_path()
    stream.sink.respond(path, lambda _r, n: Reply(503 if n <= 2 else 200))
    integration = stream.register(path)
    [event_id] = stream.record(order_created())

    wait_for(lambda: stream.sink.at(path), what="the acknowledged attempt")
    attempts = stream.sink.all_at(path)
    assert [a.status for a in attempts] == [503, 503, 200]
    assert {a.event_id for a in attempts} == {event_id}
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    [publication] = wait_for(
        lambda: publications(stream, integration["id"], status="success"), what="the outcome"
    )
    assert publication["delivery_status"] == "delivered"
    assert publication["status"] == "success"
    assert publication["attempts"] == 3
    detail = stream.api.get(
        f"/api/v1/org/integrations/eventstream/{integration['id']}/publications/"
        f"{publication['publication_id']}"
    ).json()
    assert [a["outcome"] for a in detail["attempts"]] == ["delivered", "retry", "retry"]
    assert [a["status_code"] for a in detail["attempts"]] == [200, 503, 503]


def test_408_and_429_are_retried_and_retry_after_is_honoured(stream: Stream):
    path = stream.new_path()
    replies = {1: Reply(429, {"Retry-After": "1"}), 2: Reply(408)}
    stream.sink.respond(path, lambda _r, n: replies.get(n, Reply(200)))
    stream.register(path)
    stream.record(order_created())

    wait_for(lambda: stream.sink.at(path), what="the acknowledged attempt")
    attempts = stream.sink.all_at(path)
    assert [a.status for a in attempts] == [429, 408, 200]
    assert attempts[1].at - attempts[0].at >= 0.95  # Retry-After: 1


def test_other_4xx_rejects_without_retry_and_can_be_retried_by_hand(stream: Stream):
    path = stream.new_path()
    stream.sink.respond(
        path, lambda _r, n: Reply(422, body=b'{"error":"bad"}') if n == 1 else Reply()
    )
    integration = stream.register(path)
    [event_id] = stream.record(order_created())

    wait_for(
        lambda: publications(stream, integration["id"], status="rejected"), what="the rejection"
    )
    time.sleep(0.6)
    assert [a.status for a in stream.sink.all_at(path)] == [422]
    [publication] = publications(stream, integration["id"], status="failure")
    assert publication["event_id"] == event_id
    assert publication["last_status_code"] == 422
    base = f"/api/v1/org/integrations/eventstream/{integration['id']}/publications"
    detail = stream.api.get(f"{base}/{publication['publication_id']}").json()
    assert detail["attempts"][0]["response_body"] == '{"error":"bad"}'
    assert detail["event"]["event_id"] == event_id

    retried = stream.api.post(f"{base}/{publication['publication_id']}/_retry")
    assert retried.status_code == 200, retried.text
    wait_for(lambda: stream.sink.at(path), what="the retried delivery")
    assert [a.status for a in stream.sink.all_at(path)] == [422, 200]
    wait_for(lambda: publications(stream, integration["id"], status="success"), what="success")


def test_timeouts_are_retried(stream: Stream):
    path = stream.new_path()
    stream.sink.respond(
        path, lambda _r, n: Reply(200, delay=TIMEOUT_SECONDS + 0.5) if n == 1 else Reply()
    )
    integration = stream.register(path)
    stream.record(order_created())

    wait_for(lambda: publications(stream, integration["id"], status="success"), what="delivery")
    [publication] = publications(stream, integration["id"])
    detail = stream.api.get(
        f"/api/v1/org/integrations/eventstream/{integration['id']}/publications/"
        f"{publication['publication_id']}"
    ).json()
    assert [a["outcome"] for a in detail["attempts"]] == ["delivered", "retry"]
    assert "timeout" in detail["attempts"][1]["error"]


def test_refused_connections_are_retried_then_dead_lettered_at_the_horizon(stream: Stream):
    import socket

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    response = stream.api.post(
        "/api/v1/org/integrations/eventstream",
        json={
            "id": "nowhere",
            "callback_parameters": {"callback_url": f"http://127.0.0.1:{port}/events"},
        },
    )
    assert response.status_code == 200
    stream.record(order_created())

    [publication] = wait_for(
        lambda: publications(stream, "nowhere", status="dead_lettered"),
        timeout=HORIZON_SECONDS + 10,
        what="dead-lettering",
    )
    assert publication["attempts"] >= 2
    assert "connection failed" in publication["last_error"]
    stats = stream.api.get("/api/v1/org/integrations/eventstream/nowhere/stats").json()
    assert stats["deliveries"]["dead_lettered"] == 1
    metrics = stream.api.get("/metrics").text
    assert (
        f'cashwrap_event_deliveries_total{{integration="nowhere",outcome="dead_lettered",'
        f'tenant="{stream.tenant}"}} 1.0' in metrics
    )


def test_paused_integration_receives_nothing_until_started_then_everything(stream: Stream):
    integration = stream.register()
    base = f"/api/v1/org/integrations/eventstream/{integration['id']}"
    stopped = stream.api.post(f"{base}/_stop")
    assert stopped.status_code == 200
    assert stopped.json()["status"] == "stopped"
    ids = stream.record(*(order_created() for _ in range(5)))

    time.sleep(1.0)
    assert stream.sink.all_at(integration["_path"]) == []
    assert len(publications(stream, integration["id"], status="pending")) == 5

    started = stream.api.post(f"{base}/_start")
    assert started.json()["status"] == "running"
    wait_for(lambda: len(stream.sink.at(integration["_path"])) == 5, what="5 events")
    assert sorted(r.event_id for r in stream.sink.at(integration["_path"])) == sorted(ids)


def test_filters_deliver_only_the_named_events(stream: Stream):
    integration = stream.register(
        filter_conditions={"event_names": ["order.cancelled", "fulfillment_request.*"]}
    )
    from tests.events.conftest import order_cancelled

    stream.record(order_created(), order_cancelled(), ffr_assigned(), order_created())
    wait_for(lambda: len(stream.sink.at(integration["_path"])) == 2, what="2 events")
    time.sleep(0.5)
    names = sorted(r.json["name"] for r in stream.sink.all_at(integration["_path"]))
    assert names == ["fulfillment_request.assigned", "order.cancelled"]


def test_temporary_integration_replays_exactly_its_window_then_stops(stream: Stream):
    from datetime import UTC, datetime

    before = stream.record(order_created())
    time.sleep(0.05)
    starts_at = datetime.now(UTC)
    time.sleep(0.05)
    inside = stream.record(order_created(), ffr_assigned())
    time.sleep(0.05)
    ends_at = datetime.now(UTC)
    time.sleep(0.05)
    after = stream.record(order_created())
    integration = stream.register(starts_at=starts_at.isoformat(), ends_at=ends_at.isoformat())
    assert integration["integration_type"] == "temporary"
    assert integration["status"] == "running"

    wait_for(lambda: len(stream.sink.at(integration["_path"])) == 2, what="the window")
    base = f"/api/v1/org/integrations/eventstream/{integration['id']}"
    wait_for(lambda: stream.api.get(base).json()["status"] == "stopped", what="the self-stop")
    shown = stream.api.get(base).json()
    assert shown["stopped_reason"] == "completed"
    received = sorted(r.event_id for r in stream.sink.all_at(integration["_path"]))
    assert received == sorted(inside)
    assert not set(received) & set(before + after)
    # Events recorded after the window never reach it.
    stream.record(order_created())
    time.sleep(0.5)
    assert len(stream.sink.all_at(integration["_path"])) == 2


def test_permanent_integration_with_past_start_replays_then_follows_live(stream: Stream):
    from datetime import UTC, datetime

    stream.record(order_created())
    time.sleep(0.05)
    starts_at = datetime.now(UTC)
    past = stream.record(order_created())
    integration = stream.register(starts_at=starts_at.isoformat())
    live = stream.record(order_created())
    wait_for(lambda: len(stream.sink.at(integration["_path"])) == 2, what="replay and live")
    assert sorted(r.event_id for r in stream.sink.at(integration["_path"])) == sorted(past + live)


def test_deleting_an_integration_in_flight_does_not_stall_the_stream(stream: Stream):
    path = stream.new_path()
    stream.sink.respond(path, lambda _r, _n: Reply(200, delay=0.8))
    doomed = stream.register(path)
    stream.record(order_created(), order_created())
    wait_for(lambda: stream.sink.in_flight(path) == 2, what="both requests in flight")
    deleted = stream.api.delete(f"/api/v1/org/integrations/eventstream/{doomed['id']}")
    assert deleted.status_code == 200
    # The two answers arrive after their deliveries (and the integration) are gone.
    wait_for(lambda: stream.sink.in_flight(path) == 0, what="the answers")
    time.sleep(0.2)

    survivor = stream.register()
    stream.record(order_created())
    wait_for(
        lambda: publications(stream, survivor["id"], status="success"),
        what="the next event delivered and recorded",
    )
