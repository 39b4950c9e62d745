"""Every validation scenario, in the order ``cashwrap validate`` runs them.

To add one: write a module in this package that defines
``SCENARIO = Scenario(name, title, run, requires=(...))`` (see ``configuration.py`` for a short
example and ``docs/demo-and-validate.md``, "Adding a scenario") and add it to the list below,
at the place the seed's order gives. Names are unique; ``--scenario NAME`` selects them.
"""

from __future__ import annotations

from cashwrap.validation.runner import Scenario
from cashwrap.validation.scenarios import (
    atp,
    configuration,
    event_stream,
    selling,
    store_fulfillment,
)
from cashwrap.validation.scenarios import history_and_returns as history

SCENARIOS: list[Scenario] = [
    # Pre-requisites (the doctor).
    configuration.SCENARIO,
    # The event stream reaches the OMS.
    event_stream.SCENARIO,
    # ATP from the OMS, and its failure modes.
    atp.SCENARIO,
    atp.FAILURE_MODES,
    # Cash & carry, endless aisle, mixed cart (checkout and payments).
    selling.CASH_AND_CARRY,
    selling.ENDLESS_AISLE,
    selling.MIXED_CART,
    # Store fulfillment and order injection.
    store_fulfillment.PICKUP,
    store_fulfillment.SHIP,
    store_fulfillment.MISPICK_REROUTE,
    store_fulfillment.UNKNOWN_LOCATION,
    store_fulfillment.IDEMPOTENT,
    # Purchase history, order details and returns.
    history.PURCHASE_HISTORY,
    history.ORDER_DETAILS,
    history.REFERENCED_RETURN,
    history.UNREFERENCED_RETURN,
]


def by_name(names: list[str]) -> list[Scenario]:
    """The scenarios named, in the list's order; unknown names raise ``KeyError``."""
    known = {scenario.name: scenario for scenario in SCENARIOS}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise KeyError(", ".join(unknown))
    return [scenario for scenario in SCENARIOS if scenario.name in names]
