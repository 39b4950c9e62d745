"""Steps of the store's work, over HTTP, as the Associate App takes them."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

from tests.support.stores import STORES, StoreTenant, order_payload

ASSOCIATE = "assoc-17"


def routed_order(store: StoreTenant, **options: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Inject an order for US01; (the injection answer, its fulfillment request as the store
    sees it)."""
    body = store.injected(order_payload(**options))
    [request] = store.requests_of(body["id"])
    node = request["fulfillment_node_id"]
    view = store.api.get(store.store_path(STORES[node], request["fulfillment_request_id"]))
    assert view.status_code == 200, view.text
    return body, view.json()


def act(store: StoreTenant, request: dict[str, Any], action: str, **body: Any) -> Any:
    response = store.api.post(
        store.store_path(request["store_id"], request["id"], action),
        json={"associate_id": ASSOCIATE, **body},
    )
    return response


def step(store: StoreTenant, request: dict[str, Any], action: str, **body: Any) -> dict[str, Any]:
    response = act(store, request, action, **body)
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def document_text(store: StoreTenant, request: dict[str, Any], name: str) -> str:
    response = store.api.get(
        store.store_path(request["store_id"], request["id"], f"documents/{name}")
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(response.content))
    return "".join(page.extract_text() for page in reader.pages)
