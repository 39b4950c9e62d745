"""The payment provider client against the sandbox PSP over real HTTP.

Each failure the sandbox can be dialed into must come back as the outcome a caller acts on:
declined (ask for another payment), rejected (do not repeat), failed (nothing happened) or
unknown (repeat with the same key, or read the instrument).
"""

from __future__ import annotations

import json
import socket
import uuid

import pytest

from cashwrap.outbound import payments
from cashwrap.outbound.http import OutboundHttp
from cashwrap.outbound.payments import (
    Approved,
    Declined,
    Failed,
    PaymentProviderClient,
    Rejected,
    Transaction,
    Unknown,
)
from tests.sandbox.support import RunningSandbox


def client_for(
    http: OutboundHttp, psp: RunningSandbox, *, timeout: float = 5.0, **options
) -> PaymentProviderClient:
    return PaymentProviderClient(
        http, url=f"{psp.url}/", api_key=psp.api_key, timeout=timeout, name="sandbox", **options
    )


def new_key() -> str:
    return f"k-{uuid.uuid4().hex}"


async def authorize(client: PaymentProviderClient, identifier: str, amount: int = 10_00, **extra):
    return await client.authorize(
        idempotency_key=new_key(),
        identifier=identifier,
        amount=amount,
        currency="USD",
        payment_method="credit_card",
        **extra,
    )


def moves(outcome) -> list[tuple[str | None, int, int]]:
    assert isinstance(outcome, Approved), outcome
    return [(t.reason, t.capture_amount, t.refund_amount) for t in outcome.transactions]


async def test_authorize_capture_refund_revoke_move_the_amounts(outbound_http, psp):
    client = client_for(outbound_http, psp)
    authorized = await authorize(
        client, "i-1", 100_00, account_id="order-1", token="tok_visa", metadata={"pos": "7"}
    )
    assert moves(authorized) == [("authorization", 100_00, 0)]
    assert isinstance(authorized, Approved)
    assert authorized.provider == "sandbox"
    assert authorized.instrument is not None
    assert authorized.instrument.capturable == 100_00

    captured = await client.capture(
        idempotency_key=new_key(), identifier="i-1", amount=60_00, currency="USD"
    )
    assert moves(captured) == [("capture", -60_00, 0), ("capture", 0, 60_00)]
    refunded = await client.refund(
        idempotency_key=new_key(), identifier="i-1", amount=25_50, currency="USD", reason="return"
    )
    assert moves(refunded) == [("refund", 0, -25_50)]
    revoked = await client.revoke(idempotency_key=new_key(), identifier="i-1")
    assert moves(revoked) == [("revoke", -40_00, 0)]
    assert isinstance(revoked, Approved)
    assert revoked.instrument is not None
    assert (revoked.instrument.capturable, revoked.instrument.refundable) == (0, 34_50)

    read = await client.read_instrument("i-1")
    assert isinstance(read, Approved)
    assert [t.reason for t in read.transactions] == [
        "authorization", "capture", "capture", "refund", "revoke"
    ]  # fmt: skip
    request = psp.calls("create_instrument")[0]["request"]
    assert request == {
        "idempotency_key": request["idempotency_key"],
        "identifier": "i-1",
        "amount": 100.0,
        "currency": "USD",
        "payment_method": "credit_card",
        "account_id": "order-1",
        "token": "tok_visa",
        "metadata": {"pos": "7"},
    }


async def test_a_repeated_key_with_a_changed_body_gets_the_first_answer(outbound_http, psp):
    client = client_for(outbound_http, psp)
    await authorize(client, "i-1", 50_00)
    first = await client.capture(
        idempotency_key="cap-1", identifier="i-1", amount=10_00, currency="USD"
    )
    again = await client.capture(
        idempotency_key="cap-1", identifier="i-1", amount=30_00, currency="USD"
    )
    assert again == first
    read = await client.read_instrument("i-1")
    assert isinstance(read, Approved)
    assert read.instrument is not None
    assert read.instrument.captured == 10_00


