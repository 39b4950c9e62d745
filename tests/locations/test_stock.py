"""``adjust_stock`` and on-hand reads, the services returns and store fulfillment call."""

from __future__ import annotations

import pytest

from cashwrap.core.errors import Conflict, NotFound
from cashwrap.locations import service
from tests.catalog.zips import stock


def run(platform, work):
    database = platform.server.app.state.database

    async def in_transaction():
        async with database.transaction() as session:
            return await work(session)

    return platform.server.call(in_transaction)


def test_adjust_stock_adds_removes_and_refuses_to_go_below_zero(platform, tenant, api, tmp_path):
    stock(api, tmp_path, [("US01", "tee", 2)])
    name = tenant.tenant

    assert run(platform, lambda s: service.adjust_stock(s, name, "US01", "tee", 3)) == 5
    assert run(platform, lambda s: service.adjust_stock(s, name, "US01", "new", 1)) == 1
    assert run(platform, lambda s: service.adjust_stock(s, name, "US01", "tee", -4)) == 1
    with pytest.raises(Conflict) as refused:
        run(platform, lambda s: service.adjust_stock(s, name, "US01", "tee", -2))
    assert refused.value.error_code == "insufficient_stock"
    assert run(platform, lambda s: service.on_hand(s, name, "US01", "tee")) == 1
    assert (
        run(platform, lambda s: service.adjust_stock(s, name, "US01", "tee", -2, clamp=True)) == 0
    )
    with pytest.raises(NotFound):
        run(platform, lambda s: service.adjust_stock(s, name, "XX", "tee", 1))


def test_known_location_ids_and_stock_levels(platform, tenant, api, tmp_path):
    stock(api, tmp_path, [("US01", "tee", 2), ("DC01", "cap", 7)])
    name = tenant.tenant
    assert run(platform, lambda s: service.known_location_ids(s, name)) == {"US01", "DC01"}
    assert run(platform, lambda s: service.known_location_ids(s, name, ["US01", "ZZ"])) == {"US01"}
    levels = run(
        platform, lambda s: service.stock_levels(s, name, ["US01", "DC01"], ["tee", "cap"])
    )
    assert levels == {
        ("US01", "tee"): 2,
        ("US01", "cap"): 0,
        ("DC01", "tee"): 0,
        ("DC01", "cap"): 7,
    }
