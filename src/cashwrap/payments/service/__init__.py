"""Payment accounts: what checkout, cancellation and returns call.

* :mod:`.providers` — take a payment before its account exists (authorize, capture, undo),
  outbound only;
* :mod:`.accounts` — write an account for payments taken (:func:`open_account`), read it,
  its transactions and the Sales Orders API's ``payment_history``;
* :mod:`.operations` — capture, revoke, refund and release an existing account, idempotently,
  with amounts reserved while the provider is asked.

Nothing here imports the orders domain: callers set the order's payment status from the
``account_status`` these functions answer.
"""

from __future__ import annotations

from cashwrap.payments.service.accounts import (
    AccountState,
    HistoryEntry,
    InstrumentState,
    account_state,
    account_transactions,
    open_account,
    payment_history,
)
from cashwrap.payments.service.operations import (
    Executed,
    Operation,
    OperationResult,
    capture,
    execute,
    find,
    prepare,
    record,
    refund,
    release,
    revoke,
    run,
)
from cashwrap.payments.service.providers import (
    Approval,
    PaymentNotTaken,
    Providers,
    Refusal,
    Tender,
    authorize,
    instrument_id,
    not_taken,
    providers,
    undo,
)
from cashwrap.payments.service.providers import capture as capture_authorizations

__all__ = [
    "AccountState",
    "Approval",
    "Executed",
    "HistoryEntry",
    "InstrumentState",
    "Operation",
    "OperationResult",
    "PaymentNotTaken",
    "Providers",
    "Refusal",
    "Tender",
    "account_state",
    "account_transactions",
    "authorize",
    "capture",
    "capture_authorizations",
    "execute",
    "find",
    "instrument_id",
    "not_taken",
    "open_account",
    "payment_history",
    "prepare",
    "providers",
    "record",
    "refund",
    "release",
    "revoke",
    "run",
    "undo",
]
