"""The sandbox PSP: create financial instrument (authorize), capture, refund, revoke, read.

Every operation carries an ``idempotency_key`` in its body; the answer to a key is stored with the
operation's effects in one transaction and given back unchanged for any later call with that key,
whatever its body (the contract's rule). Transient answers dialed through the admin API (500, 503,
429) are not stored, so a retry with the same key goes through once the fault is gone.

Declines can be dialed per operation (``PUT /_sandbox/faults/capture {"kind": "decline",
"error_code": "fraud_error"}``) or asked for by the instrument's ``token``: ``tok_instrument_error``
declines, ``tok_fraud_error`` is fraud (the PSP voids the instrument, as documented).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import func, select

from cashwrap.core import clock, money
from cashwrap.core.errors import InvalidInput
from cashwrap.core.ids import new_id
from cashwrap.sandbox.common.app import (
    DEFAULT_API_KEY,
    Answer,
    Call,
    CurrentSandbox,
    Operation,
    Sandbox,
    SandboxSpec,
    create_sandbox_app,
    key_in_body,
    ok,
    problem_answer,
)
from cashwrap.sandbox.common.problems import SandboxProblem
from cashwrap.sandbox.psp import schemas
from cashwrap.sandbox.psp.models import Instrument, PspBase, Transaction

DECLINES = ("instrument_error", "fraud_error")
# Tokens that make the sandbox decline without any dialing (per payment, so tests can share it).
DECLINE_TOKENS = {"tok_instrument_error": "instrument_error", "tok_fraud_error": "fraud_error"}
DECLINE_MESSAGES = {
    "instrument_error": "The card was declined by the issuer (sandbox)",
    "fraud_error": "Suspected fraud: the instrument is voided (sandbox)",
}

SPEC = SandboxSpec(
    name="psp",
    title="payment provider",
    operations=(
        Operation("create_instrument", "create a financial instrument (authorize)", DECLINES, 402),
        Operation("capture", "capture from an instrument", DECLINES, 402),
        Operation("refund", "refund captured money", ("instrument_error",), 402),
        Operation("revoke", "release what is left to capture"),
        Operation("get_instrument", "read an instrument and its transactions"),
    ),
    metadata=PspBase.metadata,
    invalid_request_code="failed_command",
)

router = APIRouter(tags=["payment provider"])


@router.post("/financial_instruments")
async def create_instrument(request: Request, sandbox: CurrentSandbox) -> Response:
    """Create a financial instrument and reserve ``amount`` (an authorization)."""
    return await sandbox.serve(request, "create_instrument", _create, idempotency=key_in_body())


@router.post("/financial_instruments/{identifier}/capture")
async def capture(identifier: str, request: Request, sandbox: CurrentSandbox) -> Response:
    """Capture up to what is left of the authorization."""
    return await sandbox.serve(
        request, "capture", lambda call: _capture(call, identifier), idempotency=key_in_body()
    )


@router.post("/financial_instruments/{identifier}/refund")
async def refund(identifier: str, request: Request, sandbox: CurrentSandbox) -> Response:
    """Refund up to what was captured and not yet refunded."""
    return await sandbox.serve(
        request, "refund", lambda call: _refund(call, identifier), idempotency=key_in_body()
    )


@router.post("/financial_instruments/{identifier}/revoke")
async def revoke(identifier: str, request: Request, sandbox: CurrentSandbox) -> Response:
    """Release ``amount`` (default: everything) of what is left to capture."""
    return await sandbox.serve(
        request, "revoke", lambda call: _revoke(call, identifier), idempotency=key_in_body()
    )


@router.get("/financial_instruments/{identifier}")
async def get_instrument(identifier: str, request: Request, sandbox: CurrentSandbox) -> Response:
    """An instrument with every transaction, oldest first (to reconcile an unknown outcome)."""
    return await sandbox.serve(request, "get_instrument", lambda call: _read(call, identifier))


async def _create(call: Call) -> Answer:
    body = call.parse(schemas.CreateInstrument)
    amount = _minor(body.amount, body.currency)
    if await call.session.get(Instrument, body.identifier) is not None:
        raise _failed(409, f"instrument {body.identifier!r} already exists")
    decline = _decline_code(call, DECLINE_TOKENS.get(body.token or ""))
    if decline == "instrument_error":
        raise _declined(call, decline)
    instrument = Instrument(
        identifier=body.identifier,
        account_id=body.account_id,
        payment_method=body.payment_method,
        payment_wallet=body.payment_wallet,
        currency=body.currency,
        authorized=0 if decline == "fraud_error" else amount,
        captured=0,
        refunded=0,
        revoked=0,
        voided=decline == "fraud_error",
        extra=body.metadata or {},
        created_at=clock.now(),
    )
    call.session.add(instrument)
    if decline == "fraud_error":
        # The documented fraud rule: the PSP voids the instrument; the void is kept.
        await call.session.flush()
        return problem_answer(_declined(call, decline, instrument=instrument), call.request_id)
    made = [await _transaction(call, instrument, "authorization", amount, 0)]
    return _answer(instrument, made)


async def _capture(call: Call, identifier: str) -> Answer:
    body = call.parse(schemas.Capture)
    instrument = await _instrument(call, identifier, body.currency)
    amount = _minor(body.amount, instrument.currency)
    decline = _decline_code(call)
    if decline == "instrument_error":
        raise _declined(call, decline)
    if decline == "fraud_error":
        if instrument.capturable:
            await _transaction(call, instrument, "void", -instrument.capturable, 0)
        instrument.voided = True
        await call.session.flush()
        return problem_answer(_declined(call, decline, instrument=instrument), call.request_id)
    if amount > instrument.capturable:
        raise _failed(
            409,
            f"capture of {_wire(amount, instrument)} exceeds the capturable amount "
            f"{_wire(instrument.capturable, instrument)} {instrument.currency}",
            instrument,
        )
    instrument.captured += amount
    made = [
        await _transaction(call, instrument, "capture", -amount, 0),
        await _transaction(call, instrument, "capture", 0, amount),
    ]
    return _answer(instrument, made)


async def _refund(call: Call, identifier: str) -> Answer:
    body = call.parse(schemas.Refund)
    instrument = await _instrument(call, identifier, body.currency)
    amount = _minor(body.amount, instrument.currency)
    if _decline_code(call) == "instrument_error":
        raise _declined(call, "instrument_error")
    if amount > instrument.refundable:
        raise _failed(
            409,
            f"refund of {_wire(amount, instrument)} exceeds the refundable amount "
            f"{_wire(instrument.refundable, instrument)} {instrument.currency}",
            instrument,
        )
    instrument.refunded += amount
    made = [await _transaction(call, instrument, "refund", 0, -amount)]
    return _answer(instrument, made)


async def _revoke(call: Call, identifier: str) -> Answer:
    body = call.parse(schemas.Revoke)
    if (body.amount is None) != (body.currency is None):
        raise _failed(400, "amount and currency go together")
    instrument = await _instrument(call, identifier, body.currency)
    if instrument.capturable == 0:
        raise _failed(409, "nothing is left to revoke on this instrument", instrument)
    amount = instrument.capturable
    if body.amount is not None:
        amount = _minor(body.amount, instrument.currency)
        if amount > instrument.capturable:
            raise _failed(
                409,
                f"revoke of {_wire(amount, instrument)} exceeds the capturable amount "
                f"{_wire(instrument.capturable, instrument)} {instrument.currency}",
                instrument,
            )
    instrument.revoked += amount
    made = [await _transaction(call, instrument, "revoke", -amount, 0)]
    return _answer(instrument, made)


async def _read(call: Call, identifier: str) -> Answer:
    instrument = await _instrument(call, identifier, None, lock=False, usable=False)
    rows = (
        await call.session.scalars(
            select(Transaction)
            .where(Transaction.instrument_id == identifier)
            .order_by(Transaction.position)
        )
    ).all()
    return _answer(instrument, list(rows))


async def _instrument(
    call: Call, identifier: str, currency: str | None, *, lock: bool = True, usable: bool = True
) -> Instrument:
    instrument = await call.session.get(Instrument, identifier, with_for_update=lock)
    if instrument is None:
        raise SandboxProblem(404, "failed_command", f"no financial instrument {identifier!r}")
    if currency is not None and currency != instrument.currency:
        raise _failed(
            400,
            f"currency {currency} does not match the instrument's {instrument.currency}",
            instrument,
        )
    if usable and instrument.voided:
        raise _failed(409, "the instrument is voided", instrument)
    return instrument


async def _transaction(
    call: Call, instrument: Instrument, reason: str, capture_amount: int, refund_amount: int
) -> Transaction:
    position = await call.session.scalar(
        select(func.count())
        .select_from(Transaction)
        .where(Transaction.instrument_id == instrument.identifier)
    )
    row = Transaction(
        transaction_id=new_id(),
        position=position or 0,
        instrument_id=instrument.identifier,
        reason=reason,
        capture_amount=capture_amount,
        refund_amount=refund_amount,
        currency=instrument.currency,
        correlation_id=call.idempotency_key or "",
        created_at=clock.now(),
    )
    call.session.add(row)
    await call.session.flush()
    return row


def _decline_code(call: Call, from_token: str | None = None) -> str | None:
    if call.decline is not None:
        return call.decline.error_code
    return from_token


def _declined(
    call: Call, error_code: str, *, instrument: Instrument | None = None
) -> SandboxProblem:
    status = call.decline.status if call.decline is not None else 402
    message = call.decline.message if call.decline is not None else DECLINE_MESSAGES[error_code]
    extra: dict[str, Any] = {}
    if instrument is not None:
        extra = {"instrument": _view(instrument)}
    return SandboxProblem(status, error_code, message, extra=extra)


def _failed(status: int, message: str, instrument: Instrument | None = None) -> SandboxProblem:
    extra = {"instrument": _view(instrument)} if instrument is not None else None
    return SandboxProblem(status, "failed_command", message, extra=extra)


def _minor(amount: Decimal, currency: str) -> int:
    try:
        return money.to_minor(amount, currency)
    except InvalidInput as error:
        raise SandboxProblem(400, "failed_command", error.message) from None


def _wire(amount: int, instrument: Instrument) -> str:
    return str(money.from_minor(amount, instrument.currency))


def _answer(instrument: Instrument, made: list[Transaction]) -> Answer:
    return ok({"instrument": _view(instrument), "transactions": [_tx(row) for row in made]})


def _view(instrument: Instrument) -> dict[str, Any]:
    currency = instrument.currency
    if instrument.voided:
        status = "voided"
    elif instrument.capturable > 0:
        status = "authorized"
    else:
        status = "settled"
    return {
        "identifier": instrument.identifier,
        "account_id": instrument.account_id,
        "payment_method": instrument.payment_method,
        "payment_wallet": instrument.payment_wallet,
        "currency": currency,
        "status": status,
        "authorized_amount": money.to_wire(instrument.authorized, currency),
        "captured_amount": money.to_wire(instrument.captured, currency),
        "refunded_amount": money.to_wire(instrument.refunded, currency),
        "revoked_amount": money.to_wire(instrument.revoked, currency),
        "capturable_amount": money.to_wire(instrument.capturable, currency),
        "refundable_amount": money.to_wire(instrument.refundable, currency),
        "created_at": clock.isoformat(clock.as_utc(instrument.created_at)),
    }


def _tx(row: Transaction) -> dict[str, Any]:
    return {
        "transaction_id": row.transaction_id,
        "instrument_id": row.instrument_id,
        "reason": row.reason,
        "capture_amount": money.to_wire(row.capture_amount, row.currency),
        "refund_amount": money.to_wire(row.refund_amount, row.currency),
        "currency": row.currency,
        "correlation_id": row.correlation_id,
        "created_at": clock.isoformat(clock.as_utc(row.created_at)),
    }


def create_app(*, database_url: str, api_key: str = DEFAULT_API_KEY) -> FastAPI:
    """The sandbox PSP as an ASGI app over its own database (tables created at start-up)."""
    sandbox = Sandbox(SPEC, database_url=database_url, api_key=api_key)
    return create_sandbox_app(sandbox, [router])
