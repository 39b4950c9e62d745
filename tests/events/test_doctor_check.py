"""The doctor's event-stream check: is an integration running and delivering?"""

from __future__ import annotations

from typing import Any

from tests.events.conftest import Stream, order_created, wait_for
from tests.events.sink import Reply

DOCTOR = "/v0/integration/doctor"


def check(stream: Stream) -> dict[str, Any]:
    response = stream.api.get(DOCTOR)
    assert response.status_code == 200, response.text
    [found] = [c for c in response.json()["checks"] if c["id"] == "event_stream_delivering"]
    result: dict[str, Any] = found
    return result


def test_no_running_integration_fails_with_the_call_that_fixes_it(stream: Stream):
    result = check(stream)
    assert result["status"] == "fail"
    assert "POST /api/v1/org/integrations/eventstream" in result["fix"]
    integration = stream.register()
    stream.api.post(f"/api/v1/org/integrations/eventstream/{integration['id']}/_stop")
    assert check(stream)["status"] == "fail"


def test_a_delivering_integration_passes_and_rejections_warn(stream: Stream):
    integration = stream.register(id="oms")
    stream.record(order_created())
    # A running integration passes at once; the detail counts what it has delivered so far.
    wait_for(
        lambda: (c := check(stream))["status"] == "pass" and "oms (1 delivered" in c["detail"],
        what="a passing check counting the delivered event",
    )

    path = stream.new_path()
    stream.sink.respond(path, lambda _r, _n: Reply(400))
    stream.register(path, id="picky")
    stream.record(order_created())
    result = wait_for(lambda: (c := check(stream))["status"] == "warn" and c, what="a warning")
    assert "'picky' has 1 rejected" in result["detail"]
    assert "/publications?status=failure" in result["fix"]
    assert integration["id"] == "oms"
