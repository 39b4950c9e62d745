"""``cashwrap doctor`` and ``cashwrap config``, run as a user runs them, on the platform's
database."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.config.support import EXAMPLES


def cashwrap(platform, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CASHWRAP_DATABASE_URL": platform.settings.database_url,
        "CASHWRAP_RUN_MIGRATIONS_ON_START": "false",
        "CASHWRAP_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(
        [sys.executable, "-m", "cashwrap", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=120,
        check=False,
    )


def test_doctor_reports_and_exits_non_zero_on_a_failure(platform, tenant):
    result = cashwrap(platform, "doctor", "--tenant", tenant.tenant, "--json")
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["tenant"] == tenant.tenant
    assert report["status"] == "fail"
    assert report["checks"][0]["id"] == "external_oms_enabled"
    text = cashwrap(platform, "doctor", "--tenant", tenant.tenant)
    assert text.returncode == 1
    assert "FAIL  external_oms_enabled" in text.stdout
    assert 'fix: PUT /v0/config/external_oms {"enabled": true}' in text.stdout


def test_doctor_refuses_an_unknown_tenant(platform):
    result = cashwrap(platform, "doctor", "--tenant", "no-such-tenant")
    assert result.returncode == 1
    assert "tenant_not_found" in result.stderr


def test_config_set_and_show_use_the_same_rules_as_the_api(platform, tenant, api):
    source = EXAMPLES / "availability-config.update.request.json"
    result = cashwrap(
        platform, "config", "set", "availability_webhook", str(source), "--tenant", tenant.tenant
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["api_key"] == "REDACTED"
    assert api.get("/v0/config/availability_webhook").json()["timeout"] == 15
    shown = cashwrap(platform, "config", "show", "--tenant", tenant.tenant)
    assert json.loads(shown.stdout)["availability_webhook"]["api_key"] == "REDACTED"
    bad = cashwrap(
        platform,
        "config",
        "set",
        "external_oms",
        "-",
        "--tenant",
        tenant.tenant,
        stdin='{"enabled": "yes"}',
    )
    assert bad.returncode == 1
    assert "enabled" in bad.stderr
    ok = cashwrap(
        platform,
        "config",
        "set",
        "routing/uses_external_atp",
        "-",
        "--tenant",
        tenant.tenant,
        stdin="true",
    )
    assert ok.returncode == 0, ok.stderr
    assert api.get("/v0/config/routing/uses_external_atp").json()["value"] is True
