"""In-store returns: what the returns API and the Associate App call.

* :mod:`.sources` — which order a return is against (platform or external OMS) and which of
  its units can come back;
* :mod:`.taking` — record a return (referenced, unreferenced, blind), then refund it;
* :mod:`.refunds` — pay out a refund with no transaction open, and retry it;
* :mod:`.reading` — one return, or an order's returns.
"""

from __future__ import annotations

from cashwrap.returns.service.reading import ReturnView, get_return, list_returns
from cashwrap.returns.service.refunds import retry
from cashwrap.returns.service.taking import choose_method, take_blind_return, take_return

__all__ = [
    "ReturnView",
    "choose_method",
    "get_return",
    "list_returns",
    "retry",
    "take_blind_return",
    "take_return",
]
