"""Versioned documents: preconditions, the one write path, secrets, and input validation.

Every configuration write goes through :func:`write`: lock the document, check the caller's
precondition (``If-Match`` → 412, ``?version=`` → 409 ``conflict_version``), compute and
validate the new value, then ``UPDATE … WHERE version = :read``. A rejected value raises before
anything is written, and the entry point never commits a failed request, so bad input leaves the
stored document exactly as it was.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cashwrap.config import repository
from cashwrap.config.repository import StoredDocument
from cashwrap.config.schemas import REDACTED
from cashwrap.config.service import kept
from cashwrap.core import clock
from cashwrap.core.errors import Conflict, InvalidInput, PreconditionFailed
from cashwrap.core.json_values import storable

ModelT = TypeVar("ModelT", bound=BaseModel)
SecretPath = tuple[str, ...]


@dataclass(frozen=True)
class Precondition:
    """What the caller believes the current document is.

    ``if_match`` is an ``If-Match`` header (strong entity tags, ``*`` = "is set"); ``version``
    is the order-injection ``?version=`` (the latest version, or 1 before the first write).
    ``if_match_when_unset`` False ignores ``If-Match`` while the document is not set (the
    routing ruleset's initial seeding).
    """

    if_match: str | None = None
    version: str | None = None
    if_match_when_unset: bool = True


NO_PRECONDITION = Precondition()


@dataclass(frozen=True)
class Snapshot:
    """A document as an API shows it: its wire body (secrets redacted) and its version."""

    body: Any
    version: int
    updated_at: datetime | None
    updated_by: str | None

    @property
    def etag(self) -> str:
        return etag(self.version)

    @property
    def updated_at_text(self) -> str | None:
        return None if self.updated_at is None else clock.isoformat(self.updated_at)


def etag(version: int) -> str:
    return f'"{version}"'


def etag_matches(header: str, stored: StoredDocument) -> bool:
    """RFC 9110 ``If-Match``: ``*`` matches a set document; weak tags never match."""
    for candidate in (part.strip() for part in header.split(",")):
        if candidate == "*":
            if stored.is_set:
                return True
            continue
        if candidate.startswith("W/"):
            continue
        if candidate.strip('"') == str(stored.version):
            return True
    return False


def check_precondition(precondition: Precondition, stored: StoredDocument, what: str) -> None:
    if precondition.version is not None:
        version = precondition.version
        if not (version.isascii() and version.isdigit() and len(version) <= 18):
            raise InvalidInput(
                "version: must be a positive integer (the version from GET, or 1)",
                code="invalid_request",
            )
        if int(precondition.version) != stored.version:
            raise Conflict(
                "The version is out of date",
                code="conflict_version",
                extra={"current_version": str(stored.version)},
            )
    if precondition.if_match is not None:
        if not stored.is_set and not precondition.if_match_when_unset:
            return
        if not etag_matches(precondition.if_match, stored):
            raise PreconditionFailed(
                f"If-Match {precondition.if_match} does not match the current {what} "
                f"(ETag {etag(stored.version)}); it was changed by another request. "
                "GET it again and retry with the new ETag",
                code="etag_mismatch",
                extra={"current_etag": etag(stored.version)},
            )


async def read(session: AsyncSession, tenant: str, name: str) -> StoredDocument:
    return await repository.read(session, tenant, name)


async def write(
    session: AsyncSession,
    tenant: str,
    name: str,
    compute: Callable[[StoredDocument], Any],
    *,
    precondition: Precondition,
    updated_by: str,
    what: str,
) -> StoredDocument:
    """Replace document ``name`` by ``compute(current)``; exactly one of racing writers wins.

    ``compute`` validates and returns the new value (None unsets the document); raising from it
    leaves the document untouched. Idempotency: writing the same value twice is two versions.
    """
    current = await repository.lock(session, tenant, name)
    check_precondition(precondition, current, what)
    value = compute(current)
    try:
        # Whatever the document's schema let through (an integer beyond 64 bits in a member
        # typed int) must still fit a JSON column: refused here, not by the encoder.
        storable(value)
    except ValueError as error:
        raise InvalidInput(f"{what}: {error}", code="invalid_request") from None
    kept.changing(session)
    saved = await repository.save(
        session, tenant, name, value, read_version=current.version, updated_by=updated_by
    )
    if saved is None:
        raise Conflict(
            f"the {what} was changed concurrently; read it again and retry",
            code="concurrent_modification",
        )
    return saved


# --- validation ------------------------------------------------------------------------------


def parse(model: type[ModelT], data: Any, *, prefix: str = "") -> ModelT:
    """Validate ``data`` against ``model``; errors name every field, as request errors do."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_from(error, prefix=prefix) from None


def invalid_from(error: ValidationError, *, prefix: str = "") -> InvalidInput:
    messages: list[str] = []
    fields: list[dict[str, Any]] = []
    for item in error.errors():
        location = [prefix] if prefix else []
        location += [str(part) for part in item.get("loc", ())]
        field = ".".join(location) or "body"
        text = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
        messages.append(f"{field}: {text}")
        fields.append({"field": field, "message": text, "type": item.get("type")})
    return InvalidInput(
        "; ".join(messages), code="invalid_request", messages=messages, extra={"errors": fields}
    )


def problems_error(problems: Sequence[tuple[str, str]]) -> InvalidInput:
    """One 400 naming every problem; its ``error_code`` is the first problem's."""
    code, first = problems[0]
    messages = [message for _, message in problems]
    return InvalidInput(
        first if len(messages) == 1 else "; ".join(messages), code=code, messages=messages
    )


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge recursively, ``null`` removes a member."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


# --- secrets ---------------------------------------------------------------------------------


def _get(value: Any, path: SecretPath) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _set(value: Any, path: SecretPath, secret: Any) -> None:
    for key in path[:-1]:
        value = value.get(key) if isinstance(value, dict) else None
    if isinstance(value, dict) and path[-1] in value:
        value[path[-1]] = secret


def redacted(value: Any, paths: Sequence[SecretPath]) -> Any:
    """A copy of ``value`` where every secret that is set reads ``REDACTED``."""
    result = copy.deepcopy(value)
    for path in paths:
        if _get(result, path) is not None:
            _set(result, path, REDACTED)
    return result


def keep_secrets(new: Any, stored: Any, paths: Sequence[SecretPath]) -> Any:
    """Replace ``REDACTED`` in ``new`` by the stored secret; refuse it if none is stored."""
    for path in paths:
        if _get(new, path) != REDACTED:
            continue
        secret = _get(stored, path)
        if secret is None:
            field = ".".join(path)
            raise InvalidInput(
                f"{field}: {REDACTED} stands for the stored secret, but none is stored; "
                "send the secret itself",
                code="redacted_secret_unknown",
            )
        _set(new, path, secret)
    return new


def snapshot(stored: StoredDocument, body: Any) -> Snapshot:
    return Snapshot(body, stored.version, stored.updated_at, stored.updated_by)
