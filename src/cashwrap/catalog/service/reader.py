"""Reading an import zip: which members hold which entity, and batches of parsed records.

Everything here is synchronous and runs in a worker thread (the event loop keeps serving
requests while a batch is decompressed and validated). Memory stays flat in the file size: a
member is read line by line through a buffered stream, one batch of rows at a time; nothing
keeps per-record state beyond the current batch.

Members, by the start of their file name (directories ignored, ``.jsonl``/``.ndjson``/``.json``):

* ``products…``        one product per line (entity ``products``)
* ``store_mapping…``   one store ↔ fulfillment node mapping per line (entity ``availabilities``)
* ``availabilities…``  one stock level per line (entity ``availabilities``)

They are processed in that order (products first, as NewStore recommends), each kind in name
order.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from cashwrap.catalog.schemas import (
    AvailabilityRecord,
    ProductRecord,
    StoreMappingRecord,
)
from cashwrap.core.errors import DomainError
from cashwrap.core.json_values import unstorable_escape
from cashwrap.core.money import is_currency, to_minor

PRODUCTS = "products"
STORE_MAPPING = "store_mapping"
AVAILABILITIES = "availabilities"
KIND_ORDER = (PRODUCTS, STORE_MAPPING, AVAILABILITIES)
ENTITY_OF_KIND = {
    PRODUCTS: "products",
    STORE_MAPPING: "availabilities",
    AVAILABILITIES: "availabilities",
}
REQUIRED_KIND = {"products": PRODUCTS, "availabilities": AVAILABILITIES}
EXTENSIONS = (".jsonl", ".ndjson", ".json")
MAX_LINE_BYTES = 1024 * 1024


class SourceProblem(Exception):
    """The file cannot be imported at all; the job fails with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Member:
    name: str
    kind: str
    size: int


@dataclass(frozen=True)
class Plan:
    members: list[Member]

    @property
    def bytes_total(self) -> int:
        return sum(member.size for member in self.members)


@dataclass
class LineError:
    line: int
    code: str
    message: str


@dataclass
class Batch:
    """Parsed records of consecutive lines of one member.

    ``rows`` depend on the kind: products → ``products`` and ``prices`` row dicts (deduplicated
    by key, the last line wins); store mappings → ``mappings`` (line, record); availabilities →
    ``stock`` rows. ``next_line`` is the number of lines of the member consumed so far, the
    checkpoint to resume from.
    """

    member_index: int
    member: Member
    next_line: int
    bytes_done: int
    records: int = 0
    errors: list[LineError] = field(default_factory=list)
    products: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    prices: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    mappings: list[tuple[int, StoreMappingRecord]] = field(default_factory=list)
    stock: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    shops: set[tuple[str, str]] = field(default_factory=set)
    books: set[tuple[str, str]] = field(default_factory=set)

    @property
    def entity(self) -> str:
        return ENTITY_OF_KIND[self.member.kind]


def kind_of(name: str) -> str | None:
    path = PurePosixPath(name)
    base = path.name.lower()
    if name.endswith("/") or base.startswith(".") or "__MACOSX" in path.parts:
        return None
    if not base.endswith(EXTENSIONS):
        return None
    for kind in KIND_ORDER:
        if base.startswith(kind):
            return kind
    return None


