"""Every operation, sent input generated from its own OpenAPI schema: a problem, never a 500.

``test_bad_input`` sends a handful of bodies chosen by hand; here schemathesis draws them from
each operation's schema — valid ones, and ones that break it member by member: wrong types,
out-of-range numbers, strings of any length and alphabet, missing and unknown members, odd
query parameters and headers. The paths name things that exist (a cart with a line, a sale, an
injected order and its request, a store, a product, an integration) on a tenant set up as the
demo's, so the input reaches the code behind the validation. Generation is derandomized (a
commit sends nearly the same cases every run), and a failure prints the curl command to replay.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from cashwrap.app import create_app
from cashwrap.settings import Settings
from tests.api.test_bad_input import assert_problem, operations, real_ids
from tests.conftest import Platform
from tests.sandbox.support import RunningSandbox
from tests.support.demo_tenant import configure_like_the_demo

EXAMPLES_PER_OPERATION = 12
# The token endpoints answer OAuth's own error document (RFC 6749 §5.2), not a problem.
OAUTH = ("/auth/", "/v0/token")


@pytest.fixture(scope="module")
def demo_tenant(
    platform: Platform,
    oms_server: RunningSandbox,
    psp_server: RunningSandbox,
    carrier_server: RunningSandbox,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, str], dict[str, str]]]:
    """The Authorization header of a tenant configured as the demo's, and ids it has."""
    tenant = platform.create_tenant("generated")
    configure_like_the_demo(
        platform.url, tenant, oms_url=oms_server.url, psp_url=psp_server.url,
        carrier_url=carrier_server.url, sandbox_key=oms_server.api_key,
        state_dir=tmp_path_factory.mktemp("generated"),
    )  # fmt: skip
    with platform.client(tenant) as api:
        ids = real_ids(api)
        yield {"Authorization": str(api.headers["Authorization"])}, ids


def _document() -> dict[str, Any]:
    """The OpenAPI document the platform serves (building the app opens no database)."""
    app = create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
    return app.openapi()


SCHEMA = schemathesis.openapi.from_dict(_document())
OPERATIONS = [f"{method} {path}" for method, path in operations(SCHEMA.raw_schema)]


# schemathesis draws some values with the random module: a few cases may differ between runs.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_input_is_answered_with_a_problem_never_a_server_error(
    label: str, platform: Platform, demo_tenant: tuple[dict[str, str], dict[str, str]]
) -> None:
    headers, ids = demo_tenant
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None
    names = {parameter.name for parameter in operation.path_parameters}
    known = {name: ids[name] for name in names if name in ids}
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=known),
    )

    @given(case=cases)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    def answered(case: Any) -> None:
        response = case.call(base_url=platform.url, headers={**(case.headers or {}), **headers})
        what = case.as_curl_command(headers=headers)
        if case.path.startswith(OAUTH):
            assert response.status_code < 500, f"{what}: {response.status_code} {response.text}"
            return
        sent = [(name, value) for name, values in response.headers.items() for value in values]
        assert_problem(
            httpx.Response(response.status_code, headers=sent, content=response.content), what
        )

    answered()
