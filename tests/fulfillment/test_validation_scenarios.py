"""The store-fulfillment and injection scenarios of ``cashwrap validate`` pass against a tenant
set up as the demo sets its own up (platform, sandbox OMS, payment provider and carrier)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cashwrap.cli.main import app
from tests.conftest import Platform, TenantCredentials
from tests.sandbox.oms.conftest import Oms
from tests.sandbox.support import RunningSandbox
from tests.support.demo_tenant import configure_like_the_demo, validate_options

runner = CliRunner()
SCENARIOS = [
    "store_fulfillment_pickup",
    "store_fulfillment_ship",
    "store_fulfillment_mispick_reroute",
    "injection_unknown_location",
    "injection_idempotent",
]


@pytest.fixture
def options(
    platform: Platform,
    tenant: TenantCredentials,
    oms: Oms,
    psp: RunningSandbox,
    carrier: RunningSandbox,
    tmp_path: Path,
) -> list[str]:
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms.url, psp_url=psp.url, carrier_url=carrier.url,
        sandbox_key=oms.sandbox.api_key, state_dir=tmp_path,
    )  # fmt: skip
    return validate_options(platform.url, tenant, oms.sandbox, psp, carrier)


def test_the_store_fulfillment_and_injection_scenarios_pass(options):
    chosen = [part for name in SCENARIOS for part in ("--scenario", name)]
    result = runner.invoke(app, ["validate", "--json", *options, *chosen])
    assert result.exit_code in (0, 1), result.output
    steps: list[dict[str, Any]] = json.loads(result.stdout)
    failed = [step for step in steps if step["status"] != "pass"]
    assert failed == []
    assert {step["scenario"] for step in steps} == set(SCENARIOS)
    assert result.exit_code == 0