def plan(path: str, entities: list[str]) -> Plan:
    """The members to read for ``entities``, in processing order; SourceProblem if unusable."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except FileNotFoundError:
        raise SourceProblem("source_not_found", f"no file at {path}") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceProblem("invalid_zip", f"the source is not a readable zip: {error}") from None
    wanted = {kind for kind, entity in ENTITY_OF_KIND.items() if entity in entities}
    members = sorted(
        (
            Member(info.filename, kind, info.file_size)
            for info in infos
            if (kind := kind_of(info.filename)) in wanted
        ),
        key=lambda member: (KIND_ORDER.index(member.kind), member.name),
    )
    present = {member.kind for member in members}
    missing = [entity for entity in entities if REQUIRED_KIND[entity] not in present]
    if missing:
        raise SourceProblem(
            "entity_file_missing",
            "the zip has no file for: "
            + ", ".join(f"{entity} ({REQUIRED_KIND[entity]}*.jsonl)" for entity in missing),
        )
    return Plan(members)


class BatchReader:
    """Batches from a checkpoint on; one instance per job run, used by one thread at a time."""

    def __init__(
        self,
        path: str,
        plan: Plan,
        *,
        tenant: str,
        job_id: str,
        moment: datetime,
        batch_size: int,
        member_index: int = 0,
        line: int = 0,
        bytes_done: int = 0,
    ) -> None:
        self._path = path
        self._plan = plan
        self._tenant = tenant
        self._job_id = job_id
        self._moment = moment
        self._batch_size = batch_size
        self._member_index = member_index
        self._skip = line
        self._line = 0
        self._bytes_done = bytes_done
        self._archive: zipfile.ZipFile | None = None
        self._lines: Iterator[bytes] | None = None
        self._stream: io.BufferedReader | None = None

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        if self._archive is not None:
            self._archive.close()
            self._archive = None

    def next_batch(self) -> Batch | None:
        """The next batch, or None when every member is read."""
        while self._member_index < len(self._plan.members):
            lines = self._open_current()
            member = self._plan.members[self._member_index]
            batch = Batch(self._member_index, member, self._line, self._bytes_done)
            count = 0
            for raw in lines:
                self._line += 1
                self._bytes_done += len(raw)
                count += 1
                self._parse(batch, self._line, raw)
                if count >= self._batch_size:
                    break
            batch.next_line = self._line
            batch.bytes_done = self._bytes_done
            if count:
                return batch
            self._finish_member()
        self.close()
        return None

    def _open_current(self) -> Iterator[bytes]:
        if self._lines is None:
            member = self._plan.members[self._member_index]
            if self._archive is None:
                self._archive = zipfile.ZipFile(self._path)
            raw = self._archive.open(member.name)
            self._stream = io.BufferedReader(raw, buffer_size=1024 * 1024)  # type: ignore[arg-type]
            self._lines = _lines(self._stream)
            self._line = 0
            while self._line < self._skip and next(self._lines, None) is not None:
                self._line += 1
            self._skip = 0
        return self._lines

    def _finish_member(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._lines = None
        self._member_index += 1
        self._line = 0

    def _parse(self, batch: Batch, line: int, raw: bytes) -> None:
        if raw is _TOO_LONG:
            batch.errors.append(
                LineError(line, "line_too_long", f"a record is longer than {MAX_LINE_BYTES} bytes")
            )
            return
        if not raw.strip():
            return
        if unstorable_escape(raw):
            batch.errors.append(
                LineError(
                    line,
                    "invalid_characters",
                    "a text of the record holds a NUL character or an unpaired UTF-16 surrogate "
                    "(\\u0000, \\ud800…), which no database stores",
                )
            )
            return
        kind = batch.member.kind
        try:
            if kind == PRODUCTS:
                self._product(batch, _read_product(raw))
            elif kind == AVAILABILITIES:
                self._availability(batch, _read_availability(raw))
            else:
                batch.mappings.append((line, _read_mapping(raw)))
        except ValidationError as error:
            batch.errors.append(LineError(line, _code(error), _message(error)))
            return
        except DomainError as error:
            batch.errors.append(LineError(line, error.error_code, error.message))
            return
        batch.records += 1

    def _product(self, batch: Batch, record: ProductRecord) -> None:
        tenant, job_id, moment = self._tenant, self._job_id, self._moment
        product_id = record.product_id
        prices = []
        for index, price in enumerate(record.prices):
            currency = price.currency.upper()
            if not is_currency(currency):
                raise DomainError(
                    f"prices.{index}.currency: {price.currency!r} is not an ISO 4217 currency",
                    code="invalid_currency",
                )
            amount = to_minor(price.value, currency, field=f"prices.{index}.value")
            prices.append((price.pricebook, currency, amount))
        shop, locale = record.shop, record.locale
        batch.products[(shop, locale, product_id)] = {
            "tenant": tenant,
            "shop": shop,
            "locale": locale,
            "product_id": product_id,
            "title": record.title,
            "brand": record.brand,
            "description": record.description,
            "import_id": job_id,
            "updated_at": moment,
        }
        batch.shops.add((shop, locale))
        for pricebook, currency, amount in prices:
            batch.prices[(pricebook, currency, product_id)] = {
                "tenant": tenant,
                "pricebook": pricebook,
                "currency": currency,
                "product_id": product_id,
                "amount": amount,
                "import_id": job_id,
                "updated_at": moment,
            }
            batch.books.add((pricebook, currency))

    def _availability(self, batch: Batch, record: AvailabilityRecord) -> None:
        batch.stock[(record.fulfillment_node_id, record.product_id)] = {
            "tenant": self._tenant,
            "fulfillment_node_id": record.fulfillment_node_id,
            "product_id": record.product_id,
            "on_hand": record.quantity,
            "updated_at": self._moment,
        }


_TOO_LONG = b"\x00too-long\x00"

# The models' compiled validators, called directly: one attribute lookup less per line.
_read_product: Callable[[bytes], ProductRecord] = ProductRecord.__pydantic_validator__.validate_json
_read_availability: Callable[[bytes], AvailabilityRecord] = (
    AvailabilityRecord.__pydantic_validator__.validate_json
)
_read_mapping: Callable[[bytes], StoreMappingRecord] = (
    StoreMappingRecord.__pydantic_validator__.validate_json
)


def _lines(stream: io.BufferedReader) -> Iterator[bytes]:
    """Lines of at most MAX_LINE_BYTES; a longer one is skipped and reported as _TOO_LONG."""
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(MAX_LINE_BYTES)
            yield _TOO_LONG
            continue
        yield raw


def _code(error: ValidationError) -> str:
    kinds = {item["type"] for item in error.errors()}
    return "invalid_json" if "json_invalid" in kinds or "json_type" in kinds else "invalid_record"


def _message(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:5]:
        location = ".".join(str(part) for part in item["loc"]) or "record"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)
