"""``cashwrap validate``: run the seed's validation procedures against a running platform.

By default against the demo (``var/demo/credentials.json``, written by ``cashwrap demo``); any
platform and sandboxes by option. Prints a table (scenario, step, expected, observed, pass or
fail) or, with ``--json``, the list of steps; exits 1 when any step failed, 2 on a usage error.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cashwrap.validation import scenarios as registry
from cashwrap.validation import targets as targets_module
from cashwrap.validation.runner import StepResult, run_scenarios


def validate(
    scenario: list[str] = typer.Option(
        [], "--scenario", "-s", help="Run only these scenarios (repeatable). Default: all."
    ),
    as_json: bool = typer.Option(
        False, "--json", help='Print [{"scenario","step","status","expected","observed"}].'
    ),
    list_only: bool = typer.Option(False, "--list", help="List the scenarios and exit."),
    credentials: Path = typer.Option(
        targets_module.DEFAULT_CREDENTIALS,
        "--credentials",
        help="The demo's credentials file; options below override its values.",
    ),
    platform_url: str | None = typer.Option(None, envvar="CASHWRAP_URL"),
    tenant: str | None = typer.Option(None, envvar="CASHWRAP_TENANT"),
    client_id: str | None = typer.Option(None, envvar="CASHWRAP_CLIENT_ID"),
    client_secret: str | None = typer.Option(None, envvar="CASHWRAP_CLIENT_SECRET"),
    token_url: str | None = typer.Option(None, help="Token endpoint, if not the platform's."),
    oms_url: str | None = typer.Option(None, help="The sandbox OMS."),
    oms_api_key: str | None = typer.Option(None),
    psp_url: str | None = typer.Option(None, help="The sandbox payment provider."),
    psp_api_key: str | None = typer.Option(None),
    carrier_url: str | None = typer.Option(None, help="The sandbox carrier."),
    carrier_api_key: str | None = typer.Option(None),
) -> None:
    """Run the seed's validation procedures and print each step's verdict."""
    if list_only:
        for known in registry.SCENARIOS:
            needs = f"  (needs the sandbox {', '.join(known.requires)})" if known.requires else ""
            typer.echo(f"{known.name:28} {known.title}{needs}")
        return
    try:
        chosen = registry.by_name(scenario) if scenario else list(registry.SCENARIOS)
    except KeyError as error:
        known_names = ", ".join(s.name for s in registry.SCENARIOS)
        typer.secho(f"unknown scenario(s): {error.args[0]}; known: {known_names}", err=True)
        raise typer.Exit(2) from None
    try:
        targets = targets_module.resolve(
            targets_module.load(credentials),
            platform_url=platform_url,
            tenant=tenant,
            client_id=client_id,
            client_secret=client_secret,
            token_url=token_url,
            oms_url=oms_url,
            oms_api_key=oms_api_key,
            psp_url=psp_url,
            psp_api_key=psp_api_key,
            carrier_url=carrier_url,
            carrier_api_key=carrier_api_key,
        )
    except targets_module.TargetsError as error:
        typer.secho(f"error: {error}", err=True)
        raise typer.Exit(2) from None

    console = Console(stderr=True)
    if as_json:
        results = run_scenarios(chosen, targets)
        typer.echo(json.dumps([step.as_dict() for step in results], indent=2))
    else:
        with console.status("validating…") as status:

            def progress(step: StepResult) -> None:
                status.update(f"validating… {step.scenario}")

            results = run_scenarios(chosen, targets, on_step=progress)
        Console().print(_table(results))
        failed = sum(1 for step in results if not step.passed)
        verdict = (
            Text(f"{len(results)} steps, all passed", style="bold green")
            if not failed
            else Text(f"{failed} of {len(results)} steps failed", style="bold red")
        )
        Console().print(verdict)
    if any(not step.passed for step in results):
        raise typer.Exit(1)


def _table(results: list[StepResult]) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for column in ("scenario", "step", "expected", "observed", ""):
        table.add_column(column, overflow="fold")
    previous = None
    for step in results:
        mark = Text("pass", style="green") if step.passed else Text("FAIL", style="bold red")
        table.add_row(
            step.scenario if step.scenario != previous else "",
            step.step,
            step.expected,
            step.observed,
            mark,
        )
        previous = step.scenario
    return table
