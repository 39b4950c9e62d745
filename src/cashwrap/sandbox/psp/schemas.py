"""Request bodies of the payment provider contract, as the sandbox PSP validates them.

Amounts are decimal numbers in the currency's unit (``12.5`` USD), as in NewStore's payloads;
the sandbox converts them to minor units and refuses more decimals than the currency has.
Members the contract does not name are ignored, so a provider can be sent more than it needs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cashwrap.core.money import is_currency

IdempotencyKey = Annotated[str, Field(min_length=1, max_length=256)]
PositiveAmount = Annotated[Decimal, Field(gt=0, max_digits=20)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")

    idempotency_key: IdempotencyKey


class _Money(_Body):
    amount: PositiveAmount
    currency: Annotated[str, Field(min_length=3, max_length=3)]

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        if not is_currency(value):
            raise ValueError(f"{value!r} is not an ISO 4217 currency")
        return value.upper()


class CreateInstrument(_Money):
    identifier: Annotated[str, Field(min_length=1, max_length=128)]
    account_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    payment_method: Annotated[str, Field(min_length=1, max_length=64)]
    payment_wallet: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    token: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    metadata: Annotated[dict[str, Any], Field(max_length=100)] | None = None


class Capture(_Money):
    pass


class Refund(_Money):
    reason: Annotated[str, Field(max_length=256)] | None = None


class Revoke(_Body):
    amount: PositiveAmount | None = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    reason: Annotated[str, Field(max_length=256)] | None = None
