"""``cashwrap validate`` against a platform and sandboxes on loopback: a configured tenant passes
every scenario; a broken OMS fails the steps it breaks, with what was expected and observed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cashwrap.cli.main import app
from cashwrap.validation.runner import Scenario, ScenarioContext, run_scenarios
from cashwrap.validation.targets import PlatformTarget, Targets
from tests.conftest import Platform, TenantCredentials
from tests.sandbox.oms.conftest import Oms
from tests.sandbox.support import RunningSandbox
from tests.support.demo_tenant import configure_like_the_demo, validate_options

runner = CliRunner()


@pytest.fixture
def configured(
    platform: Platform,
    tenant: TenantCredentials,
    oms: Oms,
    psp: RunningSandbox,
    carrier: RunningSandbox,
    tmp_path: Path,
) -> list[str]:
    """A tenant set up exactly as the demo sets its own up; the validate options to reach it."""
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms.url, psp_url=psp.url, carrier_url=carrier.url,
        sandbox_key=oms.sandbox.api_key, state_dir=tmp_path,
    )  # fmt: skip
    return validate_options(platform.url, tenant, oms.sandbox, psp, carrier)


def validate(*arguments: str) -> tuple[int, list[dict[str, Any]]]:
    result = runner.invoke(app, ["validate", "--json", *arguments])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def test_a_configured_platform_passes_every_scenario(configured: list[str]):
    code, steps = validate(*configured)
    failed = [step for step in steps if step["status"] != "pass"]
    assert failed == []
    assert code == 0
    assert {step["scenario"] for step in steps} >= {
        "configuration",
        "event_stream",
        "atp_from_oms",
        "atp_failure_modes",
    }
    assert all(
        set(step) == {"scenario", "step", "status", "expected", "observed"} for step in steps
    )


def test_a_broken_oms_fails_the_steps_it_breaks_and_exits_1(configured: list[str], oms: Oms):
    oms.sandbox.dial("availability", kind="error", status=500)
    code, steps = validate(*configured, "--scenario", "atp_from_oms")
    assert code == 1
    failed = [step for step in steps if step["status"] == "fail"]
    assert failed
    first = failed[0]
    assert first["scenario"] == "atp_from_oms"
    assert '"external"' in first["expected"]
    assert "external" in first["observed"]
    assert "7" in first["expected"]
    assert "0" in first["observed"]


def test_the_doctor_failing_fails_the_configuration_scenario(
    configured: list[str], platform: Platform
):
    options = dict(zip(configured[::2], configured[1::2], strict=True))
    with platform.client(
        TenantCredentials(options["--tenant"], options["--client-id"], options["--client-secret"])
    ) as api:
        assert api.put("/v0/config/external_oms", json={"enabled": False}).status_code == 200
    code, steps = validate(*configured, "-s", "configuration")
    assert code == 1
    [failed] = [step for step in steps if step["status"] == "fail"]
    assert failed["step"].startswith("External OMS")
    assert "PUT /v0/config/external_oms" in failed["observed"]


def test_scenarios_can_be_chosen_and_listed():
    listed = runner.invoke(app, ["validate", "--list"])
    assert listed.exit_code == 0
    assert "atp_failure_modes" in listed.stdout
    unknown = runner.invoke(app, ["validate", "--scenario", "no_such_thing"])
    assert unknown.exit_code == 2


def test_without_a_platform_validate_says_what_is_missing(tmp_path: Path):
    result = runner.invoke(
        app, ["validate", "--credentials", str(tmp_path / "absent.json")], env={"CASHWRAP_URL": ""}
    )
    assert result.exit_code == 2
    assert "--platform-url" in result.output


def test_a_scenario_that_raises_is_a_failed_step_and_the_run_goes_on():
    def broken(ctx: ScenarioContext) -> None:
        ctx.expect("first step", 1, 1)
        raise RuntimeError("the OMS exploded")

    def silent(ctx: ScenarioContext) -> None:
        return None

    def fine(ctx: ScenarioContext) -> None:
        undone: list[str] = []
        ctx.cleanup(lambda: undone.append("x"))
        ctx.check("works", expected="yes", observed="yes", passed=True)

    targets = Targets(PlatformTarget("http://127.0.0.1:9", "t", "c", "s"))
    steps = run_scenarios(
        [
            Scenario("broken", "raises", broken),
            Scenario("silent", "records nothing", silent),
            Scenario("needs_oms", "needs the OMS", fine, requires=("oms",)),
            Scenario("fine", "passes", fine),
        ],
        targets,
    )
    assert [(s.scenario, s.step, s.status) for s in steps] == [
        ("broken", "first step", "pass"),
        ("broken", "runs to the end", "fail"),
        ("silent", "records steps", "fail"),
        ("needs_oms", "targets", "fail"),
        ("fine", "works", "pass"),
    ]
    assert "the OMS exploded" in steps[1].observed
