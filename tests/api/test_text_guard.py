"""Text no database can store — a NUL, half of a surrogate pair — is refused at the edge, with
``400 invalid_characters``, wherever it comes: the path, the query, a form, a JSON body.

(PostgreSQL refuses a NUL in any text: before the guard, each of these was a 500 there.)
"""

from __future__ import annotations

import httpx
import pytest

from cashwrap.core.json_values import unstorable_escape


@pytest.mark.parametrize(
    ("body", "refused"),
    [
        (rb'{"a": "plain text, caf\u00e9"}', False),
        (rb'{"a": "\ud83d\ude00 a pair"}', False),
        (rb'{"a": "\\u0000 an escaped backslash, then text"}', False),
        (rb'{"a": "x\u0000"}', True),
        (rb'{"a": "\\\u0000"}', True),
        (rb'{"a": "\ud800"}', True),
        (rb'{"a": "\ud800\u0041"}', True),
        (rb'{"a": "\ud800\\udc00"}', True),
        (rb'{"a": "\udc00\ud800"}', True),
        (rb'{"a": "\ud83d\ude00", "b": "\ude00"}', True),
        (rb'{"a": "ends high \ud83d', True),
    ],
)
def test_escapes_are_read_as_json_reads_them(body: bytes, refused: bool):
    assert unstorable_escape(body) is refused


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["error_code"] == "invalid_characters"
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_a_nul_in_the_path_or_the_query_is_refused(api: httpx.Client):
    assert_refused(api.get("/checkout/carts/a%00b"))
    assert_refused(api.get("/v0/orders/A-1", params={"id_type": "external\x00"}))
    assert api.get("/checkout/carts/a%2500b").json()["error_code"] == "cart_not_found"


def test_a_nul_in_a_form_is_refused(anonymous: httpx.Client, tenant):
    response = anonymous.post(
        f"/auth/realms/{tenant.tenant}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id + "\x00",
            "client_secret": tenant.client_secret,
        },
    )
    assert_refused(response)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_a_nul_in_a_json_body_is_refused_whatever_its_content_type(
    api: httpx.Client, content_type: str | None
):
    headers = {"Content-Type": content_type} if content_type else {}
    body = b'{"associate_id": "a\\u0000", "channel_id": "store-1", "currency": "USD"}'
    assert_refused(api.post("/checkout/carts", content=body, headers=headers))
