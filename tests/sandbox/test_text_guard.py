"""Text no database stores (a NUL, an unpaired surrogate) is refused by every sandbox at the
edge, as by the platform: 400 ``invalid_characters``, nothing recorded — never a 500."""

from __future__ import annotations

import json

import pytest

from tests.sandbox.support import RunningSandbox


@pytest.mark.parametrize("text", ["i-\u0000", "i-\ud800"])
def test_the_psp_refuses_unstorable_text_and_records_nothing(psp: RunningSandbox, text: str):
    with psp.client() as client:
        response = client.post(
            "/financial_instruments",
            content=json.dumps(
                {
                    "idempotency_key": "k-1",
                    "identifier": text,
                    "amount": 10,
                    "currency": "USD",
                    "payment_method": "credit_card",
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["error_code"] == "invalid_characters"
        assert client.get("/_sandbox/calls").json()["calls"] == []


def test_the_carrier_refuses_a_nul_in_the_path(carrier: RunningSandbox):
    with carrier.client() as client:
        response = client.get("/shipments/a%00b")
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "invalid_characters"
