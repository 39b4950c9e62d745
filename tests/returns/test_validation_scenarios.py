"""The validation scenarios of history and returns pass against a tenant configured the way
``cashwrap demo`` configures one (``cashwrap.cli.demo_setup``, through the platform's APIs), with
the sandbox OMS, payment provider and carrier on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cashwrap.sandbox.carrier.app import create_app as create_carrier
from cashwrap.sandbox.oms.app import create_app as create_oms
from cashwrap.sandbox.psp.app import create_app as create_psp
from cashwrap.validation.runner import run_scenarios
from cashwrap.validation.scenarios import by_name
from cashwrap.validation.targets import Endpoint, PlatformTarget, Targets
from tests.sandbox.support import API_KEY, running
from tests.support.demo_tenant import configure_like_the_demo

SCENARIOS = ["purchase_history", "order_details", "referenced_return", "unreferenced_return"]


@pytest.fixture(scope="module")
def demo_targets(platform, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Targets]:
    folder: Path = tmp_path_factory.mktemp("history-returns-demo")
    credentials = platform.create_tenant("demo")
    with (
        running(create_oms, folder, "oms-demo") as oms,
        running(create_psp, folder, "psp-demo") as psp,
        running(create_carrier, folder, "carrier-demo") as carrier,
    ):
        configure_like_the_demo(
            platform.url, credentials, oms_url=oms.url, psp_url=psp.url,
            carrier_url=carrier.url, sandbox_key=API_KEY, state_dir=folder,
        )  # fmt: skip
        yield Targets(
            platform=PlatformTarget(
                platform.url,
                credentials.tenant,
                credentials.client_id,
                credentials.client_secret,
            ),
            oms=Endpoint(oms.url, API_KEY),
            psp=Endpoint(psp.url, API_KEY),
            carrier=Endpoint(carrier.url, API_KEY),
        )


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_scenario_passes(demo_targets: Targets, name: str):
    steps = run_scenarios(by_name([name]), demo_targets)
    failed = [step.as_dict() for step in steps if not step.passed]
    assert steps
    assert failed == []
