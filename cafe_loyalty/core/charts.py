"""Charts for managers, drawn on the server as inline SVG.

Each builder turns figures into a `Chart`: shapes with their coordinates in a
fixed viewBox (the page scales it), axis ticks on round numbers, a legend, a
one-sentence summary for screen readers, and the same figures as a table (the
text alternative, and what a person copies into a spreadsheet). The template
`admin/charts/chart.html` draws any of them; colours come from classes in
static/css/admin.css, so they follow the admin's light and dark themes and
print. No JavaScript.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import count
from typing import Any

Format = Callable[[Any], str]

WIDTH = 560
FONT = 13
_ids = count(1)


@dataclass(frozen=True)
class Tick:
    at: float  # the coordinate along its axis
    text: str


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    label: str  # what a pointer hover (SVG <title>) says: "10:00 · NT$1,200"
    value_text: str = ""  # written beside the bar (horizontal bars)
    text_x: float = 0
    text_y: float = 0
    whisker: str = ""  # SVG path of the bar's error bar (its confidence interval), if it has one


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    width: float
    height: float
    level: int  # 0 (none) … 5 (most); None values are drawn empty
    text: str
    label: str


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # the first cell of each row is its header


@dataclass
class Chart:
    kind: str  # bars | hbars | line | heat
    title: str
    summary: str
    table: Table
    height: float
    width: float = WIDTH
    ident: str = field(default_factory=lambda: f"chart-{next(_ids)}")
    plot: tuple[float, float, float, float] = (0, 0, 0, 0)  # left, top, right, bottom
    bars: list[Bar] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    legend: list[tuple[int, str]] = field(default_factory=list)
    line: str = ""  # polyline points
    area: str = ""  # closed path under the line
    dots: list[tuple[float, float, str]] = field(default_factory=list)
    empty: bool = False

    @property
    def font(self) -> int:
        return FONT


def nice_ticks(top: float, *, wanted: int = 4) -> list[float]:
    """0 and round steps (1, 2 or 5 × 10ⁿ) up to at least `top`."""
    if top <= 0:
        return [0, 1]
    raw = top / wanted
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return [step * i for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _legend(series: Sequence[tuple[str, Sequence[float]]]) -> list[tuple[int, str]]:
    return [(i, name) for i, (name, _) in enumerate(series)] if len(series) > 1 else []


def _table(first: str, categories: Sequence[str], series: Sequence[tuple[str, Sequence[Any]]], fmt: Format) -> Table:
    return Table(
        headers=[first, *(name for name, _ in series)],
        rows=[[category, *(fmt(values[i]) for _, values in series)] for i, category in enumerate(categories)],
    )


Range = tuple[float, float] | None  # a value's interval (low, high); None where it has none


def _range_text(interval: Range, fmt: Format) -> str:
    return "—" if interval is None else f"{fmt(interval[0])}–{fmt(interval[1])}"


def _with_ranges(table: Table, errors: Sequence[Sequence[Range]], header: str, fmt: Format) -> Table:
    """The table with each series' interval in the column after its value:
    a reader without the picture gets the error bars too."""
    headers = [table.headers[0]]
    for name in table.headers[1:]:
        headers += [name, f"{name}: {header}" if len(errors) > 1 else header]
    rows = []
    for i, row in enumerate(table.rows):
        cells = [row[0]]
        for s, value in enumerate(row[1:]):
            cells += [value, _range_text(errors[s][i], fmt)]
        rows.append(cells)
    return Table(headers=headers, rows=rows)


def bar_chart(
    *,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    fmt: Format = str,
    category_header: str = "",
    label_every: int = 1,
    height: float = 240,
) -> Chart:
    """Vertical bars, one group per category and one bar per series in it."""
    left, top, right, bottom = 72.0, 12.0, WIDTH - 8.0, height - 28.0
    top_value = max((v for _, values in series for v in values), default=0)
    ticks = nice_ticks(top_value)
    scale = (bottom - top) / ticks[-1]
    slot = (right - left) / max(len(categories), 1)
    gap = slot * 0.2
    bar_width = (slot - gap) / max(len(series), 1)
    chart = Chart(
        kind="bars",
        title=title,
        summary=summary,
        table=_table(category_header, categories, series, fmt),
        height=height,
        plot=(left, top, right, bottom),
        legend=_legend(series),
        empty=top_value <= 0,
    )
    chart.y_ticks = [Tick(bottom - t * scale, fmt(t)) for t in ticks]
    for i, category in enumerate(categories):
        if i % label_every == 0:
            chart.x_ticks.append(Tick(left + slot * i + slot / 2, category))
        for s, (name, values) in enumerate(series):
            h = values[i] * scale
            what = f"{category} · {name}: {fmt(values[i])}" if len(series) > 1 else f"{category}: {fmt(values[i])}"
            chart.bars.append(Bar(left + slot * i + gap / 2 + s * bar_width, bottom - h, bar_width, h, s, what))
    return chart


def hbar_chart(
    *,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    fmt: Format = str,
    category_header: str = "",
    label_width: float = 190,
    errors: Sequence[Sequence[Range]] | None = None,
    error_header: str = "",
) -> Chart:
    """Horizontal bars: long category names (segments, campaigns) stay readable.
    `errors`, per series and category, draws each value's interval (say a 95 %
    confidence range) as an error bar across the end of its bar."""
    row = 14.0 * len(series) + 10
    legend_room = 22.0 if len(series) > 1 else 0
    height = row * len(categories) + 16 + legend_room
    left, top, right = label_width, 8.0 + legend_room, WIDTH - 96.0
    highs = (interval[1] for ranges in errors or [] for interval in ranges if interval is not None)
    top_value = max((*(v for _, values in series for v in values), *highs), default=0)
    scale = (right - left) / (top_value or 1)
    table = _table(category_header, categories, series, fmt)
    chart = Chart(
        kind="hbars",
        title=title,
        summary=summary,
        table=_with_ranges(table, errors, error_header, fmt) if errors else table,
        height=height,
        plot=(left, top, right, top + row * len(categories)),
        legend=_legend(series),
        empty=top_value <= 0,
    )
    for i, category in enumerate(categories):
        y0 = top + row * i + 5
        chart.x_ticks.append(Tick(y0 + (row - 10) / 2, category))  # category labels, left of the bars
        for s, (name, values) in enumerate(series):
            w = values[i] * scale
            y = y0 + s * 14
            what = f"{category} · {name}: {fmt(values[i])}" if len(series) > 1 else f"{category}: {fmt(values[i])}"
            interval = errors[s][i] if errors else None
            whisker, text_x = "", left + w + 4
            if interval is not None:
                low, high = left + interval[0] * scale, left + interval[1] * scale
                mid = y + 6
                whisker = f"M{low:.1f},{mid - 5:.1f}v10M{low:.1f},{mid:.1f}H{high:.1f}M{high:.1f},{mid - 5:.1f}v10"
                what += f" ({_range_text(interval, fmt)})"
                text_x = max(text_x, high + 4)
            chart.bars.append(
                Bar(left, y, w, 12, s, what, value_text=fmt(values[i]), text_x=text_x, text_y=y + 10, whisker=whisker)
            )
    return chart


def line_chart(
    *,
    title: str,
    summary: str,
    labels: Sequence[str],
    values: Sequence[float],
    fmt: Format = str,
    value_header: str = "",
    category_header: str = "",
    label_every: int = 1,
    height: float = 220,
) -> Chart:
    """One line over time, with the area under it shaded."""
    left, top, right, bottom = 84.0, 12.0, WIDTH - 12.0, height - 28.0
    ticks = nice_ticks(max(values, default=0))
    scale = (bottom - top) / ticks[-1]
    step = (right - left) / max(len(values) - 1, 1)
    points = [(left + i * step, bottom - v * scale) for i, v in enumerate(values)]
    chart = Chart(
        kind="line",
        title=title,
        summary=summary,
        table=_table(category_header, labels, [(value_header, values)], fmt),
        height=height,
        plot=(left, top, right, bottom),
        empty=not values,
    )
    chart.y_ticks = [Tick(bottom - t * scale, fmt(t)) for t in ticks]
    chart.x_ticks = [Tick(points[i][0], label) for i, label in enumerate(labels) if i % label_every == 0]
    chart.line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    if points:
        chart.area = f"M{points[0][0]:.1f},{bottom} L" + " L".join(f"{x:.1f},{y:.1f}" for x, y in points)
        chart.area += f" L{points[-1][0]:.1f},{bottom} Z"
    chart.dots = [(x, y, f"{labels[i]}: {fmt(values[i])}") for i, (x, y) in enumerate(points)]
    return chart


def heat_map(
    *,
    title: str,
    summary: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    fmt: Format,
    row_header: str = "",
    extra_column: tuple[str, Sequence[str]] | None = None,
    top: float = 1.0,
) -> Chart:
    """A grid of values from 0 to `top` (by default shares, 0–1): darker is
    more; None is a cell not yet possible. Counts pass their largest as `top`."""
    label_width, cell_w, cell_h, head = 150.0, (WIDTH - 150.0) / max(len(columns), 1), 30.0, 22.0
    chart = Chart(
        kind="heat",
        title=title,
        summary=summary,
        table=Table(
            headers=[row_header, *([extra_column[0]] if extra_column else []), *columns],
            rows=[
                [
                    name,
                    *([extra_column[1][r]] if extra_column else []),
                    *(fmt(v) if v is not None else "—" for v in line),
                ]
                for r, (name, line) in enumerate(zip(rows, values, strict=True))
            ],
        ),
        height=head + cell_h * len(rows) + 4,
        plot=(label_width, head, WIDTH, head + cell_h * len(rows)),
    )
    chart.x_ticks = [Tick(label_width + cell_w * c + cell_w / 2, name) for c, name in enumerate(columns)]
    chart.y_ticks = [Tick(head + cell_h * r + cell_h / 2 + 4, name) for r, name in enumerate(rows)]
    for r, line in enumerate(values):
        for c, value in enumerate(line):
            share = 0 if value is None or top <= 0 else value / top
            level = min(5, 1 + int(share * 5 - 1e-9)) if share > 0 else 0
            text = "" if value is None else fmt(value)
            chart.cells.append(
                Cell(
                    label_width + cell_w * c + 1,
                    head + cell_h * r + 1,
                    cell_w - 2,
                    cell_h - 2,
                    level if value is not None else -1,
                    text,
                    f"{rows[r]} · {columns[c]}: {text or '—'}",
                )
            )
    return chart
