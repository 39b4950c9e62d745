"""The store's documents as PDFs (fpdf2): pick list, packing slip, shipping label, pickup label.

Every document shows the order number the customer knows — the **external** order id — never
the platform's id alone: the seed requires imported (BOPIS, ship-from-store) orders to print
with the external order id. Labels carry a Code 128 barcode: the carrier's barcode value (the
tracking code) on the shipping label, the pickup code on the pickup label.

Text uses the PDF core fonts, which hold Latin-1 only; other characters print as ``?`` rather
than fail the document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fpdf import FPDF

from cashwrap.fulfillment.documents import barcode

LABEL_SIZE = (101.6, 152.4)
"""4 × 6 inches, the usual thermal label."""


@dataclass(frozen=True)
class DocumentItem:
    item_id: str
    product_id: str
    product_name: str | None = None
    external_item_id: str | None = None
    state: str = "dispatched"


@dataclass(frozen=True)
class DocumentData:
    """What the documents print, gathered by the service from the request and its order."""

    external_order_id: str
    order_id: str
    request_id: str
    fulfillment_node_id: str
    store_id: str | None
    store_name: str | None
    service_level: str
    kind: str
    created_at: datetime
    items: Sequence[DocumentItem]
    customer_name: str | None = None
    customer_email: str | None = None
    shipping_address: Mapping[str, Any] | None = None
    carrier: str | None = None
    rate: str | None = None
    tracking_code: str | None = None
    barcode_value: str | None = None
    routing_code: str | None = None
    pickup_code: str | None = None
    package: Mapping[str, Any] | None = None
    notes: Sequence[str] = field(default_factory=tuple)


def pick_list(data: DocumentData) -> bytes:
    pdf = _document(f"Pick list {data.external_order_id}")
    pdf.add_page()
    _heading(pdf, "PICK LIST", data)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(12, 7, "#", border="B")
    pdf.cell(45, 7, "Product", border="B")
    pdf.cell(90, 7, "Description", border="B")
    pdf.cell(25, 7, "Picked", border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for number, item in enumerate(data.items, 1):
        pdf.cell(12, 7, str(number))
        pdf.cell(45, 7, _text(item.product_id))
        pdf.cell(90, 7, _text(item.product_name or ""))
        pdf.cell(25, 7, "[   ]", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(
        0, 5, _text(f"Fulfillment request {data.request_id}. {len(data.items)} item(s).")
    )
    return bytes(pdf.output())


def packing_slip(data: DocumentData) -> bytes:
    pdf = _document(f"Packing slip {data.external_order_id}")
    pdf.add_page()
    _heading(pdf, "PACKING SLIP", data)
    if data.shipping_address or data.customer_name:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 6, "Ship to / customer", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for line in _address_lines(data.shipping_address, data.customer_name):
            pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(12, 7, "#", border="B")
    pdf.cell(45, 7, "Product", border="B")
    pdf.cell(90, 7, "Description", border="B")
    pdf.cell(25, 7, "Qty", border="B", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for number, item in enumerate(data.items, 1):
        pdf.cell(12, 7, str(number))
        pdf.cell(45, 7, _text(item.product_id))
        pdf.cell(90, 7, _text(item.product_name or ""))
        pdf.cell(25, 7, "1", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, _text(f"Thank you for your order {data.external_order_id}."))
    return bytes(pdf.output())


def shipping_label(data: DocumentData) -> bytes:
    if not data.tracking_code:
        raise ValueError("a shipping label needs the tracking code of a booked shipment")
    pdf = _document(f"Shipping label {data.tracking_code} {data.external_order_id}", LABEL_SIZE)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(
        0,
        8,
        _text(f"{data.carrier or 'CARRIER'}  {data.rate or ''}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 4, "FROM", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for line in (
        data.store_name or data.fulfillment_node_id,
        f"Location {data.fulfillment_node_id}",
    ):
        pdf.cell(0, 4, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 4, "TO", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 11)
    for line in _address_lines(data.shipping_address, data.customer_name):
        pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    if data.routing_code:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 20)
        pdf.cell(0, 9, _text(data.routing_code), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    _barcode(pdf, data.barcode_value or data.tracking_code, height=22)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(
        0, 6, _text(f"TRACKING {data.tracking_code}"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 5, _text(f"Order {data.external_order_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, _text(f"Service level {data.service_level}"), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def pickup_label(data: DocumentData) -> bytes:
    if not data.pickup_code:
        raise ValueError("a pickup label needs the pickup code of a request ready for pickup")
    pdf = _document(f"Pickup label {data.external_order_id}", LABEL_SIZE)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 9, "IN-STORE PICKUP", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, _text(f"Order {data.external_order_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 6, _text(data.customer_name or "Customer"), new_x="LMARGIN", new_y="NEXT")
    if data.customer_email:
        pdf.cell(0, 5, _text(data.customer_email), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(
        0,
        5,
        _text(f"Store {data.store_id or data.fulfillment_node_id}  {data.store_name or ''}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(0, 5, _text(f"{len(data.items)} item(s)"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    _barcode(pdf, data.pickup_code, height=22)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(
        0, 6, _text(f"PICKUP CODE {data.pickup_code}"), align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(3)
    pdf.set_font("Helvetica", "", 9)
    for item in data.items:
        pdf.cell(
            0,
            4,
            _text(f"- {item.product_id} {item.product_name or ''}"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
    return bytes(pdf.output())


RENDERERS = {
    "pick_list": pick_list,
    "packing_slip": packing_slip,
    "shipping_label": shipping_label,
    "pickup_label": pickup_label,
}


def _document(title: str, size: tuple[float, float] | str = "A4") -> FPDF:
    pdf = FPDF(unit="mm", format=size)
    pdf.set_margins(6 if size == LABEL_SIZE else 15, 6 if size == LABEL_SIZE else 15)
    pdf.set_auto_page_break(auto=True, margin=8)
    pdf.set_title(_text(title))
    pdf.set_creator("cashwrap")
    return pdf


def _heading(pdf: FPDF, title: str, data: DocumentData) -> None:
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(0, 7, _text(f"Order {data.external_order_id}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    where = data.store_id or data.fulfillment_node_id
    lines = [
        f"Store {where}" + (f" - {data.store_name}" if data.store_name else ""),
        f"{'Pick-up in store' if data.kind == 'pickup' else 'Ship from store'}, "
        f"service level {data.service_level}",
        f"Assigned {data.created_at:%Y-%m-%d %H:%M} UTC",
    ]
    for line in lines:
        pdf.cell(0, 5, _text(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)


def _barcode(pdf: FPDF, value: str, *, height: float) -> None:
    runs = barcode.modules(value)
    total = sum(width for _, width in runs) + 2 * barcode.QUIET_ZONE
    available = pdf.w - pdf.l_margin - pdf.r_margin
    module = min(0.5, available / total)
    x = pdf.l_margin + (available - total * module) / 2 + barcode.QUIET_ZONE * module
    y = pdf.get_y()
    for is_bar, width in runs:
        if is_bar:
            pdf.rect(x, y, width * module, height, style="F")
        x += width * module
    pdf.set_y(y + height + 1)


def _address_lines(address: Mapping[str, Any] | None, name: str | None) -> list[str]:
    if not address:
        return [name] if name else []
    person = " ".join(
        part for part in (address.get("first_name"), address.get("last_name")) if part
    )
    city = " ".join(
        part
        for part in (address.get("zip_code"), address.get("city"), address.get("state"))
        if part
    )
    lines = [
        person or name or "",
        address.get("address_line_1") or "",
        address.get("address_line_2") or "",
        city,
        address.get("country") or "",
    ]
    return [line for line in lines if line]


def _text(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")
