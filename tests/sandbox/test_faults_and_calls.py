"""What every sandbox shares: the API key, fault dialing, the call log, settings, reset.

The sandbox PSP is the vehicle; the carrier is used where its settings matter.
"""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from tests.sandbox.support import RunningSandbox


def authorize_body(
    identifier: str, key: str | None = None, amount: float = 10.0
) -> dict[str, object]:
    return {
        "idempotency_key": key or f"key-{uuid.uuid4().hex}",
        "identifier": identifier,
        "amount": amount,
        "currency": "USD",
        "payment_method": "credit_card",
    }


def test_calls_without_the_api_key_are_refused_and_recorded(psp: RunningSandbox):
    with psp.client(api_key="wrong-key-wrong-key-wrong") as client:
        response = client.post("/financial_instruments", json=authorize_body("i-1"))
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["error_code"] == "unauthorized"
    [call] = psp.calls()
    assert call["authorized"] is False
    assert call["status"] == 401
    with psp.client() as client:
        assert client.get("/financial_instruments/i-1").status_code == 404


def test_the_admin_api_needs_the_api_key_but_health_does_not(psp: RunningSandbox):
    anonymous = httpx.Client(base_url=psp.url)
    assert anonymous.get("/_sandbox/calls").status_code == 401
    assert anonymous.put("/_sandbox/faults/capture", json={"kind": "error"}).status_code == 401
    assert anonymous.get("/health").json() == {"status": "ok", "sandbox": "psp"}


def test_an_error_fault_applies_to_the_next_calls_then_clears(psp: RunningSandbox):
    dialed = psp.dial("create_instrument", kind="error", status=500, times=2)
    assert dialed == {
        "operation": "create_instrument",
        "kind": "error",
        "remaining": 2,
        "status": 500,
        "error_code": "internal_error",
        "message": "internal_error (dialed in the sandbox)",
        "retry_after": None,
    }
    with psp.client() as client:
        statuses = [
            client.post("/financial_instruments", json=authorize_body(f"i-{n}")).status_code
            for n in range(3)
        ]
    assert statuses == [500, 500, 200]
    assert psp.admin("GET", "/faults").json() == {"faults": []}
    assert [call["fault"] for call in psp.calls()] == ["error", "error", None]


def test_a_dialed_error_takes_no_effect_and_is_not_kept_for_the_key(psp: RunningSandbox):
    psp.dial("create_instrument", kind="error", status=503, times=1)
    body = authorize_body("i-1", key="k-1")
    with psp.client() as client:
        failed = client.post("/financial_instruments", json=body)
        assert failed.status_code == 503
        assert failed.headers["retry-after"] == "1"
        assert failed.json()["error_code"] == "retry_error"
        assert client.get("/financial_instruments/i-1").status_code == 404
        retried = client.post("/financial_instruments", json=body)
    assert retried.status_code == 200


def test_the_operation_s_own_fault_wins_over_the_wildcard(psp: RunningSandbox):
    psp.dial("*", kind="error", status=500)
    psp.dial("get_instrument", kind="error", status=429, retry_after=7)
    with psp.client() as client:
        created = client.post("/financial_instruments", json=authorize_body("i-1"))
        read = client.get("/financial_instruments/i-1")
    assert created.status_code == 500
    assert read.status_code == 429
    assert read.headers["retry-after"] == "7"
    assert read.json()["error_code"] == "rate_limit"
    assert read.json()["retry_after"] == 7
    assert psp.admin("DELETE", "/faults").status_code == 204
    with psp.client() as client:
        assert client.post("/financial_instruments", json=authorize_body("i-2")).status_code == 200


@pytest.mark.parametrize(
    ("operation", "fault", "status", "fragment"),
    [
        ("settle", {"kind": "error"}, 404, "No operation 'settle'"),
        ("capture", {"kind": "latency", "status": 500}, 400, "status do not apply"),
        ("revoke", {"kind": "decline"}, 400, "has no decline to dial"),
        ("refund", {"kind": "decline", "error_code": "fraud_error"}, 400, "instrument_error"),
        ("capture", {"kind": "error", "status": 418}, 400, "error_code: required"),
        ("capture", {"kind": "teapot"}, 400, "kind"),
        ("capture", {"kind": "error", "times": 0}, 400, "times"),
    ],
)
def test_a_fault_dial_is_checked_and_a_bad_one_changes_nothing(
    psp: RunningSandbox, operation, fault, status, fragment
):
    response = psp.admin("PUT", f"/faults/{operation}", json=fault)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["message"]
    assert psp.admin("GET", "/faults").json() == {"faults": []}


