"""Time, always UTC-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime


def now() -> datetime:
    return datetime.now(UTC)


def isoformat(moment: datetime) -> str:
    """RFC 3339 with a ``Z`` suffix, the way the contract's samples write times."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def as_utc(moment: datetime) -> datetime:
    """Databases without time zones (SQLite) hand back naive datetimes that were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def writable_in_utc(moment: datetime) -> datetime:
    """``moment``, or ValueError when it has no UTC form: ``0001-01-01T00:00:00+14:00`` is a
    valid time whose UTC date falls before the year 1 (and one in 9999 after 9999)."""
    if moment.tzinfo is not None:
        try:
            moment.astimezone(UTC)
        except OverflowError:
            raise ValueError("the time falls outside the years 1 to 9999 in UTC") from None
    return moment


Moment = Annotated[datetime, AfterValidator(writable_in_utc)]
"""An input time (naive: UTC) that the platform can store and compare."""
AwareMoment = Annotated[AwareDatetime, AfterValidator(writable_in_utc)]
"""An input time that must name its offset."""


_TIMEZONES = frozenset(available_timezones()) | {"UTC"}


def known_timezone(value: str) -> str:
    """``value`` if it names an IANA time zone (a store's, from an import or an update)."""
    if value not in _TIMEZONES:
        raise ValueError(f"{value!r} is not an IANA time zone")
    return value
