"""Running the doctor: every check in order, one report.

Checks read in their own short sessions and never write, so the doctor can run at any time,
from the API or the CLI, without disturbing traffic. A check that raises is reported as a
failure of that check (with the error), never as a failed report.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from cashwrap.core.uow import Database
from cashwrap.doctor.checks import CHECKS, Check, CheckContext, CheckResult
from cashwrap.doctor.schemas import CheckOutcome, DoctorReport

logger = logging.getLogger("cashwrap.doctor")


async def run(
    database: Database,
    tenant: str,
    *,
    http: Any | None = None,
    checks: Sequence[Check] | None = None,
) -> DoctorReport:
    context = CheckContext(database=database, tenant=tenant, http=http)
    outcomes: list[CheckOutcome] = []
    for check in CHECKS if checks is None else checks:
        result = await _run_one(check, context)
        outcomes.append(
            CheckOutcome(
                id=check.id,
                title=check.title,
                status=result.status,
                detail=result.detail,
                fix=result.fix,
            )
        )
    summary = dict.fromkeys(("pass", "fail", "warn", "skip"), 0)
    for outcome in outcomes:
        summary[outcome.status] += 1
    status = "fail" if summary["fail"] else "warn" if summary["warn"] else "pass"
    return DoctorReport(tenant=tenant, status=status, summary=summary, checks=outcomes)


async def _run_one(check: Check, context: CheckContext) -> CheckResult:
    try:
        return await check.run(context)
    except Exception as error:  # one broken check must not hide the others
        logger.exception("doctor check failed", extra={"check": check.id})
        return CheckResult("fail", f"the check itself failed: {type(error).__name__}: {error}")
