"""The sandbox PSP over HTTP: its ledger, its idempotency under concurrency, its decline tokens.

The platform-side client is tested against it in ``tests/outbound/test_payments.py``; these
tests hold the sandbox itself to the contract, concurrently, as several platform processes
would call it.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from tests.sandbox.support import RunningSandbox


def authorize(client, identifier: str, amount: float, token: str | None = None):
    body = {
        "idempotency_key": f"auth-{identifier}",
        "identifier": identifier,
        "amount": amount,
        "currency": "USD",
        "payment_method": "credit_card",
    }
    if token:
        body["token"] = token
    return client.post("/financial_instruments", json=body)


def test_concurrent_calls_with_one_key_capture_once_and_answer_alike(psp: RunningSandbox):
    with psp.client() as client:
        assert authorize(client, "i-1", 20).status_code == 200

    def capture(amount: float):
        with psp.client() as client:
            body = {"idempotency_key": "cap-1", "amount": amount, "currency": "USD"}
            return client.post("/financial_instruments/i-1/capture", json=body)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(capture, [5, 6, 7, 8, 5, 6, 7, 8]))
    assert {a.status_code for a in answers} == {200}
    assert len({a.text for a in answers}) == 1
    with psp.client() as client:
        instrument = client.get("/financial_instruments/i-1").json()["instrument"]
    assert instrument["captured_amount"] == answers[0].json()["instrument"]["captured_amount"]
    assert sum(1 for c in psp.calls("capture") if not c["replayed"]) == 1


def test_concurrent_captures_never_take_more_than_was_authorized(psp: RunningSandbox):
    with psp.client() as client:
        assert authorize(client, "i-1", 20).status_code == 200

    def capture(_: int):
        with psp.client() as client:
            body = {"idempotency_key": uuid.uuid4().hex, "amount": 3, "currency": "USD"}
            return client.post("/financial_instruments/i-1/capture", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(capture, range(10)))
    assert statuses.count(200) == 6
    assert statuses.count(409) == 4
    with psp.client() as client:
        instrument = client.get("/financial_instruments/i-1").json()["instrument"]
    assert (instrument["captured_amount"], instrument["capturable_amount"]) == (18.0, 2.0)


def test_decline_tokens_decline_without_dialing(psp: RunningSandbox):
    with psp.client() as client:
        declined = authorize(client, "i-1", 10, token="tok_instrument_error")
        fraud = authorize(client, "i-2", 10, token="tok_fraud_error")
        assert client.get("/financial_instruments/i-1").status_code == 404
        voided = client.get("/financial_instruments/i-2").json()["instrument"]
    assert (declined.status_code, declined.json()["error_code"]) == (402, "instrument_error")
    assert (fraud.status_code, fraud.json()["error_code"]) == (402, "fraud_error")
    assert fraud.json()["instrument"]["status"] == "voided"
    assert (voided["status"], voided["capturable_amount"]) == ("voided", 0.0)


def test_amounts_with_more_decimals_than_the_currency_are_refused(psp: RunningSandbox):
    with psp.client() as client:
        response = client.post(
            "/financial_instruments",
            json={
                "idempotency_key": "k",
                "identifier": "i-1",
                "amount": 10.5,
                "currency": "JPY",
                "payment_method": "credit_card",
            },
        )
        assert client.get("/financial_instruments/i-1").status_code == 404
    assert response.status_code == 400
    assert response.json()["error_code"] == "failed_command"
    assert "JPY" in response.json()["message"]


def test_an_identifier_is_one_instrument(psp: RunningSandbox):
    with psp.client() as client:
        assert authorize(client, "i-1", 10).status_code == 200
        again = client.post(
            "/financial_instruments",
            json={
                "idempotency_key": "another-key",
                "identifier": "i-1",
                "amount": 50,
                "currency": "USD",
                "payment_method": "credit_card",
            },
        )
        instrument = client.get("/financial_instruments/i-1").json()["instrument"]
    assert (again.status_code, again.json()["error_code"]) == (409, "failed_command")
    assert instrument["authorized_amount"] == 10.0