def test_latency_delays_the_answer_and_nothing_else(psp: RunningSandbox):
    psp.dial("create_instrument", kind="latency", delay_ms=400, times=1)
    with psp.client() as client:
        started = time.monotonic()
        response = client.post("/financial_instruments", json=authorize_body("i-1"))
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed >= 0.4
    [call] = psp.calls()
    assert call["fault"] == "latency"
    assert call["duration_ms"] >= 400


def test_a_timeout_takes_effect_and_holds_the_answer_until_the_caller_gives_up(
    psp: RunningSandbox,
):
    psp.dial("create_instrument", kind="timeout", delay_ms=20_000, times=1)
    body = authorize_body("i-1", key="k-timeout")
    with psp.client(timeout=0.5) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.post("/financial_instruments", json=body)
        assert time.monotonic() - started < 5
    [held] = psp.calls()
    assert (held["fault"], held["status"]) == ("timeout", 200)
    with psp.client() as client:
        replay = client.post("/financial_instruments", json=body | {"amount": 99})
    assert replay.status_code == 200
    assert replay.json() == held["response"]
    assert replay.json()["instrument"]["authorized_amount"] == 10.0


def test_a_timeout_without_commit_takes_no_effect(psp: RunningSandbox):
    psp.dial("create_instrument", kind="timeout", delay_ms=300, commit=False, times=1)
    with psp.client() as client:
        held = client.post("/financial_instruments", json=authorize_body("i-1", key="k-1"))
        assert held.status_code == 504
        assert held.json()["error_code"] == "retry_error"
        assert client.get("/financial_instruments/i-1").status_code == 404
        again = client.post("/financial_instruments", json=authorize_body("i-1", key="k-1"))
    assert again.status_code == 200


def test_a_malformed_answer_garbles_what_was_done(psp: RunningSandbox):
    psp.dial("create_instrument", kind="malformed", times=1)
    body = authorize_body("i-1", key="k-1")
    with psp.client() as client:
        garbled = client.post("/financial_instruments", json=body)
        assert garbled.status_code == 200
        assert garbled.headers["content-type"].startswith("text/html")
        assert "Bad Gateway" in garbled.text
        replay = client.post("/financial_instruments", json=body)
    assert replay.json()["instrument"]["identifier"] == "i-1"
    assert [c["replayed"] for c in psp.calls()] == [False, True]


def test_calls_are_listed_oldest_first_filtered_and_paged(psp: RunningSandbox):
    with psp.client() as client:
        client.post("/financial_instruments", json=authorize_body("i-1"))
        client.get("/financial_instruments/i-1")
        client.post("/financial_instruments", json=authorize_body("i-2"))
    everything = psp.calls()
    assert [c["operation"] for c in everything] == [
        "create_instrument",
        "get_instrument",
        "create_instrument",
    ]
    assert everything[0]["request"]["identifier"] == "i-1"
    assert everything[1]["path"] == "/financial_instruments/i-1"
    assert [c["request"]["identifier"] for c in psp.calls("create_instrument")] == ["i-1", "i-2"]
    after_first = psp.admin("GET", "/calls", params={"after": everything[0]["sequence"]})
    assert len(after_first.json()["calls"]) == 2
    assert psp.admin("DELETE", "/calls").status_code == 204
    assert psp.calls() == []


def test_settings_are_checked_and_null_puts_the_default_back(carrier: RunningSandbox):
    assert carrier.settings(offer_ttl_seconds=5)["offer_ttl_seconds"] == 5
    bad = carrier.admin("PUT", "/settings", json={"offer_ttl_seconds": "soon", "colour": 1})
    assert bad.status_code == 400
    assert "colour" in bad.json()["message"]
    negative = carrier.admin("PUT", "/settings", json={"offer_ttl_seconds": -1})
    assert negative.status_code == 400
    assert carrier.admin("GET", "/settings").json()["settings"]["offer_ttl_seconds"] == 5
    assert carrier.settings(offer_ttl_seconds=None)["offer_ttl_seconds"] == 900


def test_reset_forgets_state_answers_faults_calls_and_settings(carrier: RunningSandbox):
    carrier.settings(offer_ttl_seconds=1)
    carrier.dial("get_shipment", kind="error")
    with carrier.client() as client:
        client.get("/shipments/nope")
    carrier.reset()
    described = carrier.admin("GET", "").json()
    assert described["settings"]["offer_ttl_seconds"] == 900
    assert [op["name"] for op in described["operations"]] == [
        "shipping_offers",
        "book_shipment",
        "cancel_shipment",
        "get_shipment",
    ]
    assert carrier.admin("GET", "/faults").json() == {"faults": []}
    assert carrier.calls() == []
