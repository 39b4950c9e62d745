"""HTTP clients a scenario uses: the platform (authenticated as the tenant) and the sandboxes.

Everything goes over HTTP: the validation is a client of the platform, exactly like an
integrator's code, and never imports the platform's domains.
"""

from __future__ import annotations

from typing import Any

import httpx

from cashwrap.sdk.auth import PlatformAuth
from cashwrap.validation.targets import Endpoint, PlatformTarget

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


def platform_client(target: PlatformTarget) -> httpx.Client:
    """An ``httpx.Client`` on the platform's base URL whose token is fetched and renewed."""
    auth = PlatformAuth.client_credentials(
        target.url,
        target.tenant,
        target.client_id,
        target.client_secret,
        token_url=target.token_url,
    )
    return httpx.Client(base_url=target.url, auth=auth, timeout=TIMEOUT)


class SandboxAdmin:
    """A sandbox (OMS, PSP, carrier): its contract under ``client``, its ``/_sandbox`` admin API.

    Every admin helper raises :class:`SandboxAdminError` on an unexpected answer, which ends the
    scenario with a failed step naming the call.
    """

    def __init__(self, endpoint: Endpoint) -> None:
        self.url = endpoint.url
        self.api_key = endpoint.api_key
        self.client = httpx.Client(
            base_url=endpoint.url,
            headers={"Authorization": f"Bearer {endpoint.api_key}"},
            timeout=TIMEOUT,
        )

    def close(self) -> None:
        self.client.close()

    def admin(self, method: str, path: str, *, expect: int = 200, **kwargs: Any) -> Any:
        """Call ``/_sandbox{path}``; the JSON answer (None for 204)."""
        response = self.client.request(method, f"/_sandbox{path}", **kwargs)
        if response.status_code != expect:
            raise SandboxAdminError(
                f"{method} {self.url}/_sandbox{path} answered {response.status_code}: "
                f"{response.text[:300]}"
            )
        return response.json() if response.content else None

    def dial(self, operation: str, **fault: Any) -> dict[str, Any]:
        """Dial a fault (``kind`` = latency | error | timeout | malformed | decline, …)."""
        dialed: dict[str, Any] = self.admin("PUT", f"/faults/{operation}", json=fault)
        return dialed

    def clear_fault(self, operation: str) -> None:
        self.admin("DELETE", f"/faults/{operation}", expect=204)

    def clear_faults(self) -> None:
        self.admin("DELETE", "/faults", expect=204)

    def calls(self, operation: str | None = None, *, after: int = 0) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"after": after, "limit": 1000}
        if operation:
            params["operation"] = operation
        calls: list[dict[str, Any]] = self.admin("GET", "/calls", params=params)["calls"]
        return calls

    def last_call_sequence(self) -> int:
        """The sequence of the latest call recorded (0 when none): page later calls after it."""
        sequence = 0
        while page := self.calls(after=sequence):
            sequence = int(page[-1]["sequence"])
        return sequence

    def settings(self, **values: Any) -> dict[str, Any]:
        """Change settings (``None`` = back to the default); returns them all."""
        if not values:
            current: dict[str, Any] = self.admin("GET", "/settings")["settings"]
            return current
        changed: dict[str, Any] = self.admin("PUT", "/settings", json=values)["settings"]
        return changed


class OmsAdmin(SandboxAdmin):
    """The sandbox OMS's own admin calls (stock, orders, events received, injections)."""

    def set_stock(self, entries: list[dict[str, Any]]) -> None:
        """``[{"fulfillment_location", "product_id", "atp"}]``: absolute quantities."""
        self.admin("PUT", "/stock", json={"stock": entries})

    def remove_stock(self, product_id: str) -> None:
        self.admin("DELETE", f"/stock/{product_id}", expect=204)

    def events(
        self, *, name: str | None = None, after: int = 0, limit: int = 1000
    ) -> list[dict[str, Any]]:
        """Events received, oldest first: ``{sequence, name, idempotency_key, outcome, …}``."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if name:
            params["name"] = name
        events: list[dict[str, Any]] = self.admin("GET", "/events", params=params)["events"]
        return events

    def last_event_sequence(self) -> int:
        sequence = 0
        while page := self.events(after=sequence):
            sequence = int(page[-1]["sequence"])
        return sequence

    def orders(self, **filters: Any) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = self.admin("GET", "/orders", params=filters)["orders"]
        return orders

    def order(self, order_id: str) -> dict[str, Any] | None:
        response = self.client.get(f"/_sandbox/orders/{order_id}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise SandboxAdminError(f"GET /_sandbox/orders/{order_id}: {response.status_code}")
        order: dict[str, Any] = response.json()
        return order

    def injections(self, **filters: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.admin("GET", "/injections", params=filters)["injections"]
        return found


class SandboxAdminError(RuntimeError):
    """A sandbox's admin API did not answer as expected."""
