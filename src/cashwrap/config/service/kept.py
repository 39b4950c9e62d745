"""Settings a hot path reuses for a moment instead of reading them for every request.

A checkout reads five configuration documents and an added line one; reading them again for
every sale is a round trip and a validation each time for values that change a few times a
year. A value read here is kept per database, tenant and document for at most the ``max_age``
its caller allows (0: always read), and **forgotten as soon as this process commits any
configuration change** — so a change made through this process applies to the next request,
and one made through another process (``serve --workers N``, the CLI) within ``max_age``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from cashwrap.core.cache import Recent

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

_CHANGED = "cashwrap.config.changed"
_KEPT: Recent[tuple[Any, ...], Any] = Recent()
_OTHERS: list[Recent[Any, Any]] = []


class _Generation:
    """How many configuration changes this process has committed."""

    value = 0


async def reused(
    session: AsyncSession, key: tuple[Any, ...], max_age: float, read: Callable[[], Awaitable[T]]
) -> T:
    """``read()``, or what it returned at most ``max_age`` seconds ago for ``key``."""
    if max_age <= 0:
        return await read()
    full = (id(session.bind), *key)
    found: T | None = _KEPT.get(full, max_age)
    if found is not None:
        return found
    generation = _Generation.value
    found = await read()
    if _Generation.value == generation:  # not read across a change committed meanwhile
        _KEPT.put(full, found, max_age)
    return found


def forgotten_on_change(cache: Recent[K, V]) -> Recent[K, V]:
    """``cache`` (another domain's kept configuration), cleared as this module's values are
    whenever this process commits a configuration change."""
    _OTHERS.append(cache)
    return cache


def changing(session: AsyncSession) -> None:
    """Note that ``session``'s transaction changes the configuration: what is kept is
    forgotten when it commits."""
    session.sync_session.info[_CHANGED] = True


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _Generation.value += 1
        _KEPT.clear()
        for cache in _OTHERS:
            cache.clear()


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)