async def test_capturing_more_than_is_left_is_rejected_and_changes_nothing(outbound_http, psp):
    client = client_for(outbound_http, psp)
    await authorize(client, "i-1", 10_00)
    await client.capture(idempotency_key=new_key(), identifier="i-1", amount=6_00, currency="USD")
    over = await client.capture(
        idempotency_key=new_key(), identifier="i-1", amount=4_01, currency="USD"
    )
    assert isinstance(over, Rejected)
    assert (over.error_code, over.status, over.attempts) == ("failed_command", 409, 1)
    assert "exceeds the capturable amount 4.00" in over.message
    read = await client.read_instrument("i-1")
    assert isinstance(read, Approved)
    assert read.instrument is not None
    assert read.instrument.captured == 6_00


async def test_refunding_more_than_was_captured_is_rejected(outbound_http, psp):
    client = client_for(outbound_http, psp)
    await authorize(client, "i-1", 10_00)
    nothing_captured = await client.refund(
        idempotency_key=new_key(), identifier="i-1", amount=1, currency="USD"
    )
    await client.capture(idempotency_key=new_key(), identifier="i-1", amount=5_00, currency="USD")
    await client.refund(idempotency_key=new_key(), identifier="i-1", amount=4_00, currency="USD")
    over = await client.refund(
        idempotency_key=new_key(), identifier="i-1", amount=1_01, currency="USD"
    )
    for outcome in (nothing_captured, over):
        assert isinstance(outcome, Rejected)
        assert outcome.error_code == "failed_command"


async def test_revoking_when_nothing_is_left_and_unknown_instruments_are_rejected(
    outbound_http, psp
):
    client = client_for(outbound_http, psp)
    await authorize(client, "i-1", 10_00)
    await client.capture(idempotency_key=new_key(), identifier="i-1", amount=10_00, currency="USD")
    nothing_left = await client.revoke(idempotency_key=new_key(), identifier="i-1")
    unknown = await client.capture(
        idempotency_key=new_key(), identifier="nope", amount=1_00, currency="USD"
    )
    wrong_currency = await client.refund(
        idempotency_key=new_key(), identifier="i-1", amount=1_00, currency="EUR"
    )
    assert isinstance(nothing_left, Rejected)
    assert nothing_left.status == 409
    assert isinstance(unknown, Rejected)
    assert unknown.status == 404
    assert isinstance(wrong_currency, Rejected)
    assert wrong_currency.status == 400


@pytest.mark.parametrize("operation", ["create_instrument", "capture"])
async def test_an_instrument_error_is_a_decline(outbound_http, psp, operation):
    client = client_for(outbound_http, psp)
    if operation == "capture":
        await authorize(client, "i-1")
    psp.dial(operation, kind="decline", error_code="instrument_error", times=1)
    if operation == "capture":
        outcome = await client.capture(
            idempotency_key=new_key(), identifier="i-1", amount=1_00, currency="USD"
        )
    else:
        outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Declined)
    assert (outcome.error_code, outcome.instrument_voided, outcome.attempts) == (
        "instrument_error",
        False,
        1,
    )


async def test_fraud_voids_the_instrument(outbound_http, psp):
    client = client_for(outbound_http, psp)
    await authorize(client, "i-1", 10_00)
    psp.dial("capture", kind="decline", error_code="fraud_error", times=1)
    fraud = await client.capture(
        idempotency_key=new_key(), identifier="i-1", amount=1_00, currency="USD"
    )
    after = await client.capture(
        idempotency_key=new_key(), identifier="i-1", amount=1_00, currency="USD"
    )
    assert isinstance(fraud, Declined)
    assert fraud.instrument_voided
    assert isinstance(after, Rejected)
    assert "voided" in after.message


async def test_a_decline_token_declines_and_the_decline_is_kept_for_the_key(outbound_http, psp):
    client = client_for(outbound_http, psp)
    first = await client.authorize(
        idempotency_key="pay-1",
        identifier="i-1",
        amount=10_00,
        currency="USD",
        payment_method="credit_card",
        token="tok_instrument_error",
    )
    same_key_other_card = await client.authorize(
        idempotency_key="pay-1",
        identifier="i-1",
        amount=10_00,
        currency="USD",
        payment_method="credit_card",
        token="tok_visa",
    )
    assert isinstance(first, Declined)
    assert same_key_other_card == first


async def test_internal_error_fails_at_once_without_a_retry(outbound_http, psp):
    client = client_for(outbound_http, psp)
    psp.dial("create_instrument", kind="error", status=500, times=1)
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Failed)
    assert (outcome.error_code, outcome.attempts) == ("internal_error", 1)
    assert len(psp.calls("create_instrument")) == 1


