"""``cashwrap sandbox psp`` and ``cashwrap sandbox carrier``: real processes, reached over HTTP."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from cashwrap.outbound.http import OutboundHttp
from cashwrap.outbound.payments import Approved, PaymentOutcome, PaymentProviderClient
from cashwrap.outbound.shipping import (
    Address,
    Booked,
    BookingOutcome,
    Offers,
    ShipmentRequest,
    ShippingProviderClient,
)
from tests.sandbox.support import sandbox_database

KEY = "cli-sandbox-key-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def sandbox_process(kind: str, folder: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    with sandbox_database(folder, f"cli_{kind}") as database_url:
        process = subprocess.Popen(
            [sys.executable, "-m", "cashwrap", "sandbox", kind, "--port", str(port),
             "--database-url", database_url, "--api-key", KEY],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
            assert process.stdout is not None
            announced = json.loads(process.stdout.readline())
            yield url, announced
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_the_psp_command_serves_the_contract(tmp_path):
    with sandbox_process("psp", tmp_path) as (url, announced):
        assert announced["sandbox"] == "psp"
        assert announced["url"] == url

        async def authorize() -> PaymentOutcome:
            async with OutboundHttp() as http:
                client = PaymentProviderClient(http, url=url, api_key=KEY, timeout=5)
                return await client.authorize(
                    idempotency_key="k-1",
                    identifier="i-1",
                    amount=25_00,
                    currency="USD",
                    payment_method="credit_card",
                )

        assert isinstance(asyncio.run(authorize()), Approved)
        calls = httpx.get(
            f"{url}/_sandbox/calls", headers={"Authorization": f"Bearer {KEY}"}
        ).json()["calls"]
        assert [c["operation"] for c in calls] == ["create_instrument"]


def test_the_carrier_command_serves_the_contract(tmp_path):
    with sandbox_process("carrier", tmp_path) as (url, announced):
        assert announced["sandbox"] == "carrier"
        address = Address(address_line_1="1 Main St", country="US", zip_code="10001")
        shipment = ShipmentRequest(address, address, ["p-1"], fulfillment_node_id="US01")

        async def offer_and_book() -> BookingOutcome:
            async with OutboundHttp() as http:
                client = ShippingProviderClient(http, url=url, api_key=KEY, timeout=5)
                offers = await client.shipping_offers(shipment, service_level="Priority")
                assert isinstance(offers, Offers)
                return await client.book_offer(shipment, offers.offers[0], external_order_id="E-1")

        booked = asyncio.run(offer_and_book())
        assert isinstance(booked, Booked)
        assert booked.shipment.tracking_code.startswith("SBX")
