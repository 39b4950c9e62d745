"""Values a process keeps for a short while instead of reading them again for every request."""

from __future__ import annotations

import time
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """Values kept with the moment they were read, and reused while younger than the
    ``max_age`` the caller allows (0 or less: never kept, never reused)."""

    def __init__(self) -> None:
        self._entries: dict[K, tuple[float, V]] = {}

    def get(self, key: K, max_age: float) -> V | None:
        entry = self._entries.get(key)
        if entry is None or max_age <= 0 or time.monotonic() - entry[0] > max_age:
            return None
        return entry[1]

    def put(self, key: K, value: V, max_age: float) -> None:
        if max_age > 0:
            self._entries[key] = (time.monotonic(), value)

    def clear(self) -> None:
        self._entries.clear()