async def test_retry_error_is_repeated_with_the_same_key_until_it_goes_through(outbound_http, psp):
    client = client_for(outbound_http, psp)
    psp.dial("create_instrument", kind="error", status=503, retry_after=0, times=2)
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Approved)
    assert outcome.attempts == 3
    calls = psp.calls("create_instrument")
    assert [c["status"] for c in calls] == [503, 503, 200]
    assert len({c["idempotency_key"] for c in calls}) == 1


async def test_retry_error_that_persists_is_failed_after_the_attempts(outbound_http, psp):
    client = client_for(outbound_http, psp, max_attempts=2)
    psp.dial("capture", kind="error", status=503, retry_after=0)
    outcome = await client.capture(
        idempotency_key=new_key(), identifier="i-1", amount=1_00, currency="USD"
    )
    assert isinstance(outcome, Failed)
    assert (outcome.error_code, outcome.attempts) == ("retry_error", 2)


async def test_rate_limit_waits_its_retry_after_when_short(outbound_http, psp):
    client = client_for(outbound_http, psp)
    psp.dial("create_instrument", kind="error", status=429, retry_after=1, times=1)
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Approved)
    assert outcome.attempts == 2
    first, second = psp.calls("create_instrument")
    assert second["received_at"] > first["received_at"]


async def test_rate_limit_with_a_long_retry_after_is_handed_to_the_caller(outbound_http, psp):
    client = client_for(outbound_http, psp, max_retry_after=1.0)
    psp.dial("create_instrument", kind="error", status=429, retry_after=30)
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Failed)
    assert (outcome.error_code, outcome.retry_after, outcome.attempts) == ("rate_limit", 30.0, 1)


async def test_a_timeout_is_unknown_when_there_is_no_attempt_left(outbound_http, psp):
    client = client_for(outbound_http, psp, timeout=0.3, max_attempts=1)
    psp.dial("create_instrument", kind="timeout", delay_ms=10_000, times=1)
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Unknown)
    assert outcome.reason == "timeout"


async def test_after_a_timeout_the_same_key_learns_what_happened_and_nothing_twice(
    outbound_http, psp
):
    client = client_for(outbound_http, psp, timeout=0.3)
    await authorize(client, "i-1", 10_00)
    psp.dial("capture", kind="timeout", delay_ms=10_000, times=1)
    outcome = await client.capture(
        idempotency_key="cap-1", identifier="i-1", amount=4_00, currency="USD"
    )
    assert isinstance(outcome, Approved)
    assert outcome.attempts == 2
    assert outcome.instrument is not None
    assert outcome.instrument.captured == 4_00
    assert [(c["fault"], c["replayed"]) for c in psp.calls("capture")] == [
        ("timeout", False),
        (None, True),
    ]


async def test_latency_within_the_timeout_is_just_slow(outbound_http, psp):
    client = client_for(outbound_http, psp, timeout=2.0)
    psp.dial("create_instrument", kind="latency", delay_ms=300)
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Approved)
    assert outcome.attempts == 1


async def test_an_answer_that_is_not_the_contract_s_is_unknown(outbound_http, psp):
    client = client_for(outbound_http, psp, max_attempts=1)
    psp.dial("create_instrument", kind="malformed", times=1)
    garbled = await authorize(client, "i-1")
    psp.dial("create_instrument", kind="malformed", body='{"transactions": "none"}',
             media_type="application/json", times=1)  # fmt: skip
    wrong_shape = await authorize(client, "i-2")
    assert isinstance(garbled, Unknown)
    assert garbled.reason == "invalid_json"
    assert isinstance(wrong_shape, Unknown)
    assert wrong_shape.reason == "malformed_answer"


@pytest.mark.parametrize(
    ("transaction", "reason"),
    [
        ({"transaction_id": "t" * 129}, "malformed_answer"),
        ({"transaction_id": "t-1", "reason": "r" * 33}, "malformed_answer"),
        ({"transaction_id": "t-1\u0000"}, "malformed_answer"),
        ({"transaction_id": "t-1", "correlation_id": "\ud800"}, "invalid_json"),  # the parser's
    ],
)
async def test_an_answer_with_texts_the_platform_cannot_keep_is_unknown(
    outbound_http, psp, transaction, reason
):
    client = client_for(outbound_http, psp, max_attempts=1)
    body = {"transactions": [{"currency": "USD", "capture_amount": 0, **transaction}]}
    psp.dial("create_instrument", kind="malformed", body=json.dumps(body), status=200,
             media_type="application/json", times=1)  # fmt: skip
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Unknown)
    assert outcome.reason == reason


