"""Every fixture patient's assessment, subtype card and rendered patient page, built once per test run.

A fixture bundle (fixtures/real, fixtures/synthea, fixtures/cases) holds one patient; the page is
rendered the way the portal renders it (same ``explain`` and ``render_page``), with a fixed date so
the output does not depend on the day the tests run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from html.parser import HTMLParser

from app.fixtures_loader import fixture_bundles
from app.patient.explain import Explanation, explain
from app.patient.render import render_page
from app.smart.patient_data import patient_display
from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.decision.model import Assessment
from cds_hooks.service.cards import subtype_card

TODAY = date(2026, 11, 1)


@dataclass(frozen=True)
class FixturePage:
    name: str
    assessment: Assessment
    card: dict
    explanation: Explanation
    html: str


@lru_cache(maxsize=1)
def fixture_pages() -> tuple[FixturePage, ...]:
    pages = []
    for name, bundle in fixture_bundles():
        resources = [e["resource"] for e in bundle.get("entry", []) if isinstance(e, dict) and "resource" in e]
        patient = next((r for r in resources if r.get("resourceType") == "Patient"), None)
        a = assess(resources, DecisionConfig(today=TODAY))
        ex = explain(a, patient_display(patient))
        html = render_page(ex, handout=True, today=TODAY)
        pages.append(FixturePage(name.split("/")[-1].removesuffix(".json"), a, subtype_card(a), ex, html))
    return tuple(pages)


class _Text(HTMLParser):
    """Visible text of <main>, one block per paragraph, list item or heading (the readability unit)."""

    BLOCKS = {"p", "li", "h1", "h2", "h3", "figcaption"}
    SKIP = {"svg", "style", "script", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.in_main = 0
        self.skip = 0
        self.blocks: list[str] = []
        self._current: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.in_main += 1
        if tag in self.SKIP:
            self.skip += 1
        if tag in self.BLOCKS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip -= 1
        if tag in self.BLOCKS:
            self._flush()
        if tag == "main":
            self.in_main -= 1

    def handle_data(self, data):
        if self.in_main and not self.skip:
            self._current.append(data)

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self._current)).strip()
        self._current = []
        if text:
            self.blocks.append(text)


def readable_text(html: str) -> str:
    """The page's explanation as prose: each block ends a sentence (a heading or list item without a
    full stop would otherwise run into the next one and inflate the sentence length). The picture
    (its words are in the list beside it) and the list of sources are not prose and are left out."""
    parser = _Text()
    parser.feed(html)
    return " ".join(b if b[-1] in ".?!:" else b + "." for b in parser.blocks)
