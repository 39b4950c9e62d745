"""``filter_conditions`` of an integration: which events it receives.

NewStore's exact filter schema was not published; cashwrap accepts::

    {"event_names": ["order.created", "fulfillment_request.*"]}

Each entry is an event name of the catalog or a ``<entity>.*`` pattern for every event of that
entity. No ``filter_conditions`` (or an empty object) means every event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cashwrap.events.catalog import EVENT_NAMES

ENTITY_PREFIXES = frozenset(name.split(".", 1)[0] for name in EVENT_NAMES)


@dataclass(frozen=True)
class EventFilter:
    names: frozenset[str] | None = None
    prefixes: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, conditions: dict[str, Any] | None) -> EventFilter:
        """Read stored conditions (already validated by :func:`validate`)."""
        if not conditions or not conditions.get("event_names"):
            return cls()
        patterns = [str(entry) for entry in conditions["event_names"]]
        names = frozenset(p for p in patterns if not p.endswith(".*"))
        prefixes = frozenset(p[:-1] for p in patterns if p.endswith(".*"))
        return cls(names=names, prefixes=prefixes)

    def accepts(self, name: str) -> bool:
        if self.names is None:
            return True
        return name in self.names or any(name.startswith(prefix) for prefix in self.prefixes)


def validate(conditions: dict[str, Any] | None) -> list[str]:
    """Messages naming what is wrong with ``conditions`` (empty: they are valid)."""
    if conditions is None:
        return []
    problems = [
        f"filter_conditions.{key}: unknown filter (supported: event_names)"
        for key in conditions
        if key != "event_names"
    ]
    entries = conditions.get("event_names")
    if entries is None:
        return problems
    if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
        return [*problems, "filter_conditions.event_names: must be a list of event names"]
    for index, entry in enumerate(entries):
        if entry in EVENT_NAMES:
            continue
        if entry.endswith(".*") and entry[:-2] in ENTITY_PREFIXES:
            continue
        problems.append(
            f"filter_conditions.event_names.{index}: {entry!r} is not an event name of the "
            "catalog (GET /v0/event-stream/schemas) nor an '<entity>.*' pattern"
        )
    return problems
