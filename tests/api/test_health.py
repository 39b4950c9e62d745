"""Operations endpoints: liveness, readiness, metrics, the OpenAPI document, request ids."""

from __future__ import annotations

import json
import re


def test_liveness_and_readiness(anonymous):
    assert anonymous.get("/health/live").json() == {"status": "ok"}
    ready = anonymous.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["schema"] == "current"


def test_metrics_are_prometheus_text(anonymous):
    anonymous.get("/health/live")
    response = anonymous.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert (
        'cashwrap_http_requests_total{method="GET",route="/health/live",status="200"}'
        in response.text
    )


def test_openapi_document_and_docs_page(anonymous):
    spec = anonymous.get("/openapi.json").json()
    assert "/auth/realms/{tenant}/protocol/openid-connect/token" in spec["paths"]
    injection = spec["paths"]["/v0/d/fulfill_order"]["post"]["requestBody"]
    assert "shipments" in injection["content"]["application/json"]["schema"]["properties"]
    references = re.findall(r'"(#/[^"]*)"', json.dumps(spec))
    assert "#/components/schemas/InjectedOrderAddress" in references
    for reference in references:  # every reference resolves inside the document
        node = spec
        for part in reference.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    docs = anonymous.get("/docs")
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()


def test_request_id_is_returned_and_honoured(anonymous):
    generated = anonymous.get("/health/live")
    assert len(generated.headers["x-request-id"]) >= 16
    echoed = anonymous.get("/health/live", headers={"X-Request-ID": "trace-42"})
    assert echoed.headers["x-request-id"] == "trace-42"


def test_unknown_paths_and_methods_are_problem_documents(anonymous):
    missing = anonymous.get("/v0/does-not-exist")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    body = missing.json()
    assert body["error_code"] == "not_found"
    assert body["status"] == 404
    assert body["request_id"] == missing.headers["x-request-id"]
    wrong_method = anonymous.delete("/health/live")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error_code"] == "method_not_allowed"
