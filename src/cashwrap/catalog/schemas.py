"""Wire payloads of the Import Data API and the records an import file holds.

The create-job body is not published by NewStore (reference g.1); the fields below are the
ones integrators send (``provider``, ``source_uri``, ``entities``, ``full_import``, plus the
optional ``name`` and ``revision``), and the start body is the integrators' ``transformed_uri``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from cashwrap.core.clock import known_timezone

ENTITIES = ("products", "availabilities")
Entity = Literal["products", "availabilities"]
DEFAULT_SHOP = "storefront-catalog-en"
DEFAULT_LOCALE = "en-US"
DEFAULT_PRICEBOOK = "default"

Text128 = Annotated[str, Field(min_length=1, max_length=128)]
ProductId = Annotated[str, Field(min_length=1, max_length=255)]
NodeId = Annotated[str, Field(min_length=1, max_length=128)]


class ImportJobCreate(BaseModel):
    """``POST /v0/d/import``."""

    model_config = ConfigDict(extra="forbid")

    provider: Text128 = Field(description="Who produced the file (free text, e.g. the OMS name).")
    source_uri: str = Field(
        min_length=1,
        max_length=4096,
        description="Zip to import: file:///abs/path.zip, a server-local path, or http(s)://.",
    )
    entities: list[Entity] = Field(min_length=1, max_length=len(ENTITIES))
    full_import: bool = Field(
        default=False,
        description="Products only: remove the products and prices this import does not carry.",
    )
    name: str | None = Field(default=None, max_length=256)
    revision: int | None = Field(default=None, ge=0, description="Accepted and ignored.")

    @field_validator("entities")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("entities must not repeat")
        return value


class ImportJobStart(BaseModel):
    """``POST /v0/d/import/{id}/start``: the body is optional."""

    model_config = ConfigDict(extra="forbid")

    transformed_uri: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="Read this zip instead of source_uri (what integrators upload).",
    )


class ImportCounts(BaseModel):
    processed: int
    imported: int
    failed: int
    locations_created: int
    products_removed: int


class ImportProgress(BaseModel):
    bytes_total: int | None
    bytes_done: int


class ImportRecordProblem(BaseModel):
    entity: str
    file: str
    line: int
    error_code: str
    message: str


class ImportFailure(BaseModel):
    error_code: str
    message: str


class ImportJobResponse(BaseModel):
    id: str
    provider: str
    name: str | None
    source_uri: str
    transformed_uri: str | None
    entities: list[str]
    full_import: bool
    status: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: ImportCounts
    progress: ImportProgress
    errors: list[ImportRecordProblem]
    errors_truncated: bool
    failure: ImportFailure | None


class ImportJobList(BaseModel):
    items: list[ImportJobResponse]


# --- records of the import files (one JSON object per line) ---------------------------------


class PriceRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    pricebook: Text128 = DEFAULT_PRICEBOOK
    currency: str = Field(min_length=3, max_length=3)
    value: Decimal = Field(description="Decimal amount, at most the currency's decimals.")


class ProductRecord(BaseModel):
    """A line of a ``products*.jsonl`` file. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")

    product_id: ProductId
    title: str = Field(min_length=1, max_length=512)
    shop: Text128 = DEFAULT_SHOP
    locale: str = Field(default=DEFAULT_LOCALE, min_length=2, max_length=32)
    brand: str | None = Field(default=None, max_length=256)
    description: str | None = None
    prices: list[PriceRecord] = Field(default_factory=list, max_length=100)


class AvailabilityRecord(BaseModel):
    """A line of an ``availabilities*.jsonl`` file: absolute units on hand."""

    model_config = ConfigDict(extra="ignore")

    fulfillment_node_id: NodeId
    product_id: ProductId
    quantity: StrictInt = Field(ge=0, le=2_000_000_000)


class StoreMappingRecord(BaseModel):
    """A line of a ``store_mapping*.jsonl`` file: which store a fulfillment node is."""

    model_config = ConfigDict(extra="ignore")

    store_id: Text128
    fulfillment_node_id: NodeId
    country_code: str = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$")
    description: str | None = Field(default=None, max_length=256)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        return known_timezone(value)
