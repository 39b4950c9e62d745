"""What ``cashwrap validate`` runs against: the platform and the systems around it.

By default the demo's ``var/demo/credentials.json`` (written by ``cashwrap demo``); any part
can be given or overridden by options. The file's shape::

    {"platform": {"url", "tenant", "client_id", "client_secret", "token_url"?},
     "oms": {"url", "api_key"},            # the sandbox OMS (its admin API shares the key)
     "psp": {"url", "api_key"}, "carrier": {"url", "api_key"}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_CREDENTIALS = Path("var/demo/credentials.json")


@dataclass(frozen=True)
class Endpoint:
    """A system reached over HTTP with an API key (the sandboxes)."""

    url: str
    api_key: str


@dataclass(frozen=True)
class PlatformTarget:
    url: str
    tenant: str
    client_id: str
    client_secret: str
    token_url: str | None = None


@dataclass(frozen=True)
class Targets:
    platform: PlatformTarget
    oms: Endpoint | None = None
    psp: Endpoint | None = None
    carrier: Endpoint | None = None

    def with_overrides(self, **parts: Any) -> Targets:
        return replace(self, **{key: value for key, value in parts.items() if value is not None})


class TargetsError(ValueError):
    """The targets are incomplete or the credentials file cannot be read."""


def load(path: Path) -> dict[str, Any]:
    """The credentials file as a dict (empty when it does not exist)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise TargetsError(f"{path}: {error}") from None
    if not isinstance(data, dict):
        raise TargetsError(f"{path}: not a JSON object")
    return data


def _endpoint(data: Any) -> Endpoint | None:
    if isinstance(data, dict) and data.get("url") and data.get("api_key"):
        return Endpoint(str(data["url"]).rstrip("/"), str(data["api_key"]))
    return None


def resolve(data: dict[str, Any], **options: str | None) -> Targets:
    """Targets from the file's ``data`` with ``options`` (None = keep the file's) on top."""
    platform = data.get("platform") if isinstance(data.get("platform"), dict) else {}
    assert isinstance(platform, dict)

    def pick(option: str, key: str, section: dict[str, Any]) -> str | None:
        value = options.get(option)
        if value:
            return value
        found = section.get(key)
        return str(found) if found else None

    url = pick("platform_url", "url", platform)
    tenant = pick("tenant", "tenant", platform)
    client_id = pick("client_id", "client_id", platform)
    client_secret = pick("client_secret", "client_secret", platform)
    missing = [
        name
        for name, value in (
            ("--platform-url", url),
            ("--tenant", tenant),
            ("--client-id", client_id),
            ("--client-secret", client_secret),
        )
        if not value
    ]
    if missing:
        raise TargetsError(
            "the platform is not fully known: give "
            + ", ".join(missing)
            + " (or run `cashwrap demo`, which writes var/demo/credentials.json)"
        )
    assert url
    assert tenant
    assert client_id
    assert client_secret

    def endpoint(name: str) -> Endpoint | None:
        section = data.get(name) if isinstance(data.get(name), dict) else {}
        assert isinstance(section, dict)
        given_url = options.get(f"{name}_url") or section.get("url")
        given_key = options.get(f"{name}_api_key") or section.get("api_key")
        return _endpoint({"url": given_url, "api_key": given_key})

    return Targets(
        platform=PlatformTarget(
            url=url.rstrip("/"),
            tenant=tenant,
            client_id=client_id,
            client_secret=client_secret,
            token_url=pick("token_url", "token_url", platform),
        ),
        oms=endpoint("oms"),
        psp=endpoint("psp"),
        carrier=endpoint("carrier"),
    )
