"""Free-form JSON members (metadata, add-ons, configuration values) as the platform can keep them.

A schema types most members, but a free-form one takes whatever the JSON parser produced, and
Python's parser produces more than a JSON column stores or than the platform's encoder writes:
``NaN`` and ``Infinity`` (not JSON at all) and integers beyond 64 bits. Refused at the edge, with
the field's name, instead of failing when the value is hashed, stored or sent on.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator

SMALLEST_INTEGER = -(2**63)
LARGEST_INTEGER = 2**64 - 1


def storable(value: Any) -> Any:
    """``value`` unchanged, or ValueError naming what no JSON column can keep."""
    pending = [value]
    while pending:  # a loop, not recursion: the parser allows deeper nesting than Python's stack
        current = pending.pop()
        if isinstance(current, dict):
            pending.extend(current.values())
        elif isinstance(current, list | tuple):
            pending.extend(current)
        elif isinstance(current, bool) or current is None or isinstance(current, str):
            continue
        elif isinstance(current, int):
            if not SMALLEST_INTEGER <= current <= LARGEST_INTEGER:
                raise ValueError("integers must fit in 64 bits")
        elif isinstance(current, float) and not math.isfinite(current):
            raise ValueError(f"numbers must be finite, not {current}")
    return value


JsonValue = Annotated[Any, AfterValidator(storable)]
JsonObject = Annotated[dict[str, Any], AfterValidator(storable)]
