"""The history of evaluation runs as a small inline SVG line chart (like insights/charts.py:
no JavaScript, no CDN; every point has a <title>, and the lines differ by dash, not colour
alone)."""

from __future__ import annotations

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# (figure, k, colour, dash pattern)
SERIES = (
    ("page_recall", 5, "#2e7d32", ""),
    ("page_recall", 1, "#1565c0", "6 3"),
    ("abstention_rate", None, "#e65100", "2 3"),
)


def history_chart(
    runs: list[dict], labels: dict[str, str], *, width: int = 720, height: int = 160
) -> SafeString:
    """``runs``: oldest first, each {"id", "when", "values": {series key: 0..1 or None}}."""
    if not runs:
        return SafeString("")
    pad, left = 8, 44  # room for the axis labels
    step = (width - left - pad) / max(len(runs) - 1, 1)

    def x(index: int) -> float:
        return left + index * step if len(runs) > 1 else width / 2

    def y(value: float) -> float:
        return height - pad - value * (height - 2 * pad)

    parts = [
        format_html(
            '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="#ccc" stroke-width="1"/>'
            '<text x="0" y="{}" font-size="11" fill="#666">{} %</text>',
            left - 4,
            width,
            f"{y(level):.1f}",
            f"{y(level):.1f}",
            f"{y(level) + 4:.1f}",
            int(level * 100),
        )
        for level in (0.0, 0.5, 1.0)
    ]
    for series in SERIES:
        key, colour, dash = _key(series), series[2], series[3]
        points = [
            (x(index), y(run["values"][key]), run, run["values"][key])
            for index, run in enumerate(runs)
            if run["values"].get(key) is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _r, _v in points)
            parts.append(
                format_html(
                    '<polyline points="{}" fill="none" stroke="{}" stroke-width="2"'
                    ' stroke-dasharray="{}"/>',
                    path,
                    colour,
                    dash,
                )
            )
        for px, py, run, value in points:
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"><title>#{} {}: {} {}</title></circle>',
                    f"{px:.1f}",
                    f"{py:.1f}",
                    colour,
                    run["id"],
                    run["when"],
                    labels[key],
                    f"{value:.2f}",
                )
            )
    legend = format_html_join(
        " · ",
        '<span style="color:{}">&#9644; {}</span>',
        ((series[2], labels[_key(series)]) for series in SERIES),
    )
    return format_html(
        # scaled evenly (not stretched like the dashboard's bars): the axis labels stay legible
        '<svg role="img" aria-label="{}" viewBox="0 0 {} {}" width="100%" style="max-height:{}px">'
        '{}</svg><p class="help">{}</p>',
        ", ".join(labels[_key(series)] for series in SERIES),
        width,
        height,
        height * 2,
        SafeString("".join(parts)),
        legend,
    )


def _key(series: tuple) -> str:
    name, k = series[0], series[1]
    return f"{name}@{k}" if k else name


def series_keys() -> list[tuple[str, str, int | None]]:
    """(series key, figure, k) for every line of the chart."""
    return [(_key(series), series[0], series[1]) for series in SERIES]
