"""The receptor history chart: inline SVG built on the server (no script, no chart library).

Three lanes share one time axis: ER %, PR % and HER2 (IHC score rows, ISH row, status row).
Disease events are vertical lines across all lanes; relapse events (recurrence, metastasis,
progression) are solid and the time after the first one is shaded, so a change of receptor status
between the primary tumour and a relapse biopsy — the conversion the guidelines ask to look for —
shows as a colour change on either side of the shading edge. Marker shape tells the specimen
(circle primary, square metastasis, diamond unknown); colour tells the status reading and the
value is written next to the mark, so colour is never the only carrier. The ER/PR scale gives
0-10 % a third of the lane (the ER-low band, 1-10 %, is where the decisions change) and a result
recorded without a percentage sits on its own "no %" row as a hollow mark instead of being drawn
as if it were 0 % or 100 %. Every mark is also in the table the page shows under the chart.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from markupsafe import Markup, escape

from cds_hooks.decision.model import ClinicalEvent, ReceptorResult
from cds_hooks.wording import analyte_text, date_text, result_specimen_text, result_value_text, status_text

WIDTH = 760
LEFT = 96
RIGHT = 24
TOP = 46          # room for two rows of event labels above the lanes
LANE_H = 110
GAP = 16
_LABEL_CHAR_W = 6.2  # approximate width of one event-label character at the chart's font size
_EVENT_TITLES = {"disease-status": "Disease status"}
AXIS_H = 34
# ER/PR lanes: the percentage scale runs from PCT_TOP (100 %) down to PCT_BOTTOM (0 %) below the
# lane top; the "no %" row sits under it. 0-10 % takes LOW_SHARE of the scale.
PCT_TOP = 10
PCT_BOTTOM = LANE_H - 30
NO_PCT_Y = LANE_H - 12
LOW_SHARE = 0.3
# ER/PR "low positive" is 1-10 % of tumour nuclei (ASCO/CAP 2020; clinical-knowledge.md b.2).
LOW_BAND = (1.0, 10.0)
HER2_ROWS = ("0", "1+", "2+", "3+", "ISH", "status")
_HER2_ANALYTES = {"HER2-IHC", "HER2-ISH", "HER2-ISH-ratio", "HER2-ISH-copies", "HER2-status"}
_RELAPSE_KINDS = {"recurrence", "metastasis", "progression"}


@dataclass
class ChartRow:
    """One row of the chart's text alternative, in clinician words (``status`` stays the model's, for CSS)."""

    date: str
    analyte: str
    value: str
    status: str
    specimen: str
    site: str
    resource: str
    test: str = ""          # the analyte in words ("HER2 IHC", "HER2/CEP17 ratio")
    reading: str = ""       # the status in words ("low positive", "not established")
    where: str = ""         # site and specimen kind in words ("liver (metastasis)")


@dataclass
class TimelineRow:
    """One row of the text table: a result or an event, in date order."""

    date: str
    result: ChartRow | None = None
    event: ClinicalEvent | None = None


@dataclass
class Chart:
    svg: Markup
    rows: list[ChartRow]
    conversions: list[str]          # e.g. "ER: positive before relapse, negative after"
    events: list[ClinicalEvent]
    timeline: list[TimelineRow] = field(default_factory=list)   # rows and events interleaved by date


def parse_date(value: str | None) -> date | None:
    """FHIR date/dateTime at any precision; a partial date stands for its first day."""
    if not value or not isinstance(value, str):
        return None
    text = value[:10]
    try:
        if len(text) == 4:
            return date(int(text), 1, 1)
        if len(text) == 7:
            return date(int(text[:4]), int(text[5:7]), 1)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _value_label(r: ReceptorResult) -> str:
    """The value as measured, in the same words as the cards (cds_hooks.wording)."""
    return result_value_text(r)


def _status_class(status: str) -> str:
    return {"positive": "st-pos", "low-positive": "st-low", "negative": "st-neg",
            "equivocal": "st-eq"}.get(status, "st-unk")


def _pct_y(top: float, pct: float) -> float:
    """Piecewise-linear percentage scale: 0-10 % gets LOW_SHARE of the height, 10-100 % the rest."""
    pct = max(0.0, min(100.0, pct))
    share = pct / 10 * LOW_SHARE if pct <= 10 else LOW_SHARE + (pct - 10) / 90 * (1 - LOW_SHARE)
    return top + PCT_BOTTOM - (PCT_BOTTOM - PCT_TOP) * share


def _marker(x: float, y: float, specimen: str, css: str, label: str) -> str:
    title = f"<title>{escape(label)}</title>"
    if specimen == "metastasis":
        return f'<rect class="mk {css}" x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10">{title}</rect>'
    if specimen == "primary":
        return f'<circle class="mk {css}" cx="{x:.1f}" cy="{y:.1f}" r="5.5">{title}</circle>'
    return (f'<polygon class="mk {css}" points="{x:.1f},{y - 6:.1f} {x + 6:.1f},{y:.1f} {x:.1f},{y + 6:.1f} '
            f'{x - 6:.1f},{y:.1f}">{title}</polygon>')


def _her2_row(r: ReceptorResult) -> str | None:
    if r.analyte == "HER2-IHC":
        score = (r.ihc_score or "").split("-")[0]
        # An IHC result recorded without a score still belongs on the chart: on the status row.
        return score if score in ("0", "1+", "2+", "3+") else "status"
    if r.analyte in ("HER2-ISH", "HER2-ISH-ratio", "HER2-ISH-copies"):
        return "ISH"
    if r.analyte == "HER2-status":
        return "status"
    return None


def conversions(history: Iterable[ReceptorResult], events: Iterable[ClinicalEvent]) -> list[str]:
    """Status changes across the first relapse: the last reading before it against the first after.

    Only final results with a date count; this restates the data, it does not judge it."""
    relapse_dates = sorted(d for e in events if e.kind in _RELAPSE_KINDS and (d := parse_date(e.date)))
    if not relapse_dates:
        return []
    cut = relapse_dates[0]
    out = []
    for analyte, name in (("ER", "ER"), ("PR", "PR"), ("HER2-IHC", "HER2 IHC"), ("HER2-status", "HER2")):
        dated = sorted(((d, r) for r in history if r.analyte == analyte and not r.provisional
                        and (d := parse_date(r.effective))), key=lambda t: t[0])
        before = [r for d, r in dated if d < cut]
        after = [r for d, r in dated if d >= cut]
        if before and after:
            b, a = before[-1], after[0]
            b_text = _value_label(b) if analyte == "HER2-IHC" else status_text(b.status)
            a_text = _value_label(a) if analyte == "HER2-IHC" else status_text(a.status)
            if b_text != a_text:
                out.append(f"{name}: {b_text} before the relapse ({date_text(b.effective)}), "
                           f"{a_text} after ({date_text(a.effective)})")
    return out


def _timeline(rows: list[ChartRow], events: list[ClinicalEvent]) -> list[TimelineRow]:
    items = [(parse_date(r.date) or date.min, 0, TimelineRow(date=r.date, result=r)) for r in rows]
    items += [(parse_date(e.date) or date.min, 1, TimelineRow(date=date_text(e.date, "undated"), event=e))
              for e in events]
    return [row for _, _, row in sorted(items, key=lambda t: (t[0], t[1]))]


def _axis_ticks(dates: list[date], x_of) -> list[date]:
    """First and last date always; others only where they do not crowd a label already placed."""
    ticks = sorted(set(dates))
    shown = [ticks[0]] + ([ticks[-1]] if len(ticks) > 1 else [])
    for d in ticks[1:-1]:
        if all(abs(x_of(d) - x_of(s)) >= 74 for s in shown):
            shown.append(d)
    return sorted(shown)


def build_chart(history: list[ReceptorResult], events: list[ClinicalEvent]) -> Chart:
    plotted = [r for r in history if r.analyte in ("ER", "PR") or r.analyte in _HER2_ANALYTES]
    rows = [ChartRow(date=date_text(r.effective, "undated"), analyte=r.analyte, value=_value_label(r), status=r.status,
                     specimen=r.specimen, site=r.specimen_site or "", resource=r.resource,
                     test=analyte_text(r.analyte), reading=status_text(r.status),
                     where=result_specimen_text(r))
            for r in sorted(plotted, key=lambda r: (parse_date(r.effective) or date.min, r.analyte))]
    dated_events = [e for e in events if parse_date(e.date)]
    timeline = _timeline(rows, dated_events)
    dates = [d for r in plotted if (d := parse_date(r.effective))] + [parse_date(e.date) for e in dated_events]
    height = TOP + 3 * LANE_H + 2 * GAP + AXIS_H
    plot_w = WIDTH - LEFT - RIGHT
    parts: list[str] = []
    conv = conversions(history, events)
    desc = (f"{len(rows)} receptor results and {len(dated_events)} disease events on one time axis."
            + (" " + "; ".join(conv) + "." if conv else ""))
    parts.append(f'<svg xmlns="http://www.w3.org/2000/svg" class="receptor-chart" viewBox="0 0 {WIDTH} {height}" '
                 f'role="img" aria-labelledby="chart-title chart-desc">')
    parts.append('<title id="chart-title">Receptor history: ER %, PR % and HER2 over time</title>')
    parts.append(f'<desc id="chart-desc">{escape(desc)} The table below the chart lists every value.</desc>')
    if not dates:
        parts.append(f'<text class="empty" x="{WIDTH / 2}" y="{height / 2}" text-anchor="middle">'
                     'No dated receptor results to chart.</text></svg>')
        return Chart(svg=Markup("".join(parts)), rows=rows, conversions=conv, events=dated_events, timeline=timeline)
    lo, hi = min(dates), max(dates)
    span = max((hi - lo).days, 1)
    pad = max(span * 0.06, 15)

    def x_of(d: date) -> float:
        return LEFT + plot_w * (((d - lo).days + pad) / (span + 2 * pad))

    lane_tops = [TOP + i * (LANE_H + GAP) for i in range(3)]
    lanes_bottom = lane_tops[2] + LANE_H
    # Lanes, gridlines and labels.
    for top, name in zip(lane_tops, ("ER %", "PR %", "HER2")):
        parts.append(f'<rect class="lane" x="{LEFT}" y="{top}" width="{plot_w}" height="{LANE_H}"/>')
        parts.append(f'<text class="lane-label" x="8" y="{top + 16}">{name}</text>')
    # The time after the first relapse is shaded across all lanes.
    relapses = sorted(d for e in dated_events if e.kind in _RELAPSE_KINDS and (d := parse_date(e.date)))
    if relapses:
        x0 = x_of(relapses[0])
        for top in lane_tops:
            parts.append(f'<rect class="after-relapse" x="{x0:.1f}" y="{top}" width="{WIDTH - RIGHT - x0:.1f}" '
                         f'height="{LANE_H}"><title>After the first relapse ({relapses[0].isoformat()})'
                         '</title></rect>')
    for top in lane_tops[:2]:
        low_hi, low_lo = _pct_y(top, LOW_BAND[1]), _pct_y(top, LOW_BAND[0])
        parts.append(f'<rect class="low-band" x="{LEFT}" y="{low_hi:.1f}" width="{plot_w}" '
                     f'height="{low_lo - low_hi:.1f}"/>')
        for pct in (0, 10, 50, 100):
            y = _pct_y(top, pct)
            parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
            parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 3:.1f}" text-anchor="end">{pct}</text>')
        y = top + NO_PCT_Y
        parts.append(f'<line class="grid no-pct" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 3:.1f}" text-anchor="end">no %</text>')
    her2_top = lane_tops[2]
    row_h = (LANE_H - 12) / len(HER2_ROWS)

    def her2_y(row: str) -> float:
        return her2_top + LANE_H - 6 - row_h * (HER2_ROWS.index(row) + 0.5)

    for row in HER2_ROWS:
        y = her2_y(row)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        label = {"ISH": "ISH", "status": "status"}.get(row, f"IHC {row}")
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 3:.1f}" text-anchor="end">{label}</text>')
    # Events across all lanes. Labels of events close in time go on two rows so they never overprint.
    row_ends = [float("-inf"), float("-inf")]
    labelled: set[tuple[date, str]] = set()
    for e in sorted(dated_events, key=lambda ev: parse_date(ev.date)):
        x = x_of(parse_date(e.date))
        parts.append(f'<line class="event ev-{escape(e.kind)}" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 14}" '
                     f'y2="{lanes_bottom}"><title>{escape(e.label)} ({escape(date_text(e.date))})</title></line>')
        text = _EVENT_TITLES.get(e.kind, e.kind.capitalize())
        if (parse_date(e.date), text) in labelled:
            continue          # two stage records on one day: one "Stage" label is enough
        labelled.add((parse_date(e.date), text))
        width = _LABEL_CHAR_W * len(text)
        right_aligned = x > WIDTH - RIGHT - 90
        start = x - 3 - width if right_aligned else x + 3
        row = next((i for i, end in enumerate(row_ends) if start > end + 4), len(row_ends) - 1)
        row_ends[row] = start + width
        anchor, dx = ("end", -3) if right_aligned else ("start", 3)
        relapse = " relapse" if e.kind in _RELAPSE_KINDS else ""
        parts.append(f'<text class="event-label{relapse}" x="{x + dx:.1f}" y="{TOP - 18 - 12 * row}" '
                     f'text-anchor="{anchor}">{escape(text)}</text>')
    # ER / PR points with a thin trend line through the measured percentages.
    for top, analyte in zip(lane_tops[:2], ("ER", "PR")):
        pts = []
        for r in sorted((r for r in plotted if r.analyte == analyte and parse_date(r.effective)),
                        key=lambda r: parse_date(r.effective)):
            x = x_of(parse_date(r.effective))
            measured = r.percent is not None
            y = _pct_y(top, r.percent) if measured else top + NO_PCT_Y
            pts.append((x, y, r, measured))
        line = [(x, y) for x, y, _, measured in pts if measured]
        if len(line) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in line)
            parts.append(f'<polyline class="trend" points="{path}"/>')
        for x, y, r, measured in pts:
            value = _value_label(r) if measured else status_text(r.status)
            label = (f"{analyte} {value} ({status_text(r.status)}), {date_text(r.effective)}, "
                     f"{result_specimen_text(r)}")
            if not measured:
                label += ", no percentage recorded"
            css = _status_class(r.status) + ("" if measured else " hollow")
            parts.append(_marker(x, y, r.specimen, css, label))
            parts.append(f'<text class="val" x="{x + 8:.1f}" y="{y + 4:.1f}">{escape(value)}</text>')
    # HER2 points.
    for r in plotted:
        if r.analyte not in _HER2_ANALYTES or not parse_date(r.effective):
            continue
        row = _her2_row(r)
        if row is None:
            continue
        x, y = x_of(parse_date(r.effective)), her2_y(row)
        value = _value_label(r)
        if r.analyte == "HER2-IHC" and row == "status":
            value = f"IHC {value} (no score)"
        name = "HER2" if value.startswith("IHC") else analyte_text(r.analyte)
        label = (f"{name} {value} ({status_text(r.status)}), {date_text(r.effective)}, "
                 f"{result_specimen_text(r)}")
        parts.append(_marker(x, y, r.specimen, _status_class(r.status), label))
        if row in ("ISH", "status") or (r.ihc_score and "-" in r.ihc_score):
            parts.append(f'<text class="val" x="{x + 8:.1f}" y="{y + 3:.1f}">{escape(value)}</text>')
    # Time axis.
    axis_y = lanes_bottom + 14
    for d in _axis_ticks(dates, x_of):
        x = x_of(d)
        anchor = "start" if x < LEFT + 40 else "end" if x > WIDTH - RIGHT - 40 else "middle"
        parts.append(f'<line class="axis-tick" x1="{x:.1f}" x2="{x:.1f}" y1="{lanes_bottom}" y2="{lanes_bottom + 4}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{axis_y + 4}" text-anchor="{anchor}">{d.isoformat()}</text>')
    parts.append("</svg>")
    return Chart(svg=Markup("".join(parts)), rows=rows, conversions=conv, events=dated_events, timeline=timeline)
