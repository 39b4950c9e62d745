"""RFC 9457 problem documents with the members NewStore's ``Problem`` definition adds.

Every error leaves the platform as ``application/problem+json``::

    {"type": "/problems/<error_code>", "title": "...", "status": 400, "detail": "...",
     "instance": "/path", "error_code": "...", "message": "...", "messages": ["..."],
     "request_id": "..."}

Domain code raises :class:`cashwrap.core.errors.DomainError`; this module is the only place that
turns an exception into a response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from cashwrap.core.errors import DomainError
from cashwrap.core.logs import request_id_var

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("cashwrap.api")


class RequestProblem(StarletteHTTPException):
    """A problem found while the request is read, below the routes (a middleware's
    ``receive``): FastAPI passes an HTTP exception raised there through its body parsing, where
    any other would become a bare "error parsing the body"."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(status, detail=message)
        self.error_code = error_code


def problem_body(
    *,
    status: int,
    error_code: str,
    message: str,
    messages: Sequence[str] | None = None,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{error_code}",
        "title": _title(status),
        "status": status,
        "detail": message,
        "error_code": error_code,
        "message": message,
        "messages": list(messages) if messages else [message],
        "request_id": request_id_var.get() or "",
    }
    if instance:
        body["instance"] = instance
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return body


def problem_response(
    *,
    status: int,
    error_code: str,
    message: str,
    messages: Sequence[str] | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    body = problem_body(
        status=status,
        error_code=error_code,
        message=message,
        messages=messages,
        instance=instance,
        extra=extra,
    )
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE
    )


def validation_messages(errors: Sequence[Any]) -> tuple[str, list[str], list[dict[str, Any]]]:
    """Name every offending field: ``shipments.0.items.0.price: Field required``."""
    error_code = "invalid_request"
    messages: list[str] = []
    fields: list[dict[str, Any]] = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body",)]
        field = ".".join(location) or "body"
        if error.get("type") == "json_invalid":
            error_code = "invalid_json"
            field = "body"
        text = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
        messages.append(f"{field}: {text}")
        fields.append({"field": field, "message": text, "type": error.get("type")})
    return error_code, messages, fields


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain_error(request: Request, exc: DomainError) -> JSONResponse:
        if exc.status >= 500:
            # Not the client's fault: the operator hears of it with its cause.
            logger.warning(
                "%s: %s",
                exc.error_code,
                exc.message,
                exc_info=exc,
                extra={"path": request.url.path},
            )
        return problem_response(
            status=exc.status,
            error_code=exc.error_code,
            message=exc.message,
            messages=exc.messages,
            instance=request.url.path,
            headers=exc.headers,
            extra=exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        error_code, messages, fields = validation_messages(exc.errors())
        return problem_response(
            status=400,
            error_code=error_code,
            message="; ".join(messages) or "The request is not valid",
            messages=messages,
            instance=request.url.path,
            extra={"errors": fields},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        error_code = getattr(exc, "error_code", None) or codes.get(
            exc.status_code, HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_")
        )
        detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No resource at {request.url.path}"
        return problem_response(
            status=exc.status_code,
            error_code=error_code,
            message=detail,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
