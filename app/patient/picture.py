"""A simple picture of the receptor results: inline SVG, no script, words on every mark.

Three rows. ER and PR: a bar out of 100 cells, filled to the share that took up the stain, with
the 1-10 band (ER-low) marked and the number written beside it. HER2: the IHC scale as five boxes
(0, 0 with a faint stain, 1+, 2+, 3+) with the patient's box outlined thick and labelled "yours",
and the FISH result written under it. Colour is never the only signal: every state is also a
word, a pattern or an outline. The SVG carries a title and a description (its text alternative),
and the page lists the same results as text right next to it.
"""
from __future__ import annotations

from typing import Callable

from markupsafe import Markup, escape

from .explain import Marker

WIDTH = 420          # narrow on purpose: the picture keeps a readable text size on a 360 px phone
ROW_H = 78
LEFT = 58
BAR_W = 350
HER2_LEVELS = ("0", "0-faint", "1+", "2+", "3+")

Translate = Callable[[str], str]


def _bar_y(row: int) -> int:
    return 8 + row * ROW_H


VALUE_DY = 58        # the value in words sits under the bar, left-aligned


def _receptor_row(m: Marker, row: int, _: Translate) -> str:
    y = _bar_y(row)
    parts = [f'<text class="pic-name" x="8" y="{y + 17}">{escape(m.name)}</text>',
             f'<rect class="track" x="{LEFT}" y="{y}" width="{BAR_W}" height="24" rx="3"/>',
             # The ER-low band, 1 to 10 cells out of 100.
             f'<rect class="low-band" x="{LEFT + BAR_W * 0.01:.1f}" y="{y}" width="{BAR_W * 0.09:.1f}" height="24"/>']
    if m.state == "review":
        label = _("needs checking")
    elif m.percent is not None:
        width = BAR_W * max(0.0, min(100.0, m.percent)) / 100
        if width > 0:
            parts.append(f'<rect class="fill st-{m.state}" x="{LEFT}" y="{y}" width="{width:.1f}" height="24" rx="3"/>')
        label = _("%(n)s in 100 cells") % {"n": f"{m.percent:g}"}
    else:
        label = {"positive": _("positive, no number given"), "low": _("low, no number given"),
                 "negative": _("negative, no number given")}.get(m.state, _("no result"))
        parts.append(f'<rect class="hatch" x="{LEFT}" y="{y}" width="{BAR_W}" height="24" rx="3"/>')
    parts.append(f'<text class="pic-value" x="{LEFT}" y="{y + VALUE_DY}">{escape(label)}</text>')
    parts.append(f'<text class="pic-tick" x="{LEFT}" y="{y + 38}">0</text>'
                 f'<text class="pic-tick" x="{LEFT + BAR_W * 0.10:.1f}" y="{y + 38}" text-anchor="middle">10</text>'
                 f'<text class="pic-tick" x="{LEFT + BAR_W}" y="{y + 38}" text-anchor="end">100</text>')
    return "".join(parts)


def _her2_row(m: Marker, row: int, _: Translate) -> str:
    y = _bar_y(row)
    box_w = BAR_W / len(HER2_LEVELS)
    names = {"0": "0", "0-faint": _("0 faint"), "1+": "1+", "2+": "2+", "3+": "3+"}
    parts = [f'<text class="pic-name" x="8" y="{y + 17}">HER2</text>']
    for i, level in enumerate(HER2_LEVELS):
        x = LEFT + i * box_w
        mine = m.state != "review" and m.level == level
        css = "box mine" if mine else "box"
        parts.append(f'<rect class="{css} lv-{i}" x="{x + 2:.1f}" y="{y}" width="{box_w - 4:.1f}" height="24" rx="3"/>')
        parts.append(f'<text class="box-label{" mine" if mine else ""}" x="{x + box_w / 2:.1f}" y="{y + 17}" '
                     f'text-anchor="middle">{escape(names[level])}</text>')
        if mine:
            yours = _("yours")
            parts.append(f'<text class="pic-tick mine" x="{x + box_w / 2:.1f}" y="{y + 39}" '
                         f'text-anchor="middle">▲ {escape(yours)}</text>')
    if m.state == "review":
        label = _("needs checking")
    elif m.fish == "amplified":
        label = _("FISH: extra gene copies")
    elif m.fish == "not-amplified":
        label = _("FISH: no extra copies")
    elif m.level is None:
        label = _("no score given")
    else:
        label = _("IHC score")
    parts.append(f'<text class="pic-value" x="{LEFT}" y="{y + VALUE_DY}">{escape(label)}</text>')
    return "".join(parts)


def results_svg(markers: list[Marker], description: str, _: Translate, *, key: str = "pic",
                title: str | None = None) -> Markup:
    """The picture; ``description`` is its text alternative (the results in words). With cancer in both breasts the
    page draws one picture per breast: ``key`` keeps their element ids apart, and only the first (``key`` "pic")
    defines the hatch pattern the stylesheet names."""
    height = _bar_y(len(markers)) - 6
    title = title or _("Picture of your ER, PR and HER2 results")
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="results-picture" viewBox="0 0 {WIDTH} {height}" '
             f'role="img" aria-labelledby="{key}-title {key}-desc" focusable="false">',
             f'<title id="{key}-title">{escape(title)}</title>',
             f'<desc id="{key}-desc">{escape(description)}</desc>']
    if key == "pic":
        parts.append('<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
                     'patternTransform="rotate(45)"><line x1="0" y1="0" x2="0" y2="6" class="hatch-line"/></pattern>'
                     '</defs>')
    for row, marker in enumerate(markers):
        parts.append(_her2_row(marker, row, _) if marker.name == "HER2" else _receptor_row(marker, row, _))
    parts.append("</svg>")
    return Markup("".join(parts))
