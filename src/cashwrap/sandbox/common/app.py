"""The runtime every sandbox app shares: one call of a contract operation, and the admin API.

A contract route hands its request to :meth:`Sandbox.serve` with the operation's name and the
function that does the work. ``serve`` then, in this order:

1. checks ``Authorization`` against the configured API key (``Bearer <key>`` or the bare key);
   a wrong or missing key is a 401 ``unauthorized`` problem;
2. claims the fault dialed for the operation, if any (see :mod:`.faults`) — skipped while no
   fault is dialed, which only this process can change;
3. for ``latency`` waits; for ``error`` answers the dialed problem and stops there;
4. unless a ``timeout``/``malformed`` fault says ``commit: false``, runs the work in **one
   transaction** together with the idempotency bookkeeping and the record of the call: a key
   already answered gets the stored answer back byte for byte, whatever the body says now;
   otherwise the work runs in a savepoint (a :class:`.SandboxProblem` rolls back what it wrote)
   and its answer is stored under the key in the same transaction. Two concurrent calls with one
   key: on SQLite the second waits for the first; on PostgreSQL the loser's insert of the key
   fails, its work is rolled back and it answers with the winner's stored answer;
5. answers: normally, garbled (``malformed``, recorded as garbled), or after holding it
   (``timeout``: the call is already recorded, so a test sees it while the caller still waits),
   giving up early when the caller hangs up.

On SQLite the sandbox's transactions take turns on an in-process lock (see
:meth:`Sandbox.transaction`).

The admin API (``/_sandbox``) uses the same API key and is not recorded.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from sqlalchemy import MetaData, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException

from cashwrap.core import clock
from cashwrap.core.ids import new_id
from cashwrap.core.json_values import (
    UNSTORABLE_TEXT,
    body_kind,
    unstorable_body,
    unstorable_target,
)
from cashwrap.core.uow import Database
from cashwrap.sandbox.common import database as tables
from cashwrap.sandbox.common import faults
from cashwrap.sandbox.common.problems import (
    PROBLEM_MEDIA_TYPE,
    SandboxProblem,
    problem_body,
    validation_messages,
)

M = TypeVar("M", bound=BaseModel)
logger = logging.getLogger("cashwrap.sandbox")

DEFAULT_API_KEY = "cashwrap-sandbox-key"
ADMIN_PREFIX = "/_sandbox"
MAX_IDEMPOTENCY_KEY = 256


@dataclass(frozen=True)
class Operation:
    """One operation of the contract a sandbox implements; ``declines`` are its decline codes."""

    name: str
    description: str
    declines: tuple[str, ...] = ()
    decline_status: int = 422


@dataclass(frozen=True)
class SettingSpec:
    """A tunable of a sandbox (``GET/PUT /_sandbox/settings``), validated against ``type``."""

    name: str
    type: Any
    default: Any
    description: str


@dataclass(frozen=True)
class SandboxSpec:
    name: str
    title: str
    operations: tuple[Operation, ...]
    settings: tuple[SettingSpec, ...] = ()
    metadata: MetaData | None = None
    # The problem code of a body the contract cannot take (the PSP speaks ``failed_command``).
    invalid_request_code: str = "invalid_request"

    def operation(self, name: str) -> Operation:
        for operation in self.operations:
            if operation.name == name:
                return operation
        raise KeyError(name)


@dataclass(frozen=True)
class Answer:
    """What a sandbox sends back: status, media type, the exact body bytes, headers."""

    status: int
    body: str
    media_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)

    def response(self) -> Response:
        return Response(
            content=self.body.encode(),
            status_code=self.status,
            media_type=self.media_type,
            headers=dict(self.headers),
        )


def ok(body: Any, *, status: int = 200, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(status=status, body=_dumps(body), headers=dict(headers or {}))


def problem_answer(problem: SandboxProblem, request_id: str) -> Answer:
    return Answer(
        status=problem.status,
        body=_dumps(problem.body(request_id)),
        media_type=PROBLEM_MEDIA_TYPE,
        headers=problem.headers,
    )


IdempotencySource = Callable[[Request, Any], str | None]


def key_in_body(name: str = "idempotency_key") -> IdempotencySource:
    """The idempotency key is a string member of the JSON body (the payment provider contract)."""

    def extract(_request: Request, body: Any) -> str | None:
        value = body.get(name) if isinstance(body, dict) else None
        return value if isinstance(value, str) and 0 < len(value) <= MAX_IDEMPOTENCY_KEY else None

    return extract


def key_in_header(name: str = "Idempotency-Key") -> IdempotencySource:
    """The idempotency key travels in a header (cashwrap's shipping provider contract)."""

    def extract(request: Request, _body: Any) -> str | None:
        value = request.headers.get(name)
        return value if value and len(value) <= MAX_IDEMPOTENCY_KEY else None

    return extract


@dataclass
class Call:
    """What an operation's work sees: the parsed body, its session, the decline to play, if any."""

    operation: Operation
    request: Request
    body: Any
    session: AsyncSession
    sandbox: Sandbox
    idempotency_key: str | None
    decline: faults.ActiveFault | None
    request_id: str

    def parse(self, model: type[M]) -> M:
        """Validate the JSON body against the operation's schema (400 naming each field)."""
        try:
            return model.model_validate(self.body)
        except ValidationError as error:
            messages = validation_messages(error.errors())
            raise SandboxProblem(
                400,
                self.sandbox.spec.invalid_request_code,
                "; ".join(messages),
                messages=messages,
            ) from None

    def declined(self, **extra: Any) -> SandboxProblem:
        """The problem of the dialed decline (call only when :attr:`decline` is set)."""
        assert self.decline is not None
        return SandboxProblem(
            self.decline.status, self.decline.error_code, self.decline.message, extra=extra
        )

    async def setting(self, name: str) -> Any:
        return await self.sandbox.setting(self.session, name)


Work = Callable[[Call], Awaitable[Answer]]


class Sandbox:
    """A running sandbox: its spec, its database and its API key."""

    def __init__(self, spec: SandboxSpec, *, database_url: str, api_key: str) -> None:
        if not api_key:
            raise ValueError("a sandbox needs an API key")
        self.spec = spec
        self.database_url = database_url
        self.api_key = api_key
        self._database: Database | None = None
        self._serial: asyncio.Lock | None = None
        # Whether a call must look for a dialed fault. Only this process dials faults (through
        # its admin API), so it knows when there are none and spares each call a transaction.
        self._faults_dialed = True
        self._settings = {setting.name: setting for setting in spec.settings}

    @property
    def metadatas(self) -> list[MetaData]:
        own = [self.spec.metadata] if self.spec.metadata is not None else []
        return [tables.CommonBase.metadata, *own]

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError(f"sandbox {self.spec.name} is not started")
        return self._database

    async def start(self) -> None:
        self._database = Database(self.database_url, pool_size=5)
        self._serial = asyncio.Lock() if self._database.is_sqlite else None
        await tables.create_tables(self._database, self.metadatas)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One transaction of the sandbox's database.

        On SQLite the sandbox's own transactions take turns in-process: SQLite has one writer,
        and connections that contend for it sleep in its busy handler (p99 of seconds under 16
        concurrent calls); queueing on a lock costs only the work itself. A sandbox is a single
        process, so the lock is enough.
        """
        if self._serial is None:
            async with self.database.transaction() as session:
                yield session
            return
        async with self._serial, self.database.transaction() as session:
            yield session

    async def stop(self) -> None:
        if self._database is not None:
            await self._database.dispose()
            self._database = None

    def authorized(self, request: Request) -> bool:
        given = request.headers.get("authorization", "")
        if given[:7].lower() == "bearer ":
            given = given[7:]
        return hmac.compare_digest(given.strip().encode(), self.api_key.encode())

    async def setting(self, session: AsyncSession, name: str) -> Any:
        spec = self._settings[name]
        row = await session.get(tables.Setting, name)
        return spec.default if row is None else row.value

    async def serve(
        self,
        request: Request,
        operation: str,
        work: Work,
        *,
        idempotency: IdempotencySource | None = None,
    ) -> Response:
        """Answer one call of a contract operation (see the module docstring for the steps)."""
        started = time.monotonic()
        received_at = clock.now()
        spec = self.spec.operation(operation)
        request_id = request.headers.get("x-request-id") or new_id()
        raw = await request.body()
        body, parsed = _loads(raw)
        key = idempotency(request, body) if idempotency is not None and parsed else None
        record = _Record(
            operation=operation,
            method=request.method,
            path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            idempotency_key=key,
            request_body=raw.decode("utf-8", "replace"),
            received_at=received_at,
            started=started,
        )
        headers = {"X-Request-ID": request_id}

        if not self.authorized(request):
            problem = SandboxProblem(401, "unauthorized", "Missing or wrong API key")
            refused = _with_headers(problem_answer(problem, request_id), headers)
            await self._record(record, refused, authorized=False)
            return refused.response()

        fault = None
        if self._faults_dialed:
            async with self.transaction() as session:
                fault = await faults.claim(session, operation)
                self._faults_dialed = await faults.any_dialed(session)
        kind = fault.kind if fault is not None else None

        if fault is not None and fault.kind == "latency":
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault is not None and fault.kind == "error":
            extra_headers = dict(headers)
            if fault.retry_after is not None:
                extra_headers["Retry-After"] = str(fault.retry_after)
            # Retry-After also as a member: some transports keep no response headers.
            extra = {"retry_after": fault.retry_after} if fault.retry_after is not None else {}
            problem = SandboxProblem(
                fault.status, fault.error_code, fault.message, extra=extra, store=False
            )
            failed = _with_headers(problem_answer(problem, request_id), extra_headers)
            await self._record(record, failed, fault=kind)
            return failed.response()

        answer: Answer | None = None
        replayed = False
        if fault is None or fault.kind not in ("timeout", "malformed") or fault.commit:
            decline = fault if fault is not None and fault.kind == "decline" else None
            # The call is recorded with the work, in its transaction, unless the answer the
            # caller gets is not the work's (malformed).
            recorded = None if kind == "malformed" else record
            try:
                answer, replayed = await self._run(
                    spec, request, body, parsed, key, decline, request_id, work, recorded, kind
                )
            except Exception:
                # A bug of the sandbox still answers in the contract's words, and is recorded.
                logger.exception("sandbox operation failed", extra={"operation": operation})
                bug = SandboxProblem(500, "internal_error", "The sandbox failed", store=False)
                answer = problem_answer(bug, request_id)
                await self._record(record, answer, fault=kind)
            answer = _with_headers(answer, headers)

        if fault is not None and fault.kind == "malformed":
            garbled = Answer(
                status=fault.status, body=fault.body, media_type=fault.media_type, headers=headers
            )
            await self._record(record, garbled, fault=kind, replayed=replayed)
            return garbled.response()
        if fault is not None and fault.kind == "timeout":
            held = answer
            if held is None:
                problem = SandboxProblem(
                    504, "retry_error", "The sandbox held the answer", store=False
                )
                held = _with_headers(problem_answer(problem, request_id), headers)
                await self._record(record, held, fault=kind)
            await _hold(request, fault.delay_ms)
            return held.response()
        assert answer is not None
        return answer.response()

    async def _run(
        self,
        spec: Operation,
        request: Request,
        body: Any,
        parsed: bool,
        key: str | None,
        decline: faults.ActiveFault | None,
        request_id: str,
        work: Work,
        record: _Record | None,
        fault: str | None,
    ) -> tuple[Answer, bool]:
        for _attempt in range(3):
            try:
                async with self.transaction() as session:
                    if key is not None:
                        stored = await session.get(tables.StoredReply, key)
                        if stored is not None:
                            replay = _from_stored(stored)
                            if record is not None:
                                session.add(_call_row(record, replay, fault=fault, replayed=True))
                            return replay, True
                    store = True
                    try:
                        async with session.begin_nested():
                            if not parsed:
                                raise SandboxProblem(
                                    400,
                                    self.spec.invalid_request_code,
                                    "body: not a JSON document",
                                )
                            call = Call(
                                operation=spec,
                                request=request,
                                body=body,
                                session=session,
                                sandbox=self,
                                idempotency_key=key,
                                decline=decline,
                                request_id=request_id,
                            )
                            answer = await work(call)
                    except SandboxProblem as problem:
                        answer = problem_answer(problem, request_id)
                        store = problem.store
                    if key is not None and store:
                        session.add(
                            tables.StoredReply(
                                idempotency_key=key,
                                operation=spec.name,
                                status=answer.status,
                                media_type=answer.media_type,
                                body=answer.body,
                                headers=dict(answer.headers),
                                created_at=clock.now(),
                            )
                        )
                    if record is not None:
                        session.add(_call_row(record, answer, fault=fault, replayed=False))
                return answer, False
            except IntegrityError:
                # A concurrent call with the same key committed first: answer with its answer.
                if key is None:
                    raise
        raise RuntimeError(f"idempotency key {key!r} could not be settled")

    async def _record(
        self,
        record: _Record,
        answer: Answer,
        *,
        authorized: bool = True,
        fault: str | None = None,
        replayed: bool = False,
    ) -> None:
        async with self.transaction() as session:
            session.add(
                _call_row(record, answer, authorized=authorized, fault=fault, replayed=replayed)
            )

    def faults_changed(self) -> None:
        """Note that a fault was dialed, so that calls look for faults again."""
        self._faults_dialed = True


@dataclass(frozen=True)
class _Record:
    operation: str
    method: str
    path: str
    idempotency_key: str | None
    request_body: str
    received_at: datetime
    started: float


def _call_row(
    record: _Record,
    answer: Answer,
    *,
    authorized: bool = True,
    fault: str | None = None,
    replayed: bool = False,
) -> tables.CallRecord:
    return tables.CallRecord(
        operation=record.operation,
        method=record.method,
        path=record.path,
        idempotency_key=record.idempotency_key,
        authorized=authorized,
        request_body=record.request_body,
        status=answer.status,
        response_body=answer.body,
        fault=fault,
        replayed=replayed,
        received_at=record.received_at,
        duration_ms=int((time.monotonic() - record.started) * 1000),
    )


def _from_stored(stored: tables.StoredReply) -> Answer:
    return Answer(
        status=stored.status,
        body=stored.body,
        media_type=stored.media_type,
        headers=dict(stored.headers),
    )


def _with_headers(answer: Answer, headers: Mapping[str, str]) -> Answer:
    return Answer(answer.status, answer.body, answer.media_type, {**answer.headers, **headers})


async def _hold(request: Request, delay_ms: int) -> None:
    """Wait ``delay_ms`` before answering, or less if the caller hangs up first."""
    deadline = time.monotonic() + delay_ms / 1000
    while (remaining := deadline - time.monotonic()) > 0:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(0.05, remaining))


def _loads(raw: bytes) -> tuple[Any, bool]:
    if not raw.strip():
        return None, True
    try:
        return json.loads(raw), True
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, False


def _dumps(body: Any) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _parse_json_text(text: str) -> Any:
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return text


# --- the FastAPI app and its admin API -------------------------------------------------------


def current_sandbox(request: Request) -> Sandbox:
    sandbox: Sandbox = request.app.state.sandbox
    return sandbox


def require_admin(request: Request) -> None:
    if not current_sandbox(request).authorized(request):
        raise SandboxProblem(401, "unauthorized", "Missing or wrong API key")


CurrentSandbox = Annotated[Sandbox, Depends(current_sandbox)]
admin = APIRouter(
    prefix=ADMIN_PREFIX, tags=["sandbox admin"], dependencies=[Depends(require_admin)]
)


@admin.get("")
async def describe_sandbox(sandbox: CurrentSandbox) -> dict[str, Any]:
    """The sandbox's operations (with the declines each can play), settings and fault kinds."""
    async with sandbox.transaction() as session:
        settings = {s.name: await sandbox.setting(session, s.name) for s in sandbox.spec.settings}
    return {
        "name": sandbox.spec.name,
        "title": sandbox.spec.title,
        "operations": [
            {"name": op.name, "description": op.description, "declines": list(op.declines)}
            for op in sandbox.spec.operations
        ],
        "fault_kinds": ["latency", "error", "timeout", "malformed", "decline"],
        "settings": settings,
    }


@admin.get("/faults")
async def list_faults(sandbox: CurrentSandbox) -> dict[str, Any]:
    async with sandbox.transaction() as session:
        rows = (await session.scalars(select(tables.Fault).order_by(tables.Fault.operation))).all()
        return {"faults": [faults.describe(row) for row in rows]}


@admin.put("/faults/{operation}")
async def dial_fault(
    operation: str, dial: faults.FaultDial, sandbox: CurrentSandbox
) -> dict[str, Any]:
    """Dial a fault for an operation (``*`` for all); replaces the one dialed before."""
    if operation == faults.EVERY_OPERATION:
        declines: Sequence[str] = ()
        decline_status = 422
    else:
        try:
            declines = sandbox.spec.operation(operation).declines
            decline_status = sandbox.spec.operation(operation).decline_status
        except KeyError:
            known = ", ".join(op.name for op in sandbox.spec.operations)
            raise SandboxProblem(
                404, "not_found", f"No operation {operation!r}; this sandbox has: {known}"
            ) from None
    params = faults.normalize(
        dial, operation=operation, declines=declines, decline_status=decline_status
    )
    async with sandbox.transaction() as session:
        row = await faults.dial(session, operation, dial.kind, params, dial.times)
        described = faults.describe(row)
    sandbox.faults_changed()
    return described


@admin.delete("/faults/{operation}", status_code=204)
async def clear_fault(operation: str, sandbox: CurrentSandbox) -> Response:
    async with sandbox.transaction() as session:
        await session.execute(delete(tables.Fault).where(tables.Fault.operation == operation))
    return Response(status_code=204)


@admin.delete("/faults", status_code=204)
async def clear_faults(sandbox: CurrentSandbox) -> Response:
    async with sandbox.transaction() as session:
        await session.execute(delete(tables.Fault))
    return Response(status_code=204)


@admin.get("/calls")
async def list_calls(
    sandbox: CurrentSandbox,
    operation: str | None = None,
    after: Annotated[int, Query(ge=0, description="Only calls with a larger sequence")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """The calls received, oldest first; page with ``after`` = the last ``sequence`` seen."""
    query = select(tables.CallRecord).where(tables.CallRecord.sequence > after)
    if operation is not None:
        query = query.where(tables.CallRecord.operation == operation)
    query = query.order_by(tables.CallRecord.sequence).limit(limit)
    async with sandbox.transaction() as session:
        rows = (await session.scalars(query)).all()
        return {
            "calls": [
                {
                    "sequence": row.sequence,
                    "operation": row.operation,
                    "method": row.method,
                    "path": row.path,
                    "idempotency_key": row.idempotency_key,
                    "authorized": row.authorized,
                    "request": _parse_json_text(row.request_body),
                    "status": row.status,
                    "response": _parse_json_text(row.response_body),
                    "fault": row.fault,
                    "replayed": row.replayed,
                    "received_at": clock.isoformat(clock.as_utc(row.received_at)),
                    "duration_ms": row.duration_ms,
                }
                for row in rows
            ]
        }


@admin.delete("/calls", status_code=204)
async def clear_calls(sandbox: CurrentSandbox) -> Response:
    async with sandbox.transaction() as session:
        await session.execute(delete(tables.CallRecord))
    return Response(status_code=204)


@admin.get("/settings")
async def read_settings(sandbox: CurrentSandbox) -> dict[str, Any]:
    async with sandbox.transaction() as session:
        return {
            "settings": {
                spec.name: await sandbox.setting(session, spec.name)
                for spec in sandbox.spec.settings
            }
        }


@admin.put("/settings")
async def change_settings(values: dict[str, Any], sandbox: CurrentSandbox) -> dict[str, Any]:
    """Change some settings; ``null`` puts one back to its default. All or nothing."""
    specs = {spec.name: spec for spec in sandbox.spec.settings}
    unknown = sorted(set(values) - set(specs))
    if unknown:
        raise SandboxProblem(
            400,
            "invalid_request",
            f"unknown setting(s): {', '.join(unknown)}",
            messages=[f"{name}: not a setting of this sandbox" for name in unknown],
        )
    checked: dict[str, Any] = {}
    messages: list[str] = []
    for name, value in values.items():
        if value is None:
            checked[name] = None
            continue
        try:
            checked[name] = TypeAdapter(specs[name].type).validate_python(value, strict=True)
        except ValidationError as error:
            messages += [f"{name}: {m}" for m in validation_messages(error.errors())]
    if messages:
        raise SandboxProblem(400, "invalid_request", "; ".join(messages), messages=messages)
    async with sandbox.transaction() as session:
        for name, value in checked.items():
            row = await session.get(tables.Setting, name)
            if value is None:
                if row is not None:
                    await session.delete(row)
            elif row is None:
                session.add(tables.Setting(name=name, value=value))
            else:
                row.value = value
    return await read_settings(sandbox)


@admin.post("/reset", status_code=204)
async def reset(sandbox: CurrentSandbox) -> Response:
    """Forget everything: business state, idempotent answers, faults, calls and settings."""
    async with sandbox.transaction() as session:
        await tables.delete_all_rows(session, sandbox.metadatas)
    return Response(status_code=204)


def create_sandbox_app(sandbox: Sandbox, routers: Sequence[APIRouter]) -> FastAPI:
    """A FastAPI app serving ``routers`` (the contract), the admin API and ``/health``."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sandbox.start()
        try:
            yield
        finally:
            await sandbox.stop()

    app = FastAPI(
        title=f"cashwrap sandbox: {sandbox.spec.title}",
        summary="A stand-in for another system, reached over HTTP; faults can be dialed.",
        lifespan=lifespan,
        dependencies=[Depends(_storable_text)],
    )
    app.state.sandbox = sandbox

    @app.get("/health", tags=["sandbox admin"])
    async def health() -> dict[str, str]:
        return {"status": "ok", "sandbox": sandbox.spec.name}

    for router in routers:
        app.include_router(router)
    app.include_router(admin)
    _install_problems(app)
    return app


async def _storable_text(request: Request) -> None:
    """400 ``invalid_characters`` for a NUL in the path or the query, or a NUL or an unpaired
    surrogate escaped in the body — text the sandbox's database (PostgreSQL above all) cannot
    store — before anything is recorded, as the platform refuses it (``api.text_guard``)."""
    scope = request.scope
    refused = unstorable_target(scope["path"], scope.get("query_string", b""))
    if not refused and request.method in ("POST", "PUT", "PATCH"):
        content_type = request.headers.get("content-type")
        kind = body_kind(content_type.encode("latin-1") if content_type is not None else None)
        # FastAPI has read the body already: no second read.
        refused = kind is not None and unstorable_body(kind, await request.body())
    if refused:
        raise SandboxProblem(400, "invalid_characters", UNSTORABLE_TEXT, store=False)


def _install_problems(app: FastAPI) -> None:
    @app.exception_handler(SandboxProblem)
    async def _problem(request: Request, exc: SandboxProblem) -> Response:
        return problem_answer(exc, request.headers.get("x-request-id", "")).response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        messages = validation_messages(
            [{**e, "loc": [p for p in e.get("loc", ()) if p != "body"]} for e in exc.errors()]
        )
        body = problem_body(400, "invalid_request", "; ".join(messages), messages=messages)
        return JSONResponse(body, status_code=400, media_type=PROBLEM_MEDIA_TYPE)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized"}
        code = codes.get(exc.status_code, "invalid_request")
        detail = exc.detail if isinstance(exc.detail, str) else "error"
        if exc.status_code == 404:
            detail = f"No resource at {request.url.path}"
        body = problem_body(exc.status_code, code, detail)
        return JSONResponse(body, status_code=exc.status_code, media_type=PROBLEM_MEDIA_TYPE)
