"""``report.html``: the audit on one self-contained page (no script, no external file, prints well).

``Summary`` folds the rows in as partitions arrive (counts, and the patient ids of the short lists only), so
the client never holds the population's rows; ``render`` writes the page: counts by subtype and HER2
expression with bar charts (inline SVG, with the numbers also in tables), open pitfalls by card topic, the
patients needing action grouped by action, the HER2-low and HER2-ultralow patients with metastatic disease,
data-quality problems by source system (``meta.source``), and the knowledge version and export time.
Every value that comes from the data is HTML-escaped; a Content-Security-Policy forbids scripts anyway.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html import escape
from typing import Any

from cds_hooks.decision.model import HER2_EXPRESSIONS, SUBTYPES
from cds_hooks.service.cards import TOPIC_DISPLAY

DESCRIPTIVE_TOPICS = frozenset({"receptor-subtype", "treatment-options"})   # cards that describe, not warn
LIST_LIMIT = 200       # patient ids shown per group; the worklist has them all


@dataclass
class Summary:
    """What the report shows, folded in row by row."""

    counts: Counter = field(default_factory=Counter)
    by_subtype: Counter = field(default_factory=Counter)
    by_her2: Counter = field(default_factory=Counter)
    by_subtype_her2: Counter = field(default_factory=Counter)
    by_setting: Counter = field(default_factory=Counter)
    topics: Counter = field(default_factory=Counter)
    critical_patients: int = 0
    actions: dict[str, list[str]] = field(default_factory=dict)
    her2_low_metastatic: list[tuple[str, str, str]] = field(default_factory=list)
    quality: Counter = field(default_factory=Counter)              # (source, code) -> notes
    quality_patients: dict[str, set[str]] = field(default_factory=dict)   # source -> patient ids
    not_assessed: list[str] = field(default_factory=list)

    def add_partition(self, part: dict[str, Any]) -> None:
        self.counts.update(part.get("counts") or {})
        for row in part.get("rows") or []:
            self.add_row(row)

    def add_row(self, row: dict[str, Any]) -> None:
        patient = row["patient"]
        if row.get("error"):
            self.not_assessed.append(patient)
            return
        self.by_subtype[row["subtype"]] += 1
        self.by_her2[row["her2Expression"]] += 1
        self.by_subtype_her2[(row["subtype"], row["her2Expression"])] += 1
        self.by_setting[row["setting"]] += 1
        for topic in row["topics"]:
            if topic not in DESCRIPTIVE_TOPICS:
                self.topics[topic] += 1
        if row.get("severity") == "critical":
            self.critical_patients += 1
        for action in row["actions"]:
            self.actions.setdefault(action, []).append(patient)
        if row["setting"] == "metastatic" and row["her2Expression"] in ("low", "ultralow"):
            self.her2_low_metastatic.append((patient, row["subtype"], row["her2Expression"]))
        for problem in row.get("dataQuality") or []:
            self.quality[(problem["source"], problem["code"])] += problem["count"]
            self.quality_patients.setdefault(problem["source"], set()).add(patient)

    @property
    def audited(self) -> int:
        return sum(self.by_subtype.values())


# ---------------------------------------------------------------------- rendering

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2rem auto;max-width:60rem;color:#1b1b1b;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;border-bottom:1px solid #999;margin-top:2rem}
h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.2rem .5rem;text-align:left;
vertical-align:top}td.n,th.n{text-align:right}
.meta{color:#444}.ids{font-family:"DejaVu Sans Mono",monospace;font-size:.85rem;word-break:break-all}
.note{color:#444;font-size:.9rem}svg{display:block;margin:.5rem 0}
@media print{body{margin:0;max-width:none;font-size:10pt}section{break-inside:avoid-page}h2{break-after:avoid}
a{color:inherit;text-decoration:none}}
"""


