"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable without colour."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

COLOURS = {
    "answered": "#2e7d32",
    "unanswered": "#e65100",
    "other": "#757575",
    "opened": "#e65100",
    "closed": "#2e7d32",
    "open": "#757575",
    "tickets": "#417690",
    "live": "#8e24aa",
}


def stacked_bars(
    rows: list[dict],
    keys: tuple[str, ...],
    labels: dict[str, str],
    *,
    width: int = 720,
    height: int = 180,
) -> SafeString:
    """One bar per row (a day), stacked by ``keys``; every bar has a <title> for screen readers."""
    top = max((sum(row[key] for key in keys) for row in rows), default=0) or 1
    slot = width / max(len(rows), 1)
    bar = max(slot - 2, 1)
    parts = []
    for index, row in enumerate(rows):
        y = height
        segments = []
        for key in keys:
            h = row[key] / top * (height - 20)
            y -= h
            if h:
                segments.append(_rect(index * slot, y, bar, h, COLOURS[key]))
        parts.append(_group(row["day"].isoformat(), row, keys, labels, segments))
    return _svg(parts, keys, labels, width, height)


def grouped_bars(
    rows: list[dict],
    keys: tuple[str, ...],
    labels: dict[str, str],
    *,
    row_label: str = "label",
    width: int = 720,
    height: int = 160,
) -> SafeString:
    """One group per row (a week), a bar per key side by side, with a <title> per group."""
    top = max((row[key] for row in rows for key in keys), default=0) or 1
    slot = width / max(len(rows), 1)
    bar = max((slot - 12) / len(keys), 1)
    parts = []
    for index, row in enumerate(rows):
        bars = []
        for position, key in enumerate(keys):
            tall = row[key] / top * (height - 20)
            if tall:
                x = index * slot + 6 + position * bar
                bars.append(_rect(x, height - tall, bar - 2, tall, COLOURS[key]))
        parts.append(_group(row[row_label], row, keys, labels, bars))
    return _svg(parts, keys, labels, width, height)


def _rect(x: float, y: float, width: float, height: float, colour: str) -> SafeString:
    # numbers formatted first: format_html turns every argument into text
    x_, y_, w, h = (f"{value:.1f}" for value in (x, y, width, height))
    return format_html(
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>', x_, y_, w, h, colour
    )


def _group(
    name: str, row: dict, keys: tuple[str, ...], labels: dict[str, str], shapes: list[SafeString]
) -> SafeString:
    """A row's shapes with a <title> naming the row and its numbers (screen readers, hover)."""
    return format_html(
        "<g><title>{}: {}</title>{}</g>",
        name,
        ", ".join(f"{labels[key]} {row[key]}" for key in keys),
        SafeString("".join(shapes)),
    )


def _svg(
    parts: list[SafeString], keys: tuple[str, ...], labels: dict[str, str], width: int, height: int
) -> SafeString:
    legend = format_html_join(
        " ",
        '<span style="color:{}">&#9632; {}</span>',
        ((COLOURS[key], labels[key]) for key in keys),
    )
    return format_html(
        '<svg role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" height="{}"'
        ' preserveAspectRatio="none">{}</svg><p class="help">{}</p>',
        ", ".join(labels[key] for key in keys),
        width,
        height,
        height,
        SafeString("".join(parts)),
        legend,
    )
