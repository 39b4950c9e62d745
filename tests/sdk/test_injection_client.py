"""The order-injection client keeps the contract's retry rules, proven against a loopback stub
of the platform that answers 500, 429, 504 and 4xx as scripted."""

from __future__ import annotations

import asyncio
import copy
import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cashwrap.sdk import (
    AuthenticationError,
    InjectedOrderRequest,
    InjectionFailed,
    InjectionRejected,
    OrderInjectionClient,
    PlatformAuth,
    RetryPolicy,
)
from tests.sdk.stub_platform import Reply, running

# Copies of the reference's examples, kept with the injection tests.
EXAMPLES = Path(__file__).resolve().parents[1] / "injection" / "examples"
ORDER: dict[str, Any] = {
    "external_id": "EXT-ORDER-0001",
    "shop": "storefront-catalog-en",
    "shop_locale": "en-US",
    "channel_type": "web",
    "channel_name": "external-oms",
    "currency": "USD",
    "price_method": "tax_excluded",
    "shipments": [
        {
            "items": [
                {
                    "external_item_id": "EXT-ITEM-1",
                    "product_id": "1000761",
                    "price": {
                        "item_price": 100.0,
                        "item_list_price": 100.0,
                        "item_tax_lines": [{"amount": 8.88, "rate": 0.08875, "name": "NY TAX"}],
                    },
                }
            ],
            "shipping_option": {
                "service_level_identifier": "Priority",
                "price": 0,
                "tax": 0,
                "routing_strategy": {"strategy": "external", "fulfillment_node_id": "9801"},
            },
        }
    ],
    "payments": [
        {
            "processor": "external",
            "correlation_ref": "PAY-0001",
            "type": "captured",
            "amount": 108.88,
            "method": "credit_card",
            "processed_at": "2024-03-01T10:14:59Z",
        }
    ],
}


