"""A tenant set up exactly as ``make demo`` sets its own up, and the ``cashwrap validate``
options that reach it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from cashwrap.cli import demo_setup
from tests.conftest import TenantCredentials


class Sandbox(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def api_key(self) -> str: ...


def configure_like_the_demo(
    platform_url: str,
    tenant: TenantCredentials,
    *,
    oms_url: str,
    psp_url: str,
    carrier_url: str,
    sandbox_key: str,
    state_dir: Path,
) -> None:
    """Every pre-requisite, through the platform's API, as the demo does it."""
    demo_setup.configure(
        demo_setup.DemoTargets(
            platform=platform_url,
            tenant=tenant.tenant,
            client_id=tenant.client_id,
            client_secret=tenant.client_secret,
            oms=oms_url,
            psp=psp_url,
            carrier=carrier_url,
            sandbox_key=sandbox_key,
            state_dir=state_dir,
        )
    )


def validate_options(
    platform_url: str, tenant: TenantCredentials, oms: Sandbox, psp: Sandbox, carrier: Sandbox
) -> list[str]:
    """``cashwrap validate`` options naming everything (no credentials file is read)."""
    return [
        *("--credentials", "/nonexistent/credentials.json"),
        *("--platform-url", platform_url, "--tenant", tenant.tenant),
        *("--client-id", tenant.client_id, "--client-secret", tenant.client_secret),
        *("--oms-url", oms.url, "--oms-api-key", oms.api_key),
        *("--psp-url", psp.url, "--psp-api-key", psp.api_key),
        *("--carrier-url", carrier.url, "--carrier-api-key", carrier.api_key),
    ]
