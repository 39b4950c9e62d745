"""Every configuration API needs a token, and a tenant never sees or changes another's."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from cashwrap.config.router import router
from tests.config.support import assert_problem, example, seed_fulfillment, snapshot

ENDPOINTS = sorted(
    (method, route.path)
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in route.methods or ()
)


def concrete(path: str) -> str:
    return (
        path.replace("{name}", "uses_external_atp")
        .replace("{section}", "routes")
        .replace("{provider_rate_id}", "Priority")
        .replace("{store_id}", "US01")
    )


def test_every_configuration_endpoint_is_listed():
    assert len(ENDPOINTS) >= 40


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_needs_a_token(anonymous, method, path):
    response = anonymous.request(method, concrete(path), json={})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/v0/config/payment"), ("PUT", "/v0/config/external_oms")]
)
def test_a_bad_token_is_401(anonymous, method, path):
    response = anonymous.request(
        method, path, json={"enabled": True}, headers={"Authorization": "Bearer nope"}
    )
    assert_problem(response, 401, "invalid_token")


WRITES = [
    ("PUT", "/v0/config/external_oms", {"enabled": True}, "/v0/config/external_oms"),
    ("PUT", "/v0/config/fulfillment", seed_fulfillment(), "/v0/config/fulfillment"),
    (
        "PUT",
        "/v0/config/availability_webhook",
        example("availability-config.update.request.json"),
        "/v0/config/availability_webhook",
    ),
    ("PUT", "/v0/config/associate_app", {"use_new_om_ui": True}, "/v0/config/associate_app"),
    ("PUT", "/v0/config/payment", {"use_charge_api": True}, "/v0/config/payment"),
    ("PUT", "/v0/config/stores/US01", {"mixed_cart": True}, "/v0/config/stores/US01"),
    (
        "POST",
        "/v0/config/routing/uses_external_atp",
        {"value": True},
        "/v0/config/routing/uses_external_atp",
    ),
]


def test_another_tenant_never_sees_nor_changes_my_documents(platform, api):
    other_tenant = platform.create_tenant()
    with platform.client(other_tenant) as other:
        before = {read: snapshot(other, read) for _, _, _, read in WRITES}
        for method, path, body, _ in WRITES:
            assert api.request(method, path, json=body).status_code == 200
        mine = {read: api.get(read).json() for _, _, _, read in WRITES}
        for read, seen in before.items():
            assert snapshot(other, read) == seen
        # The other tenant writing the same documents leaves mine untouched.
        other.put("/v0/config/external_oms", json={"enabled": False})
        other.post("/v0/config/routing/uses_external_atp", json={"value": False})
        other.put("/v0/config/stores/US01", json={"mixed_cart": False})
        for read, body in mine.items():
            assert api.get(read).json() == body
        # Its ETags are its own: mine at version 2 does not make its version-2 write stale.
        assert (
            other.put(
                "/v0/config/external_oms", json={"enabled": True}, headers={"If-Match": '"2"'}
            ).status_code
            == 200
        )
        assert_problem(
            other.put(
                "/v0/config/fulfillment", json=seed_fulfillment(), headers={"If-Match": '"2"'}
            ),
            412,
            "etag_mismatch",
        )
