"""Money as an integer of minor units plus an ISO 4217 currency.

The wire carries decimal amounts (``108.88``); the database and every computation carry minor
units (``10888``). Conversion refuses an amount with more decimals than its currency has, which
is also the contract's rule for injected orders.

An amount is at most :data:`LARGEST_AMOUNT` minor units, so that a whole order's sums (ten
thousand units, each with its price, tax and discount) stay within the 64-bit integers both
databases store.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from cashwrap.core.errors import InvalidInput

# ISO 4217 minor units where they differ from 2. Every other active code has 2.
_MINOR_UNITS: dict[str, int] = {
    "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0,
    "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
    "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    "CLF": 4, "UYW": 4,
}  # fmt: skip

# Active ISO 4217 alphabetic codes (the injection schema's currency enum).
_CURRENCY_CODES = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL
    BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF
    DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG
    HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP
    LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN
    NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG
    SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
    UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL
"""
CURRENCIES: frozenset[str] = frozenset(_CURRENCY_CODES.split())

LARGEST_AMOUNT = 10**13
"""Minor units: 100 billion in a currency of two decimals, far beyond any real sale."""


def minor_units(currency: str) -> int:
    """How many decimals ``currency`` has (2 for USD, 0 for JPY, 3 for KWD)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def is_currency(code: str) -> bool:
    return code.upper() in CURRENCIES


def to_minor(amount: Decimal | float | int | str, currency: str, *, field: str = "amount") -> int:
    """Convert a decimal amount to minor units, refusing more decimals than the currency has."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise InvalidInput(f"{field}: {amount!r} is not a number", code="invalid_amount") from None
    if not value.is_finite():
        raise InvalidInput(f"{field}: {amount!r} is not a number", code="invalid_amount")
    digits = minor_units(currency)
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(
            f"{field}: {amount} has more decimals than {currency.upper()} allows ({digits})",
            code="invalid_currency_decimals",
        )
    if abs(scaled) > LARGEST_AMOUNT:
        raise InvalidInput(
            f"{field}: {amount} is beyond the largest amount the platform keeps "
            f"({from_minor(LARGEST_AMOUNT, currency)} {currency.upper()})",
            code="invalid_amount",
        )
    return int(scaled)


def from_minor(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-minor_units(currency))


def to_wire(amount: int, currency: str) -> float:
    """Minor units as the JSON number the contract's payloads carry (``10888`` → ``108.88``)."""
    return float(from_minor(amount, currency))
