"""Offset/count paging, the shape NewStore's list APIs use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    offset: int = 0
    count: int = 50

    @property
    def limit(self) -> int:
        return self.count
