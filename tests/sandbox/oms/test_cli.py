"""``cashwrap sandbox oms-admin``: the admin API from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cashwrap.cli.main import app
from tests.sandbox.oms.conftest import Oms

runner = CliRunner()


def admin(oms: Oms, *arguments: str) -> object:
    result = runner.invoke(
        app,
        ["sandbox", "oms-admin", *arguments, "--url", oms.url, "--api-key", oms.sandbox.api_key],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout) if result.stdout.strip().startswith(("{", "[")) else None


def test_stock_faults_settings_and_logs_from_the_command_line(oms: Oms):
    admin(oms, "set-stock", "US01", "1000061", "7")
    assert admin(oms, "stock", "--product", "1000061") == {
        "stock": [{"fulfillment_location": "US01", "product_id": "1000061", "atp": 7}]
    }
    dialed = admin(
        oms, "fault", "availability", "--kind", "error", "--status", "503", "--times", "2"
    )
    assert dialed["remaining"] == 2  # type: ignore[index]
    with oms.client() as client:
        failed = client.post(
            "/availabilities",
            json={"products": [{"product_id": "1000061"}], "fulfillment_locations": ["US01"]},
        )
    assert failed.status_code == 503
    admin(oms, "clear-faults")
    settings = admin(oms, "settings", "event_reorder_window=3", 'routing="store"')
    assert settings["settings"]["event_reorder_window"] == 3  # type: ignore[index]
    assert settings["settings"]["routing"] == "store"  # type: ignore[index]
    assert admin(oms, "events") == {"events": []}
    assert admin(oms, "injections") == {"injections": []}
    assert admin(oms, "orders") == {"orders": []}


def test_a_refused_admin_call_exits_1(oms: Oms):
    result = runner.invoke(
        app, ["sandbox", "oms-admin", "stock", "--url", oms.url, "--api-key", "wrong-key"]
    )
    assert result.exit_code == 1
