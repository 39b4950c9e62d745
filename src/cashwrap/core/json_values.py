"""Free-form JSON members (metadata, add-ons, configuration values) as the platform can keep them.

A schema types most members, but a free-form one takes whatever the JSON parser produced, and
Python's parser produces more than a JSON column stores or than the platform's encoder writes:
``NaN`` and ``Infinity`` (not JSON at all) and integers beyond 64 bits. Refused at the edge, with
the field's name, instead of failing when the value is hashed, stored or sent on.

And text in any JSON: :func:`unstorable_escape` finds the NUL characters and unpaired
surrogates a JSON text can escape (``"\\u0000"``), which PostgreSQL (NUL) and both databases
(surrogates) refuse to store — for the requests' edge and the catalog's import lines alike.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator

SMALLEST_INTEGER = -(2**63)
LARGEST_INTEGER = 2**64 - 1
MAX_DEPTH = 32
"""Levels of nesting a free-form member may have (the encoders stop at a few hundred)."""


def storable(value: Any) -> Any:
    """``value`` unchanged, or ValueError naming where it holds what no JSON column keeps."""
    pending: list[tuple[Any, str, int]] = [(value, "", 0)]
    while pending:  # a loop, not recursion: the parser allows deeper nesting than Python's stack
        current, where, depth = pending.pop()
        if isinstance(current, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise ValueError(f"nested deeper than {MAX_DEPTH} levels{_at(where)}")
            members = current.items() if isinstance(current, dict) else enumerate(current)
            pending.extend(
                (item, f"{where}.{key}" if where else str(key), depth + 1) for key, item in members
            )
        elif isinstance(current, bool) or current is None or isinstance(current, str):
            continue
        elif isinstance(current, int):
            if not SMALLEST_INTEGER <= current <= LARGEST_INTEGER:
                raise ValueError(f"integers must fit in 64 bits{_at(where)}")
        elif isinstance(current, float) and not math.isfinite(current):
            raise ValueError(f"numbers must be finite, not {current}{_at(where)}")
    return value


def _at(where: str) -> str:
    return f" (at {where})" if where else ""


UNSTORABLE_TEXT = (
    "the request carries a NUL character or an unpaired UTF-16 surrogate (\\u0000, \\ud800…): "
    "no field can hold one"
)
"""What a refusal of such text says (the platform's and the sandboxes')."""

_ESCAPE = re.compile(rb"(\\+)u([0-9a-fA-F]{4})")


_BINARY = (b"multipart/", b"application/octet-stream", b"application/zip")


def unstorable_target(path: str, query_string: bytes) -> bool:
    """Whether a request's path or query string carries a NUL."""
    return "\x00" in path or b"%00" in query_string


def body_kind(content_type: bytes | None) -> str | None:
    """``"form"`` for a URL-encoded form, None for a binary upload, else ``"json"``: FastAPI
    reads a body without a content type as JSON, and order injection reads any body."""
    if content_type is None:
        return "json"
    content_type = content_type.lower()
    if content_type.startswith(b"application/x-www-form-urlencoded"):
        return "form"
    return None if content_type.startswith(_BINARY) else "json"


def unstorable_body(kind: str, body: bytes) -> bool:
    """Whether a whole body of ``kind`` (:func:`body_kind`) carries text no database stores."""
    return unstorable_escape(body) if kind == "json" else b"%00" in body


def unstorable_escape(body: bytes) -> bool:
    """Whether the JSON text ``body`` escapes a NUL or a surrogate that is not half of a pair.

    An escape is a ``\\u`` after an odd number of backslashes (``\\\\u0000`` is a backslash and
    the text ``u0000``); a high surrogate must be followed at once by a low one."""
    if b"\\u" not in body:
        return False
    low_expected_at = -1
    for found in _ESCAPE.finditer(body):
        if len(found.group(1)) % 2 == 0:
            if low_expected_at != -1:
                return True
            continue
        escape_at = found.end(1) - 1
        code = int(found.group(2), 16)
        if low_expected_at != -1:
            if escape_at == low_expected_at and 0xDC00 <= code <= 0xDFFF:
                low_expected_at = -1
                continue
            return True
        if code == 0 or 0xDC00 <= code <= 0xDFFF:
            return True
        if 0xD800 <= code <= 0xDBFF:
            low_expected_at = found.end()
    return low_expected_at != -1


def storable_text(text: str) -> bool:
    """Whether ``text`` holds neither a NUL nor an unpaired surrogate (what a JSON parser hands
    over when ``unstorable_escape`` would have found one)."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def fitting_text(value: str, name: str, limit: int) -> str:
    """``value`` if it fits a column of ``limit`` characters and :func:`storable_text` holds,
    else ValueError: for texts another system answers and the platform keeps."""
    if len(value) > limit or not storable_text(value):
        raise ValueError(f"{name} is longer than {limit} characters or not storable text")
    return value


JsonValue = Annotated[Any, AfterValidator(storable)]
JsonObject = Annotated[dict[str, Any], AfterValidator(storable)]
