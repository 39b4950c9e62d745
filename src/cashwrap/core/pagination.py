"""Offset/count paging, the shape NewStore's list APIs use."""

from __future__ import annotations

from dataclasses import dataclass

MAX_OFFSET = 2**31 - 1
"""The largest offset a list takes: far past any list's end, and within every database's
integer parameters."""


@dataclass(frozen=True)
class Page:
    offset: int = 0
    count: int = 50

    @property
    def limit(self) -> int:
        return self.count
