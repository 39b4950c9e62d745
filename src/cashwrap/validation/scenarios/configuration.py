"""Every pre-requisite of the seed holds: the doctor's report, one step per check."""

from __future__ import annotations

from cashwrap.validation.runner import Scenario, ScenarioContext

ACCEPTED = ("pass", "warn", "skip")


def run(ctx: ScenarioContext) -> None:
    report = ctx.require_status(
        "the doctor answers", ctx.platform.get("/v0/integration/doctor"), 200
    )
    for check in report["checks"]:
        status = check["status"]
        observed = status if status == "pass" else f"{status}: {check['detail']}"
        if status == "fail" and check.get("fix"):
            observed += f" (fix: {check['fix']})"
        ctx.check(
            check["title"],
            expected="pass (or warn / skip for optional parts)",
            observed=observed,
            passed=status in ACCEPTED,
        )


SCENARIO = Scenario(
    "configuration", "Pre-requisites of the seed (the doctor's checks, in the seed's order)", run
)