class Waits:
    """Records the client's waits instead of sleeping them (the tests stay fast)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def inject(url: str, order: Any = ORDER, **options: Any) -> tuple[Any, Waits]:
    waits = Waits()

    async def main() -> Any:
        auth = PlatformAuth.client_credentials(url, "acme", "client", "secret")
        async with OrderInjectionClient(url, auth, sleep=waits, **options) as client:
            return await client.inject_detailed(order)

    return asyncio.run(main()), waits


@pytest.fixture
def stub() -> Any:
    with running() as (platform, url):
        yield platform, url


def test_500_is_retried_with_the_identical_payload_after_a_short_delay(stub):
    platform, url = stub
    platform.script = [
        Reply(500, {"error_code": "shipping_provider_communication_error"}),
        Reply(500, {"error_code": "rpc_timeout"}),
    ]
    result, waits = inject(url)
    bodies = [seen.body for seen in platform.injections()]
    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert json.loads(bodies[0])["external_id"] == "EXT-ORDER-0001"
    assert waits.waits == [0.5, 1.0]  # a short delay, doubled
    assert result.response.id == platform.created["id"]
    assert [a.status for a in result.attempts] == [500, 500, 200]


def test_429_waits_for_retry_after_then_repeats(stub):
    platform, url = stub
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    platform.script = [
        Reply(429, {"error_code": "too_many_requests"}, {"Retry-After": "2"}),
        Reply(429, {"error_code": "too_many_requests"}, {"Retry-After": later}),
        Reply(429, {"error_code": "too_many_requests"}),
    ]
    _, waits = inject(url)
    assert len(platform.injections()) == 4
    assert waits.waits[0] == 2.0
    assert 27 < waits.waits[1] <= 30  # an HTTP date
    assert waits.waits[2] == 1.0  # no Retry-After: the policy's default


def test_504_is_repeated_to_collect_the_result(stub):
    platform, url = stub
    platform.script = [Reply(504), Reply(504)]
    result, waits = inject(url)
    assert len(platform.injections()) == 3
    assert waits.waits == [1.0, 1.0]
    assert result.response.external_id == "X"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_shipments"),
        (400, "addon_invalid_parent_item"),
        (403, "forbidden"),
        (404, "not_found"),
        (409, "same_order_injection_with_different_data"),
        (422, "unprocessable"),
    ],
)
def test_a_4xx_is_never_retried(stub, status, code):
    platform, url = stub
    platform.script = [Reply(status, {"error_code": code, "message": "refused"})]
    with pytest.raises(InjectionRejected) as refused:
        inject(url)
    assert refused.value.status == status
    assert refused.value.error_code == code
    assert len(platform.injections()) == 1


def test_the_client_gives_up_after_max_attempts_and_says_the_order_may_exist(stub):
    platform, url = stub
    platform.script = [Reply(500, {"error_code": "grpc_unavailable"})] * 10
    with pytest.raises(InjectionFailed) as failed:
        inject(url, retry=RetryPolicy(max_attempts=4))
    assert failed.value.attempts == 4
    assert failed.value.error_code == "grpc_unavailable"
    assert len(platform.injections()) == 4


def test_the_deadline_stops_retries_that_would_end_after_it(stub):
    platform, url = stub
    platform.script = [Reply(429, {}, {"Retry-After": "100"})]
    with pytest.raises(InjectionFailed):
        inject(url, retry=RetryPolicy(deadline=10))
    assert len(platform.injections()) == 1


def test_an_unreachable_platform_is_retried_then_reported(stub):
    _, url = stub
    waits = Waits()

    async def main() -> None:
        token_url = f"{url}/auth/realms/acme/protocol/openid-connect/token"
        auth = PlatformAuth.client_credentials(url, "acme", "c", "s", token_url=token_url)
        down = "http://127.0.0.1:9"  # the discard port: nothing listens
        retry = RetryPolicy(max_attempts=3)
        async with OrderInjectionClient(down, auth, sleep=waits, retry=retry) as client:
            await client.inject(ORDER)

    with pytest.raises(InjectionFailed) as failed:
        asyncio.run(main())
    assert failed.value.attempts == 3
    assert failed.value.status is None
    assert failed.value.error_code == "ConnectError"
    assert waits.waits == [0.5, 1.0]


def test_the_token_is_fetched_once_and_renewed_when_it_expires(stub):
    platform, url = stub
    platform.expires_in = 100
    now = [0.0]
    waits = Waits()

    async def main() -> None:
        auth = PlatformAuth.client_credentials(url, "acme", "client", "secret")
        auth._clock = lambda: now[0]
        async with OrderInjectionClient(url, auth, sleep=waits) as client:
            await client.inject(ORDER)
            await client.inject(ORDER)
            now[0] = 89.0  # inside the lifetime minus its margin (10 %)
            await client.inject(ORDER)
            now[0] = 91.0
            await client.inject(ORDER)

    asyncio.run(main())
    assert [seen.form["grant_type"] for seen in platform.token_calls()] == [
        "client_credentials",
        "client_credentials",
    ]
    assert [seen.authorization for seen in platform.injections()] == [
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_a_401_renews_the_token_and_sends_once_more(stub):
    platform, url = stub
    platform.reject_tokens = {"token-1"}
    result, _ = inject(url)
    assert [seen.authorization for seen in platform.injections()] == [
        "Bearer token-1",
        "Bearer token-2",
    ]
    assert result.response.id == platform.created["id"]


def test_refused_credentials_raise_an_authentication_error(stub):
    _, url = stub

    async def main() -> None:
        auth = PlatformAuth.client_credentials(url, "acme", "client", "wrong")
        async with OrderInjectionClient(url, auth) as client:
            await client.inject(ORDER)

    with pytest.raises(AuthenticationError) as refused:
        asyncio.run(main())
    assert refused.value.status == 401


def test_the_legacy_password_grant_posts_to_v0_token(stub):
    platform, url = stub

    async def main() -> None:
        auth = PlatformAuth.password(url, "associate", "pw", tenant="acme")
        async with OrderInjectionClient(url, auth) as client:
            await client.inject(ORDER)

    asyncio.run(main())
    token_call = platform.token_calls()[0]
    assert token_call.path == "/v0/token"
    assert token_call.form == {
        "grant_type": "password",
        "username": "associate",
        "password": "pw",
        "tenant": "acme",
    }


def test_requests_are_typed_and_checked_before_anything_is_sent(stub):
    platform, url = stub
    both = copy.deepcopy(ORDER)
    both["shipments"][0]["shipping_option"]["shipping_offer_token"] = "t"
    with pytest.raises(ValidationError, match="exactly one"):
        inject(url, both)
    typo = dict(ORDER, extrenal_id="typo")
    with pytest.raises(ValidationError, match="extrenal_id"):
        inject(url, typo)
    assert platform.injections() == []


def test_the_wire_form_follows_the_contract():
    order = InjectedOrderRequest.model_validate(ORDER)
    wire = json.loads(order.wire())
    assert wire["payments"][0]["amount"] == 108.88  # a JSON number, not a string
    assert wire["shipments"][0]["shipping_option"]["routing_strategy"] == {
        "strategy": "external",
        "fulfillment_node_id": "9801",
    }
    assert "placed_at" not in wire  # what is not given is not sent
    example = json.loads((EXAMPLES / "fulfill-order.external-routing.request.json").read_text())
    assert json.loads(InjectedOrderRequest.model_validate(example).wire()) == example
