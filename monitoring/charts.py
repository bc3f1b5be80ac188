"""Small server-side SVG line charts (pure): no JavaScript library, nothing to download."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 640, 160, 8


def line_chart_svg(points: Sequence[tuple[float, float]], *, label: str) -> str:
    """An SVG polyline of (x, y) points scaled to the box; a note when there is nothing yet."""
    title = f"<title>{escape(label)}</title>"
    if len(points) < 2:
        return (
            f'<svg class="chart" role="img" width="{WIDTH}" height="{HEIGHT}" '
            f'data-points="{len(points)}">{title}<text x="{PAD}" y="{HEIGHT // 2}">'
            "not enough data yet</text></svg>"
        )
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_span, y_span = max(xs) - min(xs), max(ys) - min(ys)

    def scale(x: float, y: float) -> str:
        # A flat series is drawn across the middle rather than collapsed into a corner.
        sx = PAD + ((x - min(xs)) / x_span if x_span else 0.5) * (WIDTH - 2 * PAD)
        sy = HEIGHT - PAD - ((y - min(ys)) / y_span if y_span else 0.5) * (HEIGHT - 2 * PAD)
        return f"{sx:.1f},{sy:.1f}"

    path = " ".join(scale(x, y) for x, y in points)
    return (
        f'<svg class="chart" role="img" width="{WIDTH}" height="{HEIGHT}" '
        f'data-points="{len(points)}">{title}'
        f'<polyline fill="none" stroke="#417690" stroke-width="2" points="{path}"/>'
        f'<text x="{PAD}" y="14">max {max(ys):.2f}</text>'
        f'<text x="{PAD}" y="{HEIGHT - 2}">min {min(ys):.2f}</text></svg>'
    )
