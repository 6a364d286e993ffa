"""Plotly figures for the pages: plain functions from lists to figures, no Streamlit here.

Values arrive exact (Decimal) and are drawn as floats: a chart is read by eye, the tables and
KPIs beside it carry the exact figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go

HEIGHT = 340
MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}


def _numbers(values: Sequence[Any]) -> list[float]:
    return [float(v) if isinstance(v, Decimal) else v for v in values]


def _layout(
    figure: go.Figure, title: str, height: int = HEIGHT, unified: bool = False, **extra: Any
) -> go.Figure:
    figure.update_layout(
        title={"text": title, "x": 0},
        height=height,
        margin=MARGIN,
        hovermode="x unified" if unified else "closest",
        **extra,
    )
    return figure


def line(x: Sequence[Any], y: Sequence[Any], title: str, y_title: str = "") -> go.Figure:
    figure = go.Figure(go.Scatter(x=list(x), y=_numbers(y), mode="lines+markers", name=y_title))
    return _layout(figure, title, yaxis_title=y_title, unified=True)


def lines(x: Sequence[Any], series: dict[str, Sequence[Any]], title: str) -> go.Figure:
    figure = go.Figure(
        [go.Scatter(x=list(x), y=_numbers(v), mode="lines", name=k) for k, v in series.items()]
    )
    return _layout(figure, title, unified=True, legend={"orientation": "h", "y": -0.15})


def donut(labels: Sequence[str], values: Sequence[Any], title: str) -> go.Figure:
    figure = go.Figure(
        go.Pie(
            labels=list(labels),
            values=_numbers(values),
            hole=0.45,
            sort=False,
            textinfo="percent",
            textposition="inside",
        )
    )
    return _layout(figure, title, legend={"orientation": "h", "y": -0.1})


def bars(
    x: Sequence[Any],
    y: Sequence[Any],
    title: str,
    horizontal: bool = False,
    value_title: str = "",
) -> go.Figure:
    """Vertical bars of y over x, or horizontal bars of y (values) along x (labels)."""
    if horizontal:
        labels, values = list(x)[::-1], _numbers(y)[::-1]  # largest on top
        figure = go.Figure(go.Bar(x=values, y=labels, orientation="h"))
        height = max(HEIGHT, 22 * len(labels) + 80)
        return _layout(figure, title, height=height, xaxis_title=value_title)
    labels = list(x)
    if all(isinstance(v, date) for v in labels):  # a time axis
        return _layout(go.Figure(go.Bar(x=labels, y=_numbers(y))), title, yaxis_title=value_title)
    figure = go.Figure(go.Bar(x=[str(v) for v in labels], y=_numbers(y)))
    return _layout(figure, title, yaxis_title=value_title, xaxis_type="category")


def grouped_bars(
    x: Sequence[Any], series: dict[str, Sequence[Any]], title: str, stacked: bool = False
) -> go.Figure:
    figure = go.Figure(
        [go.Bar(x=[str(v) for v in x], y=_numbers(v), name=k) for k, v in series.items()]
    )
    return _layout(
        figure,
        title,
        barmode="stack" if stacked else "group",
        xaxis_type="category",
        legend={"orientation": "h", "y": -0.2},
    )


def forecast(
    x: Sequence[Any],
    actual: Sequence[Any],
    predicted: Sequence[Any],
    lower: Sequence[Any],
    upper: Sequence[Any],
    title: str,
) -> go.Figure:
    """Actual values, the model's line and its interval as a band (None where a series has no
    value, e.g. the actual values of months ahead)."""
    x = list(x)
    figure = go.Figure(
        [
            go.Scatter(x=x, y=_numbers(upper), mode="lines", line={"width": 0},
                       showlegend=False, hoverinfo="skip"),
            go.Scatter(x=x, y=_numbers(lower), mode="lines", line={"width": 0}, fill="tonexty",
                       name="95 % interval", fillcolor="rgba(99, 110, 250, 0.2)"),
            go.Scatter(x=x, y=_numbers(predicted), mode="lines", name="forecast",
                       line={"dash": "dash"}),
            go.Scatter(x=x, y=_numbers(actual), mode="lines+markers", name="actual"),
        ]
    )  # fmt: skip
    return _layout(figure, title, unified=True, legend={"orientation": "h", "y": -0.15})
