"""How numbers are shown: money to the cent from exact decimals, counts with separators.

Rounding happens here and only here; queries and charts keep the exact values.
"""

from __future__ import annotations

from datetime import date
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
    """'+12.3% vs previous period', or None when there is nothing to compare with. The change is
    relative to the previous value's size, so a loss that shrinks is a rise (-100 -> -50: +50%)."""
    if current is None or not previous:
        return None
    ratio = (Decimal(current) - Decimal(previous)) / abs(Decimal(previous)) * 100
    return f"{ratio:+.1f}% vs previous period"


def percent(ratio: float | Decimal | None, digits: int = 1) -> str:
    """0.8529 -> '85.3%'; None (no denominator) -> '-'."""
    return "-" if ratio is None else f"{float(ratio):.{digits}%}"


def number(value: float | Decimal | None, digits: int = 1) -> str:
    """1234.56 -> '1,234.6'; None -> '-'."""
    return "-" if value is None else f"{float(value):,.{digits}f}"


def hours(minutes: float | Decimal | None) -> str:
    """A duration in minutes as hours: 1947 -> '32.5 h'; None -> '-'."""
    return "-" if minutes is None else f"{float(minutes) / 60:,.1f} h"


def month(day: date) -> str:
    """The month a day falls in: 2024-05-17 -> '2024-05'."""
    return f"{day.year}-{day.month:02d}"


def hours_change(current: float | None, previous: float | None) -> str | None:
    """A change of a duration in minutes, in hours: '+1.5 h vs previous period'."""
    if current is None or previous is None:
        return None
    return f"{(float(current) - float(previous)) / 60:+,.1f} h vs previous period"


def points_change(current: float | None, previous: float | None) -> str | None:
    """A change of a ratio in percentage points: '-2.1 pts vs previous period' (a relative
    change of a rate says little)."""
    if current is None or previous is None:
        return None
    return f"{(float(current) - float(previous)) * 100:+.1f} pts vs previous period"


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
