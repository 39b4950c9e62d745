"""The token endpoints integrators already call, and the bearer check on every other API."""

from __future__ import annotations

import base64
import time

import jwt
import pytest

from tests.conftest import Platform, TenantCredentials

PROTECTED = "/v0/integration/whoami"


def realm_token_url(tenant: str) -> str:
    return f"/auth/realms/{tenant}/protocol/openid-connect/token"


def test_client_credentials_as_form_fields_give_a_bearer_token(anonymous, tenant):
    response = anonymous.post(
        realm_token_url(tenant.tenant),
        data={
            "grant_type": "client_credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "scope": "newstore:configuration:read",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["scope"] == "newstore:configuration:read"
    assert response.headers["cache-control"] == "no-store"
    me = anonymous.get(PROTECTED, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["tenant"] == tenant.tenant


def test_client_credentials_with_http_basic_auth(anonymous, tenant):
    response = anonymous.post(
        realm_token_url(tenant.tenant),
        data={"grant_type": "client_credentials"},
        auth=(tenant.client_id, tenant.client_secret),
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            "invalid_client",
        ),
        ({"grant_type": "client_credentials"}, "invalid_client"),
        ({"grant_type": "authorization_code"}, "unsupported_grant_type"),
    ],
)
def test_bad_client_credentials_are_refused_as_problems(anonymous, tenant, data, error):
    response = anonymous.post(realm_token_url(tenant.tenant), data=data)
    assert response.status_code in (400, 401)
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["error_code"] == error
    assert body["error"] == error
    assert body["request_id"] == response.headers["x-request-id"]


def test_a_client_cannot_get_a_token_for_another_tenant(platform: Platform, anonymous, tenant):
    other = platform.create_tenant()
    response = anonymous.post(
        realm_token_url(other.tenant),
        data={"grant_type": "client_credentials"},
        auth=(tenant.client_id, tenant.client_secret),
    )
    assert response.status_code == 401


def test_wrong_secret_is_refused(anonymous, tenant):
    response = anonymous.post(
        realm_token_url(tenant.tenant),
        data={"grant_type": "client_credentials"},
        auth=(tenant.client_id, tenant.client_secret + "x"),
    )
    assert response.status_code == 401


def test_malformed_basic_header_is_a_401_not_a_500(anonymous, tenant):
    response = anonymous.post(
        realm_token_url(tenant.tenant),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!notbase64"},
    )
    assert response.status_code == 401
    no_colon = base64.b64encode(b"just-an-id").decode()
    response = anonymous.post(
        realm_token_url(tenant.tenant),
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {no_colon}"},
    )
    assert response.status_code == 401


def test_password_grant_with_form_and_json_bodies(platform: Platform, anonymous, tenant):
    password = _create_user(platform, tenant, "integration")
    form = anonymous.post(
        "/v0/token",
        data={"grant_type": "password", "username": "integration", "password": password},
    )
    as_json = anonymous.post(
        "/v0/token",
        json={"grant_type": "password", "username": "integration", "password": password},
    )
    for response in (form, as_json):
        assert response.status_code == 200, response.text
        body = response.json()
        # Older integrations send "<token_type> <access_token>" back verbatim.
        header = f"{body['token_type']} {body['access_token']}"
        me = anonymous.get(PROTECTED, headers={"Authorization": header})
        assert me.json() == {"tenant": tenant.tenant, "subject": "integration"}


def test_password_grant_refuses_a_wrong_password(platform: Platform, anonymous, tenant):
    _create_user(platform, tenant, "clerk")
    response = anonymous.post(
        "/v0/token",
        data={
            "grant_type": "password",
            "username": "clerk",
            "password": "wrong",
            "tenant": tenant.tenant,
        },
    )
    assert response.status_code == 401
    assert response.json()["error_code"] == "invalid_grant"


def test_password_grant_needs_the_tenant_when_a_username_is_shared(platform: Platform, anonymous):
    first, second = platform.create_tenant(), platform.create_tenant()
    shared = f"shared-{first.tenant}"
    password_first = _create_user(platform, first, shared)
    _create_user(platform, second, shared)
    ambiguous = anonymous.post(
        "/v0/token", data={"grant_type": "password", "username": shared, "password": password_first}
    )
    assert ambiguous.status_code == 400
    assert ambiguous.json()["error_code"] == "tenant_required"
    named = anonymous.post(
        "/v0/token",
        data={
            "grant_type": "password",
            "username": shared,
            "password": password_first,
            "tenant": first.tenant,
        },
    )
    assert named.status_code == 200


def test_password_grant_rejects_a_body_that_is_not_json(anonymous):
    response = anonymous.post(
        "/v0/token", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_json"


@pytest.mark.parametrize(
    "header",
    [None, "Bearer", "Bearer not-a-jwt", "Token abc", "Basic dXNlcjpwYXNz"],
)
def test_protected_apis_answer_401_without_a_valid_token(anonymous, header):
    headers = {"Authorization": header} if header else {}
    response = anonymous.get(PROTECTED, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Bearer" in response.headers["www-authenticate"]


def test_an_expired_token_is_refused(platform: Platform, anonymous, tenant):
    key = platform.server.app.state.signing_key  # type: ignore[attr-defined]
    expired = jwt.encode(
        {
            "iss": "cashwrap",
            "sub": tenant.client_id,
            "tenant": tenant.tenant,
            "iat": int(time.time()) - 7200,
            "exp": int(time.time()) - 3600,
        },
        key,
        algorithm="HS256",
    )
    response = anonymous.get(PROTECTED, headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["error_code"] == "token_expired"


def test_a_token_that_worked_is_refused_once_it_expires(platform: Platform, anonymous, tenant):
    key = platform.server.app.state.signing_key  # type: ignore[attr-defined]
    now = int(time.time())
    short = jwt.encode(
        {"iss": "cashwrap", "sub": tenant.client_id, "tenant": tenant.tenant, "iat": now,
         "exp": now + 2},
        key,
        algorithm="HS256",
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {short}"}
    assert anonymous.get(PROTECTED, headers=headers).status_code == 200
    time.sleep(max(0.0, now + 2.2 - time.time()))
    response = anonymous.get(PROTECTED, headers=headers)
    assert response.status_code == 401
    assert response.json()["error_code"] == "token_expired"


def test_a_token_signed_with_another_key_is_refused(anonymous, tenant):
    forged = jwt.encode(
        {"iss": "cashwrap", "sub": "x", "tenant": tenant.tenant, "exp": int(time.time()) + 60},
        "not-the-platform-key-not-the-platform-key",
        algorithm="HS256",
    )
    response = anonymous.get(PROTECTED, headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["error_code"] == "invalid_token"


def _create_user(platform: Platform, credentials: TenantCredentials, username: str) -> str:
    from cashwrap.tenants import service

    database = platform.server.app.state.database  # type: ignore[attr-defined]

    async def work() -> str:
        async with database.transaction() as session:
            return await service.create_user(session, credentials.tenant, username)

    return platform.server.call(work)
