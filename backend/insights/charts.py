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
        label = ", ".join(f"{labels[key]} {row[key]}" for key in keys)
        segments = []
        for key in keys:
            h = row[key] / top * (height - 20)
            y -= h
            if h:
                # numbers formatted first: format_html turns every argument into text
                x, top_y, w, tall = (f"{value:.1f}" for value in (index * slot, y, bar, h))
                segments.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                        x,
                        top_y,
                        w,
                        tall,
                        COLOURS[key],
                    )
                )
        parts.append(
            format_html(
                "<g><title>{}: {}</title>{}</g>",
                row["day"].isoformat(),
                label,
                SafeString("".join(segments)),
            )
        )
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
                x, y, w, h = (
                    f"{value:.1f}"
                    for value in (index * slot + 6 + position * bar, height - tall, bar - 2, tall)
                )
                bars.append(
                    format_html(
                        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                        x,
                        y,
                        w,
                        h,
                        COLOURS[key],
                    )
                )
        parts.append(
            format_html(
                "<g><title>{}: {}</title>{}</g>",
                row[row_label],
                ", ".join(f"{labels[key]} {row[key]}" for key in keys),
                SafeString("".join(bars)),
            )
        )
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
