"""The doctor: the seed's pre-requisites in order, each with pass/fail and the call that fixes
it."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from cashwrap.doctor import service
from cashwrap.doctor.checks import CHECKS, configuration
from cashwrap.doctor.checks.base import Check, CheckContext, CheckResult, passed
from tests.config.support import assert_problem, example

DOCTOR = "/v0/integration/doctor"
CONFIGURATION_CHECKS = [
    check.id for check in vars(configuration).values() if isinstance(check, Check)
]
SEED_ORDER = [
    "external_oms_enabled",
    "sales_order_enabled",
    "external_order_webhook",
    "use_new_om_ui",
    "use_charge_api",
    "shipping_adapter",
    "fulfillment_configuration",
    "mixed_cart",
    "availability_webhook",
    "uses_external_atp",
    "refund_options",
    "payment_provider",
    "skip_soft_routing_on_injection",
]
PLACEHOLDERS = {
    "https://<your OMS>/<path>": "https://oms.example.com/hook",
    "<at least 20 characters>": "k" * 24,
    "<location id>": "9801",
    "<store_id>": "US01",
    "<carrier>": "UPS",
}
CALL = re.compile(r"\b(GET|PUT|POST|PATCH|DELETE) (/\S+)")


def configuration_checks(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {check["id"]: check for check in report["checks"] if check["id"] in CONFIGURATION_CHECKS}


def fix_calls(fix: str) -> list[tuple[str, str, Any]]:
    """The API calls a fix names: ``METHOD /path {json}``, possibly several joined by "and";
    an alternative after "; or" is not taken."""
    fix = fix.split("; or")[0]
    for placeholder, value in PLACEHOLDERS.items():
        fix = fix.replace(placeholder, value)
    calls: list[tuple[str, str, Any]] = []
    position = 0
    while match := CALL.search(fix, position):
        rest = fix[match.end() :]
        body, length = None, 0
        if rest.startswith(" {"):
            body, length = json.JSONDecoder().raw_decode(rest[1:])
            length += 1
        calls.append((match.group(1), match.group(2), body))
        position = match.end() + length
    return calls


def test_the_doctor_needs_a_token(anonymous):
    assert_problem(anonymous.get(DOCTOR), 401, "unauthorized")


def test_a_new_tenant_fails_every_configuration_prerequisite_in_the_seed_order(api, tenant):
    response = api.get(DOCTOR)
    assert response.status_code == 200
    report = response.json()
    assert report["tenant"] == tenant.tenant
    assert report["status"] == "fail"
    ids = [check["id"] for check in report["checks"]]
    assert [check_id for check_id in ids if check_id in SEED_ORDER] == SEED_ORDER
    checks = configuration_checks(report)
    assert checks["mixed_cart"]["status"] == "skip"
    for check_id, check in checks.items():
        assert set(check) == {"id", "title", "status", "detail", "fix"}
        if check_id != "mixed_cart":
            assert check["status"] == "fail", check
        assert check["detail"]
        assert fix_calls(check["fix"]), check["fix"]
    assert report["summary"]["fail"] >= len(SEED_ORDER) - 1


def test_the_registry_lists_every_configuration_check_once():
    ids = [check.id for check in CHECKS]
    assert len(ids) == len(set(ids))
    assert set(CONFIGURATION_CHECKS) <= set(ids)


def test_following_the_fixes_of_one_report_turns_the_configuration_checks_green(api):
    checks = configuration_checks(api.get(DOCTOR).json())
    for check in checks.values():
        for method, path, body in fix_calls(check["fix"]):
            response = api.request(method, path, json=body)
            assert response.status_code < 300, (check["id"], method, path, response.text)
    checks = configuration_checks(api.get(DOCTOR).json())
    assert {check_id: check["status"] for check_id, check in checks.items()} == dict.fromkeys(
        CONFIGURATION_CHECKS, "pass"
    )


def readme_setup(api: httpx.Client) -> None:
    """What the README has a new user do: the reference's examples, then the documented
    bodies of the configurations the reference has no example for."""
    assert (
        api.put(
            "/v0/config/external_oms", json=example("external-oms-config.update.request.json")
        ).status_code
        == 200
    )
    assert api.put("/v0/config/sales_order", json={"enabled": True}).status_code == 200
    assert (
        api.put(
            "/v0/config/external_order_webhook",
            json={
                "url": "https://oms.example.com/orders",
                "api_key": "0123456789abcdefghij",
                "timeout": 15,
            },
        ).status_code
        == 200
    )
    assert api.patch("/v0/config/associate_app", json={"use_new_om_ui": True}).status_code == 200
    assert (
        api.put(
            "/v0/config/payment",
            json={
                "use_charge_api": True,
                "refund_options": ["original", "external", "credit_card", "gift_card"],
                "provider": {
                    "url": "https://psp.example.com/hooks",
                    "api_key": "0123456789abcdefghij",
                },
            },
        ).status_code
        == 200
    )
    assert (
        api.put(
            "/v0/config/shipping_adapter",
            json={"url": "https://shipping.example.com/adapter", "api_key": "0123456789abcdefghij"},
        ).status_code
        == 200
    )
    assert (
        api.put(
            "/v0/config/fulfillment", json=example("fulfillment-config.legacy.request.json")
        ).status_code
        == 200
    )
    assert (
        api.put(
            "/v0/config/availability_webhook",
            json=example("availability-config.update.request.json"),
        ).status_code
        == 200
    )
    assert (
        api.post(
            "/v0/config/routing/uses_external_atp",
            json=example("routing-config.uses-external-atp.request.json"),
        ).status_code
        == 200
    )
    assert (
        api.post(
            "/v1/r/config/order_injection",
            params={"version": "1"},
            json=example("order-injection-config.update.request.json"),
        ).status_code
        == 200
    )


def test_the_readme_setup_turns_the_configuration_checks_green(api):
    before = configuration_checks(api.get(DOCTOR).json())
    assert all(check["status"] in ("fail", "skip") for check in before.values())
    readme_setup(api)
    report = api.get(DOCTOR).json()
    statuses = {
        check_id: check["status"] for check_id, check in configuration_checks(report).items()
    }
    assert statuses == {**dict.fromkeys(CONFIGURATION_CHECKS, "pass"), "mixed_cart": "skip"}
    api.patch("/v0/config/associate_app", json={"capabilities": {"mixed_cart": True}})
    assert configuration_checks(api.get(DOCTOR).json())["mixed_cart"]["status"] == "warn"
    api.put("/v0/config/stores/US01", json={"mixed_cart": True})
    assert configuration_checks(api.get(DOCTOR).json())["mixed_cart"]["status"] == "pass"


def test_partial_configurations_are_named_precisely(api):
    readme_setup(api)
    api.delete("/v0/config/availability_webhook")
    api.put("/v0/config/external_order_webhook", json={"url": "https://oms.example.com/orders"})
    api.put(
        "/v0/config/payment",
        json={
            "use_charge_api": True,
            "refund_options": ["original", "external"],
            "store_mapping": {"US02": {"refund_options": ["gift_card"]}},
            "provider": {"url": "https://psp.example.com/hooks"},
        },
    )
    checks = configuration_checks(api.get(DOCTOR).json())
    assert checks["availability_webhook"]["status"] == "fail"
    assert checks["uses_external_atp"]["status"] == "fail"
    assert "no ATP webhook" in checks["uses_external_atp"]["detail"]
    assert checks["external_order_webhook"]["status"] == "warn"
    assert checks["refund_options"]["status"] == "warn"
    assert "US02" in checks["refund_options"]["detail"]
    api.put(
        "/v0/config/payment",
        json={"use_charge_api": True, "refund_options": ["original", "credit_card"]},
    )
    checks = configuration_checks(api.get(DOCTOR).json())
    assert checks["refund_options"]["status"] == "fail"
    assert "external" in checks["refund_options"]["detail"]
    assert checks["payment_provider"]["status"] == "fail"


def test_a_ruleset_without_service_levels_or_provider_rates_is_reported(api):
    api.put("/v0/routing/ruleset", json=example("routing-ruleset.get.response.json"))
    check = configuration_checks(api.get(DOCTOR).json())["fulfillment_configuration"]
    assert check["status"] == "warn"
    assert "no display name" in check["detail"] or "none is defined" in check["detail"]


def test_the_fix_of_order_injection_names_the_current_version(api):
    api.post(
        "/v1/r/config/order_injection",
        params={"version": "1"},
        json={"skip_soft_routing_on_injection": False},
    )
    check = configuration_checks(api.get(DOCTOR).json())["skip_soft_routing_on_injection"]
    assert "?version=2 " in check["fix"]


def test_a_broken_check_is_reported_as_its_own_failure(platform, tenant):
    async def broken(_context: CheckContext) -> CheckResult:
        raise RuntimeError("boom")

    async def fine(_context: CheckContext) -> CheckResult:
        return passed("fine")

    database = platform.server.app.state.database
    report = platform.server.call(
        lambda: service.run(
            database,
            tenant.tenant,
            checks=[Check("broken", "Broken", broken), Check("fine", "Fine", fine)],
        )
    )
    assert [check.status for check in report.checks] == ["fail", "pass"]
    assert "RuntimeError: boom" in report.checks[0].detail
    assert report.status == "fail"
