"""Reading a payment account (account id = order id)."""

from __future__ import annotations

from fastapi import APIRouter

from cashwrap.api.deps import CurrentPrincipal, DbSession
from cashwrap.core import clock
from cashwrap.core.errors import NotFound
from cashwrap.core.money import to_wire
from cashwrap.payments import service
from cashwrap.payments.schemas import InstrumentView, PaymentAccountView, TransactionView

router = APIRouter(tags=["payments"])


@router.get(
    "/v0/payment_accounts/{account_id}",
    response_model=PaymentAccountView,
    summary="A payment account: its instruments and transactions (defined by cashwrap)",
)
async def get_payment_account(
    account_id: str, principal: CurrentPrincipal, session: DbSession
) -> PaymentAccountView:
    state = await service.account_state(session, principal.tenant, account_id)
    if state is None:
        raise NotFound(f"payment account {account_id} not found", code="payment_account_not_found")
    rows = await service.account_transactions(session, principal.tenant, account_id)
    currency = state.currency

    def wire(amount: int) -> float:
        return to_wire(amount, currency)

    return PaymentAccountView(
        id=state.id,
        order_id=state.order_id,
        currency=currency,
        status=str(state.status),
        balance=wire(state.balance),
        authorized=wire(state.authorized),
        captured=wire(state.captured),
        refunded=wire(state.refunded),
        revoked=wire(state.revoked),
        instruments=[
            InstrumentView(
                id=i.id,
                payment_method=i.payment_method,
                payment_wallet=i.payment_wallet,
                payment_provider=i.payment_provider,
                currency=i.currency,
                authorized=wire(i.authorized),
                captured=wire(i.captured),
                refunded=wire(i.refunded),
                revoked=wire(i.revoked),
                capturable=wire(i.capturable),
                refundable=wire(i.refundable),
            )
            for i in state.instruments
        ],
        transactions=[
            TransactionView(
                id=row["id"],
                instrument_id=row["instrument_id"],
                reason=row["reason"],
                capture_amount=wire(row["capture_amount"]),
                refund_amount=wire(row["refund_amount"]),
                currency=row["currency"],
                correlation_id=row["correlation_id"],
                provider_transaction_id=row["provider_transaction_id"],
                created_at=clock.isoformat(clock.as_utc(row["created_at"])),
            )
            for row in rows
        ],
    )
