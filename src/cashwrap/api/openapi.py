"""The OpenAPI document as tools can read it: every ``$ref`` points inside the document.

A body described by hand (``openapi_extra``: order injection reads its raw body itself, so
FastAPI does not validate it) carries Pydantic's schema, whose nested models sit in ``$defs``
and are referenced (``$ref``, discriminator mappings) as ``#/$defs/…`` — from the root of the
document, where they are not. They are moved to ``components/schemas``, where FastAPI puts
every other model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

_LOCAL = "#/$defs/"
_COMPONENTS = "#/components/schemas/"


def install(app: FastAPI) -> None:
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()
        hoist_definitions(document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def hoist_definitions(document: dict[str, Any]) -> None:
    """Move every ``$defs`` of the document to ``components/schemas`` and point its references
    there. Idempotent: FastAPI caches the document and this runs on every request for it."""
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    pending: list[Any] = [document]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for name, schema in node.pop("$defs", {}).items():
                schemas.setdefault(name, schema)
                pending.append(schema)
            _repoint(node, "$ref")
            mapping = node.get("discriminator", {}).get("mapping", {})
            for tag in mapping:
                _repoint(mapping, tag)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)


def _repoint(node: dict[str, Any], key: str) -> None:
    reference = node.get(key)
    if isinstance(reference, str) and reference.startswith(_LOCAL):
        node[key] = _COMPONENTS + reference.removeprefix(_LOCAL)
