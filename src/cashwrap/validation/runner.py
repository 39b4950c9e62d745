"""The validation runner: scenarios, their steps, and what a scenario can use.

A **scenario** is one of the seed's procedures (or a part of one): a plain function
``run(ctx: ScenarioContext) -> None`` that talks to the platform and the sandboxes over HTTP
and records **steps**. A step is ``{scenario, step, status, expected, observed}`` with
``status`` ``pass`` or ``fail``; ``expected`` and ``observed`` are short texts a person reads in
the table.

* ``ctx.check(step, expected=…, observed=…, passed=…)`` records a step and returns ``passed``;
* ``ctx.expect(step, expected, observed)`` records ``observed == expected``;
* ``ctx.require(…)`` is ``check`` that ends the scenario when the step fails (later steps would
  only repeat the failure);
* an exception escaping the scenario is recorded as a failed step naming it — a scenario never
  stops the run; ``ctx.cleanup(fn)`` registers what must be undone (faults, settings, stock)
  whatever happens, run in reverse order after the scenario.

Scenarios run one after the other, in the order of
:data:`cashwrap.validation.scenarios.SCENARIOS`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx

from cashwrap.validation.clients import OmsAdmin, SandboxAdmin, platform_client
from cashwrap.validation.targets import Targets

T = TypeVar("T")
Status = Literal["pass", "fail"]
Requirement = Literal["oms", "psp", "carrier"]


@dataclass(frozen=True)
class StepResult:
    scenario: str
    step: str
    status: Status
    expected: str
    observed: str

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def as_dict(self) -> dict[str, str]:
        return {
            "scenario": self.scenario,
            "step": self.step,
            "status": self.status,
            "expected": self.expected,
            "observed": self.observed,
        }


@dataclass(frozen=True)
class Scenario:
    """``name`` is what ``--scenario`` selects; ``requires`` names the sandboxes it drives."""

    name: str
    title: str
    run: Callable[[ScenarioContext], None]
    requires: tuple[Requirement, ...] = ()


class StopScenario(Exception):
    """Raised by :meth:`ScenarioContext.require` to end a scenario after a failed step."""


class ScenarioContext:
    """What a scenario works with. Build it through :func:`run_scenarios`."""

    def __init__(self, scenario: Scenario, targets: Targets, sink: list[StepResult]) -> None:
        self.scenario = scenario
        self.targets = targets
        self.run_id = uuid.uuid4().hex[:8]
        self._sink = sink
        self._cleanups: list[Callable[[], Any]] = []
        self._closers: list[Callable[[], Any]] = []
        self._platform: httpx.Client | None = None
        self._oms: OmsAdmin | None = None
        self._psp: SandboxAdmin | None = None
        self._carrier: SandboxAdmin | None = None
        self.steps: list[StepResult] = []

    # --- the systems ---------------------------------------------------------------------------

    @property
    def tenant(self) -> str:
        return self.targets.platform.tenant

    @property
    def platform(self) -> httpx.Client:
        """The platform's API, authenticated as the tenant (``ctx.platform.get("/v0/…")``)."""
        if self._platform is None:
            self._platform = platform_client(self.targets.platform)
            self._closers.append(self._platform.close)
        return self._platform

    @property
    def oms(self) -> OmsAdmin:
        """The sandbox OMS: ``.client`` for its contract, admin helpers for the rest."""
        if self._oms is None:
            if self.targets.oms is None:
                raise StopScenario("no sandbox OMS was given")
            self._oms = OmsAdmin(self.targets.oms)
            self._closers.append(self._oms.close)
        return self._oms

    @property
    def psp(self) -> SandboxAdmin:
        if self._psp is None:
            if self.targets.psp is None:
                raise StopScenario("no sandbox payment provider was given")
            self._psp = SandboxAdmin(self.targets.psp)
            self._closers.append(self._psp.close)
        return self._psp

    @property
    def carrier(self) -> SandboxAdmin:
        if self._carrier is None:
            if self.targets.carrier is None:
                raise StopScenario("no sandbox carrier was given")
            self._carrier = SandboxAdmin(self.targets.carrier)
            self._closers.append(self._carrier.close)
        return self._carrier

    # --- steps ---------------------------------------------------------------------------------

    def check(self, step: str, *, expected: Any, observed: Any, passed: bool) -> bool:
        """Record one step; returns whether it passed."""
        result = StepResult(
            scenario=self.scenario.name,
            step=step,
            status="pass" if passed else "fail",
            expected=_text(expected),
            observed=_text(observed),
        )
        self.steps.append(result)
        self._sink.append(result)
        return passed

    def expect(self, step: str, expected: Any, observed: Any) -> bool:
        """Record a step that passes when ``observed == expected``."""
        return self.check(step, expected=expected, observed=observed, passed=observed == expected)

    def require(self, step: str, *, expected: Any, observed: Any, passed: bool) -> None:
        """Record a step; end the scenario if it failed."""
        if not self.check(step, expected=expected, observed=observed, passed=passed):
            raise StopScenario(step)

    def require_status(
        self, step: str, response: httpx.Response, expected: int | Iterable[int] = 200
    ) -> Any:
        """Record that ``response`` has the expected status (ending the scenario otherwise);
        return its JSON body (None when it has none)."""
        wanted = {expected} if isinstance(expected, int) else set(expected)
        observed = f"{response.status_code}"
        if response.status_code not in wanted:
            observed += f" {_short(response.text)}"
        self.require(
            step,
            expected=" or ".join(str(status) for status in sorted(wanted)),
            observed=observed,
            passed=response.status_code in wanted,
        )
        try:
            return response.json() if response.content else None
        except ValueError:
            return None

    # --- helpers -------------------------------------------------------------------------------

    def unique(self, prefix: str) -> str:
        """An id no earlier run used: ``<prefix>-<run id>``, for products, orders, customers."""
        return f"{prefix}-{self.run_id}"

    def cleanup(self, undo: Callable[[], Any]) -> None:
        """Run ``undo`` after the scenario, whatever happened (last registered runs first)."""
        self._cleanups.append(undo)

    def wait_until(
        self,
        probe: Callable[[], T | None],
        *,
        timeout: float = 20.0,
        interval: float = 0.2,
    ) -> T | None:
        """Call ``probe`` until it returns something truthy or ``timeout`` passes."""
        deadline = time.monotonic() + timeout
        while True:
            value = probe()
            if value:
                return value
            if time.monotonic() >= deadline:
                return None
            time.sleep(interval)

    def wait_for_oms_event(
        self,
        name: str,
        where: Callable[[dict[str, Any]], bool] = lambda event: True,
        *,
        after: int = 0,
        timeout: float = 20.0,
    ) -> dict[str, Any] | None:
        """The first event ``name`` the sandbox OMS received (after sequence ``after``) whose
        record satisfies ``where`` (it has ``payload``, ``idempotency_key``, ``outcome``, …)."""

        def probe() -> dict[str, Any] | None:
            for event in self.oms.events(name=name, after=after):
                if where(event):
                    return event
            return None

        return self.wait_until(probe, timeout=timeout)

    def oms_events_for(
        self, entity_id: str, *, after: int = 0, timeout: float = 20.0, count: int = 1
    ) -> list[dict[str, Any]]:
        """The events the OMS received about an order (``payload.id`` or ``payload.order_id``),
        in the order it received them, once at least ``count`` arrived (or on timeout)."""

        def matching() -> list[dict[str, Any]]:
            return [
                event
                for event in self.oms.events(after=after)
                if entity_id in (event["payload"].get("id"), event["payload"].get("order_id"))
            ]

        def enough() -> list[dict[str, Any]] | None:
            found = matching()
            return found if len(found) >= count else None

        found = self.wait_until(enough, timeout=timeout)
        return found if found is not None else matching()

    def _finish(self) -> None:
        for undo in reversed(self._cleanups):
            try:
                undo()
            except Exception as error:  # noqa: BLE001 - reported as a failed step
                self.check(
                    "clean up",
                    expected="the scenario's changes undone",
                    observed=f"{type(error).__name__}: {error}",
                    passed=False,
                )
        for close in self._closers:
            close()


def run_scenarios(
    scenarios: Sequence[Scenario],
    targets: Targets,
    *,
    on_step: Callable[[StepResult], None] | None = None,
) -> list[StepResult]:
    """Run ``scenarios`` in order against ``targets``; every step of every scenario."""
    results: list[StepResult] = []
    for scenario in scenarios:
        sink: list[StepResult] = []
        context = ScenarioContext(scenario, targets, sink)
        missing = [name for name in scenario.requires if getattr(targets, name) is None]
        if missing:
            context.check(
                "targets",
                expected=f"the URL and API key of the sandbox {', '.join(missing)}",
                observed="not given",
                passed=False,
            )
        else:
            try:
                scenario.run(context)
            except StopScenario:
                pass
            except Exception as error:  # noqa: BLE001 - a scenario never stops the run
                context.check(
                    "runs to the end",
                    expected="no error",
                    observed=f"{type(error).__name__}: {_short(str(error))}",
                    passed=False,
                )
            finally:
                context._finish()
            if not context.steps:
                context.check(
                    "records steps", expected="at least one step", observed="none", passed=False
                )
        for step in sink:
            results.append(step)
            if on_step is not None:
                on_step(step)
    return results


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)
