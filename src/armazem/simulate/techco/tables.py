"""Small helpers that turn NumPy columns into Arrow tables (NaT and NaN become nulls) and cut a
timeline at a day."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa


def column(values: Any, kind: pa.DataType | None = None) -> pa.Array:
    """A NumPy column as Arrow; NaT (dates, times) and NaN (floats) are nulls."""
    array = np.asarray(values)
    mask = None
    if array.dtype.kind == "M":
        mask = np.isnat(array)
    elif array.dtype.kind == "f":
        mask = np.isnan(array)
        if kind is not None and pa.types.is_integer(kind):
            array = np.where(mask, 0, array).astype(np.int64)
    elif array.dtype.kind == "O":
        return pa.array(list(array), kind)
    return pa.array(array, kind, mask=mask if mask is not None and mask.any() else None)


def table(columns: dict[str, Any], types: dict[str, pa.DataType] | None = None) -> pa.Table:
    types = types or {}
    return pa.table({name: column(v, types.get(name)) for name, v in columns.items()})


def nat(n: int, unit: str = "D") -> np.ndarray:
    return np.full(n, np.datetime64("NaT", unit))


def before(when: np.ndarray, as_of: np.datetime64) -> np.ndarray:
    """Which times are on or before the day `as_of` (the whole day counts); NaT is not."""
    end = (as_of.astype("datetime64[D]") + 1).astype(when.dtype)
    return ~np.isnat(when) & (when < end)


def group_last(groups: np.ndarray, order: np.ndarray, size: int) -> np.ndarray:
    """For rows sorted by `order` within `groups` (ids 0..size-1), the index of each group's last
    row, -1 for a group with none."""
    last = np.full(size, -1)
    idx = np.lexsort((order, groups))
    last[groups[idx]] = idx  # later rows overwrite earlier ones: the last one stays
    return last


def texts(*parts: Any) -> np.ndarray:
    """Element-wise concatenation of arrays and strings, as text."""
    result = np.asarray(parts[0]).astype(str)
    for part in parts[1:]:
        result = np.char.add(result, np.asarray(part).astype(str))
    return result
