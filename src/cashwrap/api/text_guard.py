"""Refuse text no database can store before any of it is used: NUL characters and unpaired
UTF-16 surrogates.

JSON can carry both (``"\\u0000"``, ``"\\ud800"``) and Python decodes them into ``str``, but
PostgreSQL refuses a NUL in any text and neither database accepts a lone surrogate, so such a
value would fail deep inside a transaction — after a payment provider or a carrier was already
asked. One check at the edge covers every field, every operation and both databases: the path,
the query string, and the body as it is read (JSON escapes; ``%00`` in a form).

Bodies are checked as the application reads them, without buffering them here: the problem is
raised from ``receive`` as an HTTP exception, which FastAPI passes through its body parsing
unchanged and :mod:`cashwrap.api.problems` answers as ``400 invalid_characters``.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cashwrap.api.problems import RequestProblem, problem_response
from cashwrap.core.json_values import (
    UNSTORABLE_TEXT,
    body_kind,
    unstorable_body,
    unstorable_target,
)

ERROR_CODE = "invalid_characters"
MESSAGE = UNSTORABLE_TEXT


class TextGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if unstorable_target(scope["path"], scope.get("query_string", b"")):
            refused = problem_response(
                status=400, error_code=ERROR_CODE, message=MESSAGE, instance=scope["path"]
            )
            await refused(scope, receive, send)
            return
        kind = body_kind(_content_type(scope))
        if kind is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def checked_receive() -> Message:
            message = await receive()
            if message["type"] != "http.request":
                return message
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
                chunks.clear()
                if unstorable_body(kind, body):
                    raise RequestProblem(400, ERROR_CODE, MESSAGE)
            return message

        await self.app(scope, checked_receive, send)


def _content_type(scope: Scope) -> bytes | None:
    """The request's content type; None when it sends none."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return bytes(value)
    return None
