"""Faults dialed per operation through the admin API, and how a call claims one.

A fault applies to the next ``times`` calls of its operation (or to every call until cleared when
``times`` is omitted); ``*`` dials every operation at once, and a fault dialed for the operation
itself wins over ``*``. Kinds:

==========  ==============================================================================
latency     wait ``delay_ms``, then answer normally
error       answer ``status`` with a problem ``error_code`` (500 ``internal_error``, 503
            ``retry_error``, 429 ``rate_limit`` with ``Retry-After``…); nothing takes effect and
            the answer is not kept for the idempotency key
timeout     take effect (``commit``, default true) then hold the answer ``delay_ms`` (default
            30 s) or until the caller hangs up — the "did it happen?" case
malformed   take effect (``commit``) then answer ``status`` (default 200) with ``body`` that
            is not the contract's JSON (default an HTML gateway page)
decline     the operation answers with one of its decline codes (e.g. ``instrument_error``,
            ``fraud_error``); a business answer, kept for the idempotency key
==========  ==============================================================================

Claiming is one transaction (``SELECT … FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on
SQLite), so two concurrent calls never both consume the last remaining use of a fault.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.core import clock
from cashwrap.sandbox.common.database import Fault
from cashwrap.sandbox.common.problems import SandboxProblem

FaultKind = Literal["latency", "error", "timeout", "malformed", "decline"]
EVERY_OPERATION = "*"

# The documented error codes of the payment provider contract, used for transient errors too.
DEFAULT_ERROR_CODES = {429: "rate_limit", 500: "internal_error", 502: "internal_error"}
DEFAULT_ERROR_CODES |= {503: "retry_error", 504: "retry_error"}
DEFAULT_MALFORMED_BODY = "<html><body><h1>502 Bad Gateway</h1></body></html>"

_FIELDS_BY_KIND: dict[str, frozenset[str]] = {
    "latency": frozenset({"kind", "times", "delay_ms"}),
    "error": frozenset({"kind", "times", "status", "error_code", "message", "retry_after"}),
    "timeout": frozenset({"kind", "times", "delay_ms", "commit"}),
    "malformed": frozenset({"kind", "times", "status", "body", "media_type", "commit"}),
    "decline": frozenset({"kind", "times", "status", "error_code", "message"}),
}


class FaultDial(BaseModel):
    """Body of ``PUT /_sandbox/faults/{operation}``."""

    model_config = ConfigDict(extra="forbid")

    kind: FaultKind
    times: int | None = Field(default=None, ge=1, le=1_000_000)
    delay_ms: int | None = Field(default=None, ge=0, le=600_000)
    status: int | None = Field(default=None, ge=200, le=599)
    error_code: str | None = Field(default=None, min_length=1, max_length=64)
    message: str | None = Field(default=None, min_length=1, max_length=1024)
    retry_after: int | None = Field(default=None, ge=0, le=3600)
    body: str | None = Field(default=None, max_length=65_536)
    media_type: str | None = Field(default=None, min_length=1, max_length=128)
    commit: bool | None = None


@dataclass(frozen=True)
class ActiveFault:
    """A fault as one call sees it, with every default filled in."""

    kind: str
    delay_ms: int = 0
    status: int = 500
    error_code: str = "internal_error"
    message: str = ""
    retry_after: int | None = None
    body: str = DEFAULT_MALFORMED_BODY
    media_type: str = "text/html"
    commit: bool = True

    @classmethod
    def from_params(cls, kind: str, params: dict[str, Any]) -> ActiveFault:
        return cls(kind=kind, **params)


def normalize(
    dial: FaultDial, *, operation: str, declines: Sequence[str], decline_status: int = 422
) -> dict[str, Any]:
    """Check the dial against its kind and the operation; return the parameters to store."""
    given = {name for name, value in dial.model_dump().items() if value is not None}
    allowed = _FIELDS_BY_KIND[dial.kind]
    misplaced = sorted(given - allowed)
    if misplaced:
        raise SandboxProblem(
            400,
            "invalid_request",
            f"{', '.join(misplaced)} do not apply to a {dial.kind} fault",
            messages=[f"{name}: not allowed for kind {dial.kind}" for name in misplaced],
        )
    if dial.kind == "latency":
        return {"delay_ms": 1000 if dial.delay_ms is None else dial.delay_ms}
    if dial.kind == "timeout":
        return {
            "delay_ms": 30_000 if dial.delay_ms is None else dial.delay_ms,
            "commit": True if dial.commit is None else dial.commit,
        }
    if dial.kind == "malformed":
        return {
            "status": dial.status or 200,
            "body": DEFAULT_MALFORMED_BODY if dial.body is None else dial.body,
            "media_type": dial.media_type or "text/html",
            "commit": True if dial.commit is None else dial.commit,
        }
    if dial.kind == "error":
        status = dial.status or 500
        if status < 400:
            raise SandboxProblem(400, "invalid_request", "status: an error fault needs 4xx or 5xx")
        error_code = dial.error_code or DEFAULT_ERROR_CODES.get(status)
        if error_code is None:
            raise SandboxProblem(
                400, "invalid_request", f"error_code: required for status {status}"
            )
        retry_after = dial.retry_after
        if retry_after is None and status in (429, 503):
            retry_after = 1
        return {
            "status": status,
            "error_code": error_code,
            "message": dial.message or f"{error_code} (dialed in the sandbox)",
            "retry_after": retry_after,
        }
    # decline
    if not declines:
        raise SandboxProblem(
            400, "invalid_request", f"operation {operation!r} has no decline to dial"
        )
    error_code = dial.error_code or declines[0]
    if error_code not in declines:
        raise SandboxProblem(
            400,
            "invalid_request",
            f"error_code: {operation} declines with one of {', '.join(declines)}",
        )
    status = dial.status or decline_status
    if status < 400:
        raise SandboxProblem(400, "invalid_request", "status: a decline needs 4xx or 5xx")
    return {
        "status": status,
        "error_code": error_code,
        "message": dial.message or f"{error_code} (dialed in the sandbox)",
    }


async def claim(session: AsyncSession, operation: str) -> ActiveFault | None:
    """The fault that applies to this call of ``operation``, consuming one of its uses."""
    rows = (
        await session.scalars(
            select(Fault).where(Fault.operation.in_((operation, EVERY_OPERATION))).with_for_update()
        )
    ).all()
    if not rows:
        return None
    fault = min(rows, key=lambda row: row.operation == EVERY_OPERATION)
    if fault.remaining is not None:
        if fault.remaining <= 1:
            await session.delete(fault)
        else:
            fault.remaining -= 1
    return ActiveFault.from_params(fault.kind, fault.params)


async def any_dialed(session: AsyncSession) -> bool:
    return (await session.scalar(select(Fault.operation).limit(1))) is not None


async def dial(
    session: AsyncSession, operation: str, kind: str, params: dict[str, Any], times: int | None
) -> Fault:
    fault = await session.get(Fault, operation, with_for_update=True)
    if fault is None:
        fault = Fault(operation=operation)
        session.add(fault)
    fault.kind = kind
    fault.params = params
    fault.remaining = times
    fault.created_at = clock.now()
    return fault


def describe(fault: Fault) -> dict[str, Any]:
    return {
        "operation": fault.operation,
        "kind": fault.kind,
        "remaining": fault.remaining,
        **fault.params,
    }
