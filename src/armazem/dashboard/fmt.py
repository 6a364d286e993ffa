"""How numbers are shown: money to the cent from exact decimals, counts with separators.

Rounding happens here and only here; queries and charts keep the exact values.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def money(value: Decimal | int | None) -> str:
    """1234567.891 -> '1,234,567.89' (half up, as accountants round); None -> '-'."""
    if value is None:
        return "-"
    return f"{Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP):,}"


def count(value: int | None) -> str:
    return "-" if value is None else f"{int(value):,}"


def change(current: Decimal | int | None, previous: Decimal | int | None) -> str | None:
    """'+12.3% vs previous period', or None when there is nothing to compare with."""
    if current is None or not previous:
        return None
    ratio = (Decimal(current) - Decimal(previous)) / Decimal(previous) * 100
    return f"{ratio:+.1f}% vs previous period"


def size(value: int | None) -> str:
    """Bytes in binary units: 27545675 -> '26.3 MiB'."""
    if value is None:
        return "-"
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(amount) < 1024 or unit == "TiB":
            return f"{amount:,.0f} {unit}" if unit == "B" else f"{amount:,.1f} {unit}"
        amount /= 1024
    raise AssertionError("unreachable")


def month_label(year: int, month: int) -> str:
    return f"{year}-{month:02d}"


def quarter_label(year: int, quarter: int) -> str:
    return f"{year} Q{quarter}"
