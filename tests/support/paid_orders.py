"""Orders the platform took the payment of, the way a checkout writes them: the payment
authorized and captured at the payment provider (the sandbox PSP, over HTTP) or in cash, then
the order and its payment account in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from cashwrap.core.ids import new_id
from cashwrap.orders import service as orders
from cashwrap.orders.states import PaymentStatus
from cashwrap.payments import service as payments
from tests.conftest import Platform


@dataclass(frozen=True)
class PaidOrder:
    id: str
    number: str
    item_ids: list[str]
    instrument_ids: list[str]


def place_paid(
    platform: Platform,
    draft: orders.OrderDraft,
    tenders: Sequence[tuple[str, int, str | None]],
) -> PaidOrder:
    """Take ``tenders`` (``(method, amount in minor units, token)``) and write ``draft`` with its
    payment account, captured in full."""
    app = platform.server.app
    database = app.state.database  # type: ignore[attr-defined]
    http = app.state.outbound_http  # type: ignore[attr-defined]
    order_id = new_id()

    async def work() -> PaidOrder:
        async with database.transaction() as session:
            chosen = await payments.providers(session, draft.tenant, http)
        taken = [
            payments.Tender(method=method, amount=amount, currency=draft.currency, token=token)
            for method, amount, token in tenders
        ]
        approvals = await payments.authorize(chosen, account_id=order_id, tenders=taken)
        captures = await payments.capture_authorizations(chosen, approvals)
        async with database.transaction() as session:
            placed = await orders.place_order(
                session, replace(draft, id=order_id, payment_status=PaymentStatus.CAPTURED)
            )
            await payments.open_account(
                session,
                draft.tenant,
                account_id=order_id,
                order_id=order_id,
                currency=draft.currency,
                authorizations=approvals,
                captures=captures,
            )
        return PaidOrder(
            placed.id,
            placed.external_id,
            [item.id for item in placed.items],
            [approval.instrument_id for approval in approvals],
        )

    return platform.server.call(work)
