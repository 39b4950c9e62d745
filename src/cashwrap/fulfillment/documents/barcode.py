"""Code 128 (code set B), drawn as bars: what carriers print for a tracking code.

A symbol is six alternating bar/space widths (in modules) summing to 11; the stop symbol has a
seventh, final bar. The check symbol is (start value + Σ position × value) mod 103.
"""

from __future__ import annotations

# Widths of the symbols 0–106 (ISO/IEC 15417), bar first.
_WIDTHS = (  # noqa: SIM905 - the standard's table, ten symbols a line
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 "
    "221312 231212 112232 122132 122231 113222 123122 123221 223211 221132 "
    "221231 213212 223112 312131 311222 321122 321221 312212 322112 322211 "
    "212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 "
    "231113 231311 112133 112331 132131 113123 113321 133121 313121 211331 "
    "231131 213113 213311 213131 311123 311321 331121 312113 312311 332111 "
    "314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 "
    "112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 "
    "111242 121142 121241 114212 124112 124211 411212 421112 421211 212141 "
    "214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 "
    "114131 311141 411131 211412 211214 211232 2331112"
).split()
START_B = 104
STOP = 106
QUIET_ZONE = 10
"""Modules of white on each side, as the standard asks."""


def symbol_values(text: str) -> list[int]:
    """Start B, the characters, the check symbol and stop, as symbol values."""
    if not text:
        raise ValueError("a barcode needs at least one character")
    values = [START_B]
    for char in text:
        code = ord(char)
        if not 32 <= code <= 126:
            raise ValueError(f"{char!r} cannot be encoded in Code 128 set B")
        values.append(code - 32)
    check = (START_B + sum(position * value for position, value in enumerate(values[1:], 1))) % 103
    return [*values, check, STOP]


def modules(text: str) -> list[tuple[bool, int]]:
    """The barcode as runs of (is_bar, width in modules), quiet zones excluded."""
    runs: list[tuple[bool, int]] = []
    for value in symbol_values(text):
        for index, width in enumerate(_WIDTHS[value]):
            runs.append((index % 2 == 0, int(width)))
    return runs


def decode(runs: list[tuple[bool, int]]) -> str:
    """Read runs back into text (checks start, check symbol and stop): tests and scanners'
    stand-in."""
    widths = "".join(str(width) for _, width in runs)
    table = {pattern: value for value, pattern in enumerate(_WIDTHS)}
    symbols = [table[widths[i : i + 6]] for i in range(0, len(widths) - 7, 6)]
    if widths[-7:] != _WIDTHS[STOP] or not symbols or symbols[0] != START_B:
        raise ValueError("not a Code 128 set B barcode")
    *data, check = symbols[1:]
    if (START_B + sum(i * v for i, v in enumerate(data, 1))) % 103 != check:
        raise ValueError("the check symbol does not match")
    return "".join(chr(value + 32) for value in data)
