"""Stacked bar charts drawn as inline SVG by the server.

Written here rather than taken from a library: a chart is a few rectangles and labels, and
inline SVG needs no JavaScript, prints, and works on hospital networks without internet.
The geometry is computed here; ``core/_bar_chart.html`` draws it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 720
HEIGHT = 260
LEFT = 44  # room for the value axis labels
BOTTOM = 28  # room for the category labels
TOP = 12
PALETTE = ("#1f5f8b", "#e39b2d", "#5a9e6f", "#a0466a", "#7b6cb0", "#8c8c8c")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | float]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    color: str
    title: str


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    width: int
    height: int
    rects: list[Rect]
    category_labels: list[Label]
    value_labels: list[Label]
    gridlines: list[float]
    legend: list[tuple[str, str]]
    marker_x: float | None
    marker_label: str

    @property
    def plot_left(self) -> int:
        return LEFT

    @property
    def plot_right(self) -> int:
        return self.width


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (so the axis reads in round steps)."""
    if value <= 0:
        return 1
    magnitude = 1.0
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def stacked_bars(
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    marker_before: int | None = None,
    marker_label: str = "",
) -> BarChart:
    """Bars per category with the series stacked; ``marker_before`` draws a dashed line
    before that category (a conversion date, say)."""
    count = max(len(categories), 1)
    totals = [sum(s.values[i] for s in series) for i in range(len(categories))]
    top = _nice_top(max(totals, default=0))
    plot_height = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT) / count
    bar = slot * 0.7
    rects: list[Rect] = []
    for index, category in enumerate(categories):
        x = LEFT + index * slot + (slot - bar) / 2
        base = HEIGHT - BOTTOM
        for number, one in enumerate(series):
            value = one.values[index]
            if not value:
                continue
            height = plot_height * value / top
            base -= height
            rects.append(
                Rect(x, base, bar, height, PALETTE[number % len(PALETTE)], f"{category}: {value} {one.name}")
            )
    category_labels = [
        Label(LEFT + index * slot + slot / 2, HEIGHT - BOTTOM + 16, category)
        for index, category in enumerate(categories)
    ]
    steps = 4
    value_labels = [
        Label(LEFT - 6, HEIGHT - BOTTOM - plot_height * step / steps + 4, f"{top * step / steps:g}")
        for step in range(steps + 1)
    ]
    gridlines = [HEIGHT - BOTTOM - plot_height * step / steps for step in range(steps + 1)]
    marker_x = LEFT + marker_before * slot if marker_before is not None else None
    legend = [(one.name, PALETTE[number % len(PALETTE)]) for number, one in enumerate(series)]
    return BarChart(
        title, WIDTH, HEIGHT, rects, category_labels, value_labels, gridlines, legend, marker_x, marker_label
    )
