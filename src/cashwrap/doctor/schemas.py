"""The doctor's report."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class CheckOutcome(BaseModel):
    id: str
    title: str
    status: Literal["pass", "fail", "warn", "skip"]
    detail: str
    fix: str | None = None


class DoctorReport(BaseModel):
    tenant: str
    status: Literal["pass", "fail", "warn"]
    """``fail`` if any check fails, else ``warn`` if any warns, else ``pass``."""
    summary: dict[str, int]
    checks: list[CheckOutcome]
