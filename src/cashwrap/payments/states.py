"""The payment account's status, derived from its amounts (one dimension, as data).

Amounts only grow (authorized, captured, refunded, revoked), each through a conditional
UPDATE that checks what is left, so the status is a pure function of them and never assigned:

=======================  ================================================================
``none``                 nothing was authorized
``authorized``           funds are reserved and something is left to capture
``captured``             money was taken (and none of it given back)
``partially_refunded``   some of what was captured was refunded
``refunded``             everything captured was refunded
``voided``               everything authorized was revoked, nothing captured
=======================  ================================================================

The values are the orders domain's ``PaymentStatus`` values, so a caller stores them as is.
"""

from __future__ import annotations

from enum import StrEnum


class AccountStatus(StrEnum):
    NONE = "none"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    VOIDED = "voided"


def account_status(*, authorized: int, captured: int, refunded: int, revoked: int) -> AccountStatus:
    if captured > 0:
        if refunded >= captured:
            return AccountStatus.REFUNDED
        if refunded > 0:
            return AccountStatus.PARTIALLY_REFUNDED
        return AccountStatus.CAPTURED
    if authorized - revoked > 0:
        return AccountStatus.AUTHORIZED
    if authorized > 0:
        return AccountStatus.VOIDED
    return AccountStatus.NONE


HISTORY_METHODS = frozenset({"gift_card", "credit_card", "cash"})
"""The payment methods the Sales Orders API's ``payment_history`` may carry (b.2)."""
