"""Chart geometry for the weekly report: plain functions from report data to numbers and points.

The SVG is drawn by templates (`templates/reports/_charts.html`) from what these return, so the
arithmetic can be tested without parsing markup and the markup stays readable. Coordinates are
SVG user units (y grows downwards); the templates give each chart a `viewBox` of the frame's
size and let CSS scale it to the page or to A4.

No charting library: none that is kept up and renders SVG without scripts also leaves out inline
`<style>` (which the app's Content-Security-Policy refuses) and lets us tie each chart to a
caption, a legend and a data table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tracker.reports.shapes import FlowWeek, StageDuration

# One colour per stage, in board order, repeating after eight. Each has at least 3:1 contrast
# against white (WCAG 1.4.11, graphical objects); neighbours differ in hue and lightness, and
# the areas are separated by white lines, so a stage never needs its colour to be told apart:
# the legend, the order of the bands and the data table all name it.
STAGE_COLOURS = (
    "#2a7fb8",  # blue
    "#7b3fa0",  # purple
    "#c2185b",  # magenta
    "#b35c00",  # orange
    "#5d8a1e",  # green
    "#0f7c6c",  # teal
    "#1f4e79",  # navy
    "#6b7580",  # slate
)
BAR_COLOUR = "#1f4e79"
MARK_COLOUR = "#1b1f23"


@dataclass(frozen=True)
class Frame:
    """A chart's drawing area: the whole SVG and the plot inside its margins."""

    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float

    @property
    def plot_left(self) -> float:
        return self.left

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    @property
    def plot_top(self) -> float:
        return self.top

    @property
    def plot_bottom(self) -> float:
        return self.height - self.bottom

    @property
    def plot_width(self) -> float:
        return self.plot_right - self.plot_left

    @property
    def plot_height(self) -> float:
        return self.plot_bottom - self.plot_top


FLOW_FRAME = Frame(width=720, height=330, left=48, right=28, top=16, bottom=58)


def stage_colour(index: int) -> str:
    return STAGE_COLOURS[index % len(STAGE_COLOURS)]


def nice_ticks(maximum: float, target: int = 5) -> list[float]:
    """Axis ticks from 0 to at least `maximum`, on a step of 1, 2 or 5 × 10ⁿ, about `target`
    intervals. Whole numbers stay whole (a count axis never shows 2.5 initiatives) unless the
    maximum itself is below 1."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if maximum >= 1:
        step = max(step, 1)
    count = math.ceil(maximum / step - 1e-9)
    ticks = [round(i * step, 10) for i in range(count + 1)]
    return [int(t) if float(t).is_integer() else t for t in ticks]


def stack(series: Sequence[Sequence[float]]) -> list[list[tuple[float, float]]]:
    """Stack per-layer values: for each layer and each point, its (base, top) sums. Layer 0 sits
    on zero; each next layer starts where the one before ended, so bands never overlap."""
    if not series:
        return []
    running = [0.0] * len(series[0])
    stacked = []
    for values in series:
        layer = []
        for i, value in enumerate(values):
            base = running[i]
            running[i] = base + max(value, 0)
            layer.append((base, running[i]))
        stacked.append(layer)
    return stacked


def cumulative_flow(flow: list[FlowWeek], frame: Frame = FLOW_FRAME) -> dict[str, Any]:
    """Geometry of the cumulative flow diagram from `report["cumulative_flow"]`.

    One band per stage, stacked in reverse board order so that, read from the top, the bands
    follow the board from left to right (arrivals on top, the last stages at the bottom, as a
    cumulative flow diagram is read). Returns the frame, x positions and labels of the weeks, y
    ticks with their positions, and per stage (in board order) its colour, counts and the
    polygon of its band: the top edge left to right, then the base right to left.
    """
    stages = [s["stage"] for s in flow[0]["stages"]] if flow else []
    counts = [[week["stages"][i]["count"] for week in flow] for i in range(len(stages))]
    order = list(range(len(stages)))[::-1]  # bottom band first
    stacked = stack([counts[i] for i in order])
    totals = [top for _, top in stacked[-1]] if stacked else []
    ticks = nice_ticks(max(totals, default=0))
    scale = frame.plot_height / ticks[-1]

    def x_of(index: int) -> float:
        if len(flow) == 1:
            return round(frame.plot_left + frame.plot_width / 2, 2)
        return round(frame.plot_left + index * frame.plot_width / (len(flow) - 1), 2)

    def y_of(value: float) -> float:
        return round(frame.plot_bottom - value * scale, 2)

    xs = [x_of(i) for i in range(len(flow))]
    layers: list[dict[str, Any]] = [{} for _ in stages]
    for position, stage_index in enumerate(order):
        bands = stacked[position]
        top = [(xs[i], y_of(t)) for i, (_, t) in enumerate(bands)]
        base = [(xs[i], y_of(b)) for i, (b, _) in enumerate(bands)]
        layers[stage_index] = {
            "stage": stages[stage_index],
            "colour": stage_colour(stage_index),
            "counts": counts[stage_index],
            "top": top,
            "base": base,
            "points": " ".join(f"{x:g},{y:g}" for x, y in top + base[::-1]),
        }
    return {
        "frame": frame,
        "weeks": [
            {"x": xs[i], "week": week["week"], "week_ending": week["week_ending"]}
            for i, week in enumerate(flow)
        ],
        "y_ticks": [{"value": t, "y": y_of(t)} for t in ticks],
        "totals": totals,
        "layers": layers,
        # Top band first: the legend lists stages as the bands read from the top.
        "legend": layers,
    }


def duration_frame(rows: int) -> Frame:
    """A frame tall enough for `rows` bars (the stage names sit in the left margin)."""
    return Frame(
        width=720, height=40 + 30 * max(rows, 1) + 34, left=170, right=150, top=12, bottom=34
    )


def stage_durations(durations: list[StageDuration], frame: Frame | None = None) -> dict[str, Any]:
    """Geometry of the time-in-stage chart from `report["stage_durations"]`: one horizontal
    bar per stage, its length the mean days, with a mark at the longest stint. Bars and marks
    share one scale (zero at the plot's left edge), so lengths are proportional to days."""
    frame = frame or duration_frame(len(durations))
    ticks = nice_ticks(max((r["max_days"] for r in durations), default=0))
    scale = frame.plot_width / ticks[-1]
    band = frame.plot_height / max(len(durations), 1)
    bar_height = round(min(band * 0.6, 18), 2)

    def x_of(days: float) -> float:
        return round(frame.plot_left + days * scale, 2)

    rows = []
    for index, row in enumerate(durations):
        middle = frame.plot_top + band * (index + 0.5)
        mean_x, max_x = x_of(row["mean_days"]), x_of(row["max_days"])
        rows.append(
            {
                "stage": row["stage"],
                "initiatives": row["initiatives"],
                "mean_days": row["mean_days"],
                "max_days": row["max_days"],
                "y": round(middle - bar_height / 2, 2),
                "middle": round(middle, 2),
                "height": bar_height,
                "x": frame.plot_left,
                "width": round(mean_x - frame.plot_left, 2),
                "max_x": max_x,
                "label_x": round(max(mean_x, max_x) + 10, 2),
            }
        )
    return {
        "frame": frame,
        "rows": rows,
        "x_ticks": [{"value": t, "x": x_of(t)} for t in ticks],
        "bar_colour": BAR_COLOUR,
        "mark_colour": MARK_COLOUR,
    }