def _bar_chart(title: str, items: list[tuple[str, int]]) -> str:
    """A horizontal bar chart as inline SVG (labels and values written on it, so it reads in print)."""
    if not items:
        return ""
    top = max(value for _, value in items) or 1
    row, bar_w = 24, 300
    label_w = max(120, min(440, 8 * max(len(label) for label, _ in items) + 12))   # ~8 px per character
    height = row * len(items) + 8
    parts = [f'<svg role="img" aria-label="{escape(title)}" width="{label_w + bar_w + 70}" height="{height}" '
             f'viewBox="0 0 {label_w + bar_w + 70} {height}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>"]
    for i, (label, value) in enumerate(items):
        y = 4 + i * row
        width = round(bar_w * value / top) if value else 0
        parts.append(f'<text x="{label_w - 6}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{width}" height="{row - 8}" fill="#3a6ea5"/>')
        parts.append(f'<text x="{label_w + width + 6}" y="{y + 16}" font-size="13">{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _count_table(head: tuple[str, str], items: list[tuple[str, int]], total: int) -> str:
    rows = "".join(f"<tr><td>{escape(label)}</td><td class=n>{value}</td>"
                   f"<td class=n>{(100 * value / total if total else 0):.1f}%</td></tr>" for label, value in items)
    return (f"<table><tr><th>{escape(head[0])}</th><th class=n>{escape(head[1])}</th><th class=n>Share</th></tr>"
            f"{rows}</table>")


def _ids(ids: list[str]) -> str:
    shown = sorted(ids)[:LIST_LIMIT]
    more = len(ids) - len(shown)
    text = ", ".join(escape(i) for i in shown)
    if more:
        text += f" … and {more} more (all in worklist.csv)"
    return f'<p class="ids">{text}</p>'


def render(summary: Summary, meta: dict[str, Any]) -> str:
    """The whole page. ``meta``: knowledge_version, export_time, generated, source, elapsed, workers,
    server_errors (count, texts), and the optional group and since."""
    audited = summary.audited
    counts = summary.counts
    subtypes = [(s, summary.by_subtype[s]) for s in SUBTYPES if summary.by_subtype[s]] + \
               [(s, n) for s, n in sorted(summary.by_subtype.items()) if s not in SUBTYPES]
    her2 = [(h, summary.by_her2[h]) for h in HER2_EXPRESSIONS if summary.by_her2[h]] + \
           [(h, n) for h, n in sorted(summary.by_her2.items()) if h not in HER2_EXPRESSIONS]
    out: list[str] = [
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>",
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        "<meta name=viewport content=\"width=device-width, initial-scale=1\">",
        "<title>Receptor CDS population audit</title>", f"<style>{_CSS}</style></head><body>",
        "<h1>Receptor CDS population audit</h1>",
        f'<p class="meta">Data as of the export at <b>{escape(str(meta.get("export_time") or "unknown"))}</b>'
        f' from {escape(str(meta.get("source") or "?"))}'
        + (f', Group {escape(str(meta["group"]))}' if meta.get("group") else "")
        + (f', changes since {escape(str(meta["since"]))} laid over the previous export' if meta.get("since") else "")
        + f'. Knowledge version <b>{escape(str(meta.get("knowledge_version") or "?"))}</b>.'
        f' Report written {escape(str(meta.get("generated") or ""))}.</p>',
        "<section><h2>Population</h2><table>",
        f"<tr><td>Patients in the export</td><td class=n>{counts.get('patients', 0)}</td></tr>",
        f"<tr><td>Patients with breast cancer (audited, one row each in the worklist)</td><td class=n>{audited}</td></tr>",
        f"<tr><td>Patients without breast cancer in their record (counted, not listed)</td>"
        f"<td class=n>{counts.get('patients without breast cancer (not listed)', 0)}</td></tr>",
        f"<tr><td>Patients that could not be assessed (internal error)</td><td class=n>{len(summary.not_assessed)}</td></tr>",
        f"<tr><td>Resources read</td><td class=n>{counts.get('resources', 0)}</td></tr>",
        "</table>",
    ]
    if summary.not_assessed:
        out.append("<p>Not assessed; their worklist rows say so:</p>" + _ids(summary.not_assessed))
    out.append("</section>")

    out.append("<section><h2>Receptor subtype</h2>")
    out.append(_bar_chart("Patients by receptor subtype", subtypes))
    out.append(_count_table(("Subtype", "Patients"), subtypes, audited))
    out.append("</section><section><h2>HER2 expression</h2>")
    out.append(_bar_chart("Patients by HER2 expression", her2))
    out.append(_count_table(("HER2 expression", "Patients"), her2, audited))
    cross_cols = [h for h, _ in her2]
    if cross_cols:
        head = "".join(f"<th class=n>{escape(h)}</th>" for h in cross_cols)
        body = "".join(
            f"<tr><td>{escape(s)}</td>" + "".join(f"<td class=n>{summary.by_subtype_her2[(s, h)] or ''}</td>"
                                                   for h in cross_cols) + "</tr>" for s, _ in subtypes)
        out.append(f"<h3>Subtype by HER2 expression</h3><table><tr><th>Subtype</th>{head}</tr>{body}</table>")
    out.append("</section>")

    topics = sorted(summary.topics.items(), key=lambda kv: (-kv[1], kv[0]))
    out.append("<section><h2>Open pitfalls by topic</h2>")
    if topics:
        labelled = [(TOPIC_DISPLAY.get(t, t), n) for t, n in topics]
        out.append(_bar_chart("Patients by open pitfall", labelled))
        rows = "".join(f"<tr><td>{escape(TOPIC_DISPLAY.get(t, t))}</td><td><code>{escape(t)}</code></td>"
                       f"<td class=n>{n}</td></tr>" for t, n in topics)
        out.append(f"<table><tr><th>Pitfall</th><th>Card topic</th><th class=n>Patients</th></tr>{rows}</table>")
        out.append(f'<p class="note">{summary.critical_patients} patient(s) have at least one critical card.</p>')
    else:
        out.append("<p>No patient has an open pitfall.</p>")
    out.append("</section>")

    out.append("<section><h2>Patients needing action, by action</h2>")
    if summary.actions:
        for action, ids in sorted(summary.actions.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            out.append(f"<h3>{escape(action)} ({len(ids)})</h3>{_ids(ids)}")
    else:
        out.append("<p>No patient needs an action.</p>")
    out.append("</section>")

    out.append("<section><h2>HER2-low and HER2-ultralow, metastatic disease</h2>")
    if summary.her2_low_metastatic:
        rows = "".join(f"<tr><td class=ids>{escape(p)}</td><td>{escape(s)}</td><td>HER2-{escape(h)}</td></tr>"
                       for p, s, h in sorted(summary.her2_low_metastatic)[:LIST_LIMIT])
        more = len(summary.her2_low_metastatic) - min(LIST_LIMIT, len(summary.her2_low_metastatic))
        out.append(f"<p>{len(summary.her2_low_metastatic)} patient(s) whose HER2 expression is low or ultralow with "
                   "metastatic disease (patients to consider for an anti-HER2 antibody-drug conjugate, as the "
                   "options card explains per patient).</p>")
        out.append(f"<table><tr><th>Patient</th><th>Subtype</th><th>HER2</th></tr>{rows}</table>")
        if more:
            out.append(f"<p>… and {more} more (all in worklist.csv).</p>")
    else:
        out.append("<p>None.</p>")
    out.append("</section>")

    out.append("<section><h2>Data-quality problems by source system</h2>")
    if summary.quality:
        by_source: dict[str, list[tuple[str, int]]] = {}
        for (source, code), n in summary.quality.items():
            by_source.setdefault(source, []).append((code, n))
        for source in sorted(by_source, key=lambda s: (-sum(n for _, n in by_source[s]), s)):
            rows = "".join(f"<tr><td><code>{escape(c)}</code></td><td class=n>{n}</td></tr>"
                           for c, n in sorted(by_source[source], key=lambda kv: (-kv[1], kv[0])))
            out.append(f"<h3>{escape(source)}: {len(summary.quality_patients.get(source, ()))} patient(s)</h3>"
                       f"<table><tr><th>Problem</th><th class=n>Findings</th></tr>{rows}</table>")
    else:
        out.append("<p>No data-quality finding.</p>")
    unread = sorted((k, v) for k, v in counts.items() if k.endswith("not read"))
    if unread:
        rows = "".join(f"<tr><td>{escape(k)}</td><td class=n>{v}</td></tr>" for k, v in unread)
        out.append(f"<h3>Export lines not read</h3><table>{rows}</table>")
    errors, texts = meta.get("server_errors") or (0, [])
    if errors:
        out.append(f"<h3>Errors the server reported during the export: {errors}</h3>"
                   + "<ul>" + "".join(f"<li>{escape(t)}</li>" for t in texts) + "</ul>")
    out.append("</section>")

    elapsed = meta.get("elapsed")
    if elapsed:
        rate = counts.get("patients", 0) / elapsed if elapsed else 0
        out.append(f'<p class="note">Assessed {counts.get("patients", 0)} patients in {elapsed:.1f} s '
                   f'({rate:.0f} patients per second) on {escape(str(meta.get("workers") or "?"))} Dask worker(s).</p>')
    out.append("</body></html>\n")
    return "\n".join(out)