async def test_a_gateway_error_without_a_contract_code_is_unknown(outbound_http, psp):
    client = client_for(outbound_http, psp, max_attempts=1)
    psp.dial("capture", kind="malformed", status=502, times=1)
    outcome = await client.capture(
        idempotency_key=new_key(), identifier="i-1", amount=1_00, currency="USD"
    )
    assert isinstance(outcome, Unknown)
    assert outcome.reason == "http_502"


async def test_a_wrong_api_key_is_rejected_as_unauthorized(outbound_http, psp):
    client = PaymentProviderClient(
        outbound_http, url=psp.url, api_key="not-the-key-not-the-key", timeout=5
    )
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Rejected)
    assert (outcome.error_code, outcome.status) == ("unauthorized", 401)


async def test_a_provider_that_is_not_listening_is_failed(outbound_http):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PaymentProviderClient(
        outbound_http, url=f"http://127.0.0.1:{port}", api_key=None, timeout=1, backoff=0.01
    )
    outcome = await authorize(client, "i-1")
    assert isinstance(outcome, Failed)
    assert (outcome.error_code, outcome.attempts) == ("refused", 3)


async def test_cash_needs_no_provider_call_and_answers_alike_for_a_key(psp):
    provider = payments.payment_provider("cash", webhook=None)
    first = await provider.capture(
        idempotency_key="cash-1", identifier="order-1", amount=12_34, currency="EUR"
    )
    again = await provider.capture(
        idempotency_key="cash-1", identifier="order-1", amount=12_34, currency="EUR"
    )
    assert first == again
    assert moves(first) == [("capture", -12_34, 0), ("capture", 0, 12_34)]
    assert isinstance(first, Approved)
    assert first.provider == "cash"
    assert psp.calls() == []


async def test_an_external_refund_is_recorded_by_the_built_in_placeholder(outbound_http, psp):
    webhook = client_for(outbound_http, psp)
    provider = payments.payment_provider("external", webhook=webhook)
    refunded = await provider.refund(
        idempotency_key="ret-1", identifier="GD000001234", amount=49_99, currency="USD"
    )
    capture = await provider.capture(
        idempotency_key="ret-2", identifier="GD000001234", amount=1, currency="USD"
    )
    assert isinstance(refunded, Approved)
    assert refunded.provider == "external"
    assert refunded.transactions == (
        Transaction(
            transaction_id=refunded.transactions[0].transaction_id,
            instrument_id="GD000001234",
            reason="refund",
            capture_amount=0,
            refund_amount=-49_99,
            currency="USD",
            correlation_id="ret-1",
        ),
    )
    assert isinstance(capture, Rejected)
    assert capture.error_code == "failed_command"
    assert psp.calls() == []


async def test_cards_go_to_the_configured_provider_or_are_rejected_without_one(outbound_http, psp):
    webhook = client_for(outbound_http, psp)
    assert payments.payment_provider("credit_card", webhook=webhook) is webhook
    unconfigured = payments.payment_provider("credit_card", webhook=None)
    outcome = await unconfigured.authorize(
        idempotency_key="k",
        identifier="i-1",
        amount=1_00,
        currency="USD",
        payment_method="credit_card",
    )
    assert isinstance(outcome, Rejected)
    assert outcome.error_code == "payment_provider_not_configured"


async def test_programming_errors_raise_before_any_call(outbound_http, psp):
    client = client_for(outbound_http, psp)
    with pytest.raises(ValueError, match="positive integer"):
        await client.capture(idempotency_key="k", identifier="i-1", amount=0, currency="USD")
    with pytest.raises(ValueError, match="idempotency key"):
        await client.capture(idempotency_key="", identifier="i-1", amount=1, currency="USD")
    with pytest.raises(ValueError, match="ISO 4217"):
        await client.capture(idempotency_key="k", identifier="i-1", amount=1, currency="XXY")
    assert psp.calls() == []
