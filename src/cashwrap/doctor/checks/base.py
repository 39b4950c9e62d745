"""What a doctor check is: an id, a title and a coroutine from a context to a result.

A check reads what it needs in its own short transaction and closes it before calling out to
another system (``context.http``), so a slow OMS never holds a database transaction open.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from cashwrap.core.uow import Database

Status = Literal["pass", "fail", "warn", "skip"]


@dataclass(frozen=True)
class CheckContext:
    database: Database
    tenant: str
    http: Any | None = None
    """The platform's outbound HTTP client (``app.state.outbound_http``), when there is one."""


@dataclass(frozen=True)
class CheckResult:
    status: Status
    detail: str
    fix: str | None = None
    """The exact API call (or command) that turns this check green."""


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    run: Callable[[CheckContext], Awaitable[CheckResult]]


def passed(detail: str) -> CheckResult:
    return CheckResult("pass", detail)


def failed(detail: str, fix: str) -> CheckResult:
    return CheckResult("fail", detail, fix)


def warned(detail: str, fix: str) -> CheckResult:
    return CheckResult("warn", detail, fix)


def skipped(detail: str, fix: str | None = None) -> CheckResult:
    return CheckResult("skip", detail, fix)
