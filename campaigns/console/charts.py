"""Charts as inline SVG, built server-side by pure functions: no script, no outside library.
Every text and attribute is escaped; the result is Markup, so templates insert it as is. Their own
words are in the language of the `translations` given (English without)."""
from __future__ import annotations

import gettext
from html import escape
from typing import Optional, Sequence

from markupsafe import Markup

WIDTH, HEIGHT = 720, 220
PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 40, 10, 10, 40
MAX_TICKS = 12  # x-axis labels shown at most; every bar keeps its full label as a tooltip
ROW_HEIGHT, LABEL_WIDTH, COUNT_WIDTH = 22, 170, 150
_ENGLISH = gettext.NullTranslations()


def bar_chart(points: Sequence[tuple[str, int]], *, title: str,
              translations: Optional[gettext.NullTranslations] = None) -> Markup:
    """Vertical bars, one per (label, count), in order: a `rect.bar` each with a tooltip, up to
    MAX_TICKS evenly spaced x labels (`text.tick`) and the highest count on the y axis (`text.ymax`)."""
    if not points:
        return _empty(title, translations or _ENGLISH)
    top = max(count for _, count in points) or 1
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / len(points)
    every = -(-len(points) // MAX_TICKS)  # ceiling division
    parts = [_line(PAD_LEFT, PAD_TOP + plot_h, WIDTH - PAD_RIGHT, PAD_TOP + plot_h),
             _text(PAD_LEFT - 4, PAD_TOP + 10, str(top), "ymax", anchor="end"),
             _text(PAD_LEFT - 4, PAD_TOP + plot_h, "0", "ymin", anchor="end")]
    for index, (label, count) in enumerate(points):
        height = plot_h * count / top
        x = PAD_LEFT + index * slot
        parts.append(f'<rect class="bar" x="{x + slot * 0.1:.1f}" y="{PAD_TOP + plot_h - height:.1f}" '
                     f'width="{max(slot * 0.8, 1):.1f}" height="{height:.1f}" fill="#1f3a5f">'
                     f'<title>{_esc(label)}: {count}</title></rect>')
        if index % every == 0:
            parts.append(_text(x + slot / 2, HEIGHT - PAD_BOTTOM + 16, label, "tick", anchor="middle"))
    return _svg(title, WIDTH, HEIGHT, parts)


def rate_chart(rows: Sequence[tuple[str, int, int]], *, title: str,
               translations: Optional[gettext.NullTranslations] = None) -> Markup:
    """Horizontal bars, one per (name, part, whole): the bar is part/whole of the track; each row
    has its name (`text.name`) and 'part of whole (percent)' (`text.count`)."""
    tr = translations or _ENGLISH
    if not rows:
        return _empty(title, tr)
    height = PAD_TOP * 2 + ROW_HEIGHT * len(rows)
    track = WIDTH - LABEL_WIDTH - COUNT_WIDTH
    parts = []
    for index, (name, part, whole) in enumerate(rows):
        y = PAD_TOP + index * ROW_HEIGHT
        share = part / whole if whole else 0.0
        parts += [_text(LABEL_WIDTH - 6, y + 15, name, "name", anchor="end"),
                  f'<rect class="track" x="{LABEL_WIDTH}" y="{y + 4}" width="{track}" height="14" fill="#eef1f5"/>',
                  f'<rect class="bar" x="{LABEL_WIDTH}" y="{y + 4}" width="{track * share:.1f}" height="14" '
                  f'fill="#a40000"><title>{_esc(name)}: {_share(part, whole, tr)}</title></rect>',
                  _text(LABEL_WIDTH + track + 6, y + 15, _share(part, whole, tr), "count")]
    return _svg(title, WIDTH, height, parts)


def _share(part: int, whole: int, tr: gettext.NullTranslations) -> str:
    if not whole:
        return tr.gettext("%(part)s of 0") % {"part": part}
    return tr.gettext("%(part)s of %(whole)s (%(percent)s)") % {"part": part, "whole": whole,
                                                               "percent": f"{100 * part / whole:.0f}%"}


def _svg(title: str, width: int, height: int, parts: list[str]) -> Markup:
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}" '
                  f'width="{width}" height="{height}" aria-label="{_esc(title)}" font-size="11" '
                  f'font-family="system-ui, sans-serif"><title>{_esc(title)}</title>{"".join(parts)}</svg>')


def _empty(title: str, tr: gettext.NullTranslations) -> Markup:
    return _svg(title, WIDTH, 40, [_text(10, 24, tr.gettext("nothing to show yet"), "empty")])


def _text(x: float, y: float, text: str, css: str, anchor: str = "start") -> str:
    return f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}">{_esc(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#6b7380"/>'


def _esc(text: str) -> str:
    return escape(str(text), quote=True)
