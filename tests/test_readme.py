"""The README's "Set up a tenant by hand", run as written against a running platform."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import Platform, TenantCredentials

ROOT = Path(__file__).resolve().parents[1]


def by_hand_script() -> str:
    """The section's shell blocks after the first (which starts the server and the tenant),
    without the ``export`` of placeholders (the test sets those) and the CLI doctor."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index("## Set up a tenant by hand")
    section = readme[start : readme.index("\n## ", start + 1)]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    lines = [
        line
        for block in blocks[1:]
        for line in block.splitlines()
        if not line.startswith("export ") and "cashwrap doctor" not in line
    ]
    # The same virtualenv whatever its folder is called here.
    return "set -euo pipefail\n" + "\n".join(lines).replace(
        ".venv/bin/", f"{Path(sys.executable).parent}/"
    )


def test_the_readme_configures_a_tenant_until_only_the_atp_probe_fails(
    platform: Platform, tenant: TenantCredentials
):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CASHWRAP_")}
    env.update(
        CASHWRAP_URL=platform.url,
        CASHWRAP_TENANT=tenant.tenant,
        CASHWRAP_CLIENT_ID=tenant.client_id,
        CASHWRAP_CLIENT_SECRET=tenant.client_secret,
    )
    ran = subprocess.run(
        ["bash", "-c", by_hand_script()],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    statuses = dict(json.loads(line) for line in ran.stdout.splitlines() if line.startswith('["'))
    assert len(statuses) == 18, ran.stdout
    assert statuses.pop("atp_webhook_probe") == "fail"
    assert statuses.pop("mixed_cart") == "skip"
    assert set(statuses.values()) == {"pass"}, statuses
    assert '"error_code"' not in ran.stdout, ran.stdout
