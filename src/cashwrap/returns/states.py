"""What a return is, and how its refund moves (one dimension, as data).

A return is recorded first (the goods are back in the store) and refunded after, with no
transaction open during the refund call; the refund's status then says where the money is:

=============  ======================================================================
``requested``  recorded with the return; the refund has not been answered yet (also
               what a return shows if the process stopped before the answer came)
``refunded``   the whole amount was refunded (or, for ``external``, recorded for the
               external OMS to pay out)
``partial``    some of it was refunded, a provider refused the rest
``failed``     nothing was refunded: the provider refused, or there was nothing to
               refund against
``pending``    the provider's answer is unknown (timeout, lost connection): repeating
               with the same idempotency key is safe and tells
=============  ======================================================================

``failed`` and ``partial`` go back to ``requested`` when a retry starts (with a new
idempotency key, for what is still owed); ``pending`` is retried with the same key.
"""

from __future__ import annotations

from enum import StrEnum

from cashwrap.core.states import lifecycle


class ReturnKind(StrEnum):
    REFERENCED = "referenced"
    """An order the platform took the payment of (``origin`` ``newstore``): refunded against
    the original payment."""
    UNREFERENCED = "unreferenced"
    """An order whose payment the platform does not hold (``origin`` ``external``): the
    associate gives the refund method."""
    BLIND = "blind"
    """No order at all (``return_process_configuration.blind_return_enabled``)."""


class RefundStatus(StrEnum):
    REQUESTED = "requested"
    REFUNDED = "refunded"
    PARTIAL = "partial"
    FAILED = "failed"
    PENDING = "pending"


ANSWERS = frozenset(
    {RefundStatus.REFUNDED, RefundStatus.PARTIAL, RefundStatus.FAILED, RefundStatus.PENDING}
)

REFUND_LIFECYCLE = lifecycle(
    "refund of return",
    {
        RefundStatus.REQUESTED: ANSWERS,
        RefundStatus.PENDING: ANSWERS - {RefundStatus.PENDING},
        RefundStatus.FAILED: {RefundStatus.REQUESTED},
        RefundStatus.PARTIAL: {RefundStatus.REQUESTED},
        RefundStatus.REFUNDED: set(),
    },
)

RETRYABLE = frozenset(
    {RefundStatus.REQUESTED, RefundStatus.PENDING, RefundStatus.FAILED, RefundStatus.PARTIAL}
)

REFUND_METHODS = ("original", "external", "gift_card", "e_gift_card", "credit_card")
"""The refund options of the payment configuration (a.4)."""

EXECUTED_METHODS = frozenset({"original", "external"})
"""What the platform can pay out: ``original`` through the payment account, ``external``
through the built-in placeholder adapter."""
