"""Values from chart data render as literal text in card markdown (issue 8, "markdown injection").

An attack run put ``[click](https://evil...)`` and ``![](https://evil...)`` into a Specimen's text and an
OperationOutcome's diagnostics; the cards escaped HTML but left markdown live, so an EHR rendered a link and a
remote image. Cards are rendered here with a real GFM-like renderer (markdown-it with linkify, as EHR front ends
use), and no link, image or HTML tag may come from data; control and bidirectional-override characters are gone.
"""
from __future__ import annotations

import copy
import html
import json
import re
import sys
import unicodedata
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from cds_hooks.service.markdown import clean_text, escape_markdown
from tests.service.conftest import hook_fixture

from .conftest import *  # noqa: F403  (fixtures)

RENDER = MarkdownIt("gfm-like").render          # CommonMark + tables, strikethrough, linkify
EVIL = ("[click](https://evil.example/a) ![x](https://evil.example/p.png) <img src=https://evil.example/i> "
        "https://evil.example/bare www.evil.example \u202Egnp.exe\u202C nul\x00 `code` *bold* ~~gone~~ | a | b |")
FORBIDDEN = ("\x00", "\u202E", "\u202C", "\u200B", "\x1b")
ASSESS = "/cds-services/receptor-assessment"


def _links_to_evil(rendered: str) -> list[str]:
    return re.findall(r'(?:href|src)="[^"]*evil[^"]*"', rendered) + re.findall(r"<img|<script|<del|<table|<h\d",
                                                                               rendered)


def _strings(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)
    elif isinstance(value, str):
        yield value


def test_hostile_specimen_text_renders_as_text_on_every_card(cds):
    """A Specimen whose body-site text is a link, an image, raw HTML, a bare URL and a right-to-left override:
    in every card's detail the renderer makes no link or image from it, and no card field holds the control
    characters."""
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    patient = body["context"]["patientId"]
    body["prefetch"]["specimens"]["entry"] = [{"resource": {
        "resourceType": "Specimen", "id": "spec-evil", "subject": {"reference": f"Patient/{patient}"},
        "collection": {"bodySite": {"text": EVIL}}}}]
    for entry in body["prefetch"]["receptorObservations"]["entry"]:
        entry["resource"]["specimen"] = {"reference": "Specimen/spec-evil"}
    response = cds.post(ASSESS, body)
    assert response.status_code == 200
    cards = response.get_json()["cards"]
    shown = "\n".join(c.get("detail", "") for c in cards)
    assert "evil\\.example" in shown                        # the text is still there (its dot escaped), for the clinician to see
    for card in cards:
        assert not _links_to_evil(RENDER(card.get("detail", ""))), card["detail"]
        for text in _strings(card):
            assert not any(ch in text for ch in FORBIDDEN), repr(text)


def test_hostile_drug_text_in_a_draft_order_renders_as_text(cds):
    """A draft order whose drug text is markdown: the order card's detail links nothing and its suggestion label
    (plain text) carries no control characters."""
    body = copy.deepcopy(hook_fixture("order-sign-anti-her2-for-her2-negative"))
    for entry in body["context"]["draftOrders"]["entry"]:
        resource = entry.get("resource", entry)
        concept = resource.get("medicationCodeableConcept")
        if isinstance(concept, dict):
            concept["text"] = "trastuzumab " + EVIL
    response = cds.post("/cds-services/receptor-order-sign", body)
    assert response.status_code == 200
    cards = response.get_json()["cards"]
    assert cards
    for card in cards:
        assert not _links_to_evil(RENDER(card.get("detail", ""))), card["detail"]
        for text in _strings(card):
            assert not any(ch in text for ch in FORBIDDEN), repr(text)


def test_hostile_operation_outcome_in_prefetch_renders_as_text(cds):
    """The EHR reports a failed prefetch with markdown in its diagnostics: the data-gap card links nothing."""
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    body["prefetch"]["conditions"] = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "processing", "diagnostics": EVIL}]}
    response = cds.post(ASSESS, body)
    assert response.status_code == 200
    for card in response.get_json()["cards"]:
        assert not _links_to_evil(RENDER(card.get("detail", ""))), card["detail"]
        for text in _strings(card):
            assert not any(ch in text for ch in FORBIDDEN), repr(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=3) | st.sampled_from(
    list("[]()!*_`~|#<>&\\:-+=.") + ["https://", "www.", "\u202E", "\x00", "\n", "1. ", "](", "![", "&amp;"]),
    max_size=25).map("".join))
def test_any_value_renders_as_exactly_its_cleaned_text(value):
    """For any string, rendering escape_markdown(value) gives one paragraph whose text is clean_text(value), with
    a backtick shown as an apostrophe: no tag, link, image, heading or list comes out of data."""
    rendered = RENDER(escape_markdown(value)).strip()
    expected = clean_text(value).replace("`", "'").strip()
    if not expected:
        assert rendered == ""
        return
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered
    inner = rendered[3:-4]
    assert "<" not in inner.replace("&lt;", ""), rendered
    assert html.unescape(inner) == expected


@pytest.mark.parametrize("value", ["0.AL", "see evil.com now", "mail a@b.cd", "xn--80ak6aa92e.com"])
def test_a_bare_domain_or_email_address_is_not_linkified(value):
    """linkify-style renderers link bare domains and e-mail addresses; from data they stay plain text
    (a random run found "0.AL" rendered as a link to http://0.AL)."""
    rendered = RENDER(escape_markdown(value))
    assert "<a " not in rendered and html.unescape(rendered.strip()[3:-4]) == value, rendered


@pytest.mark.parametrize("value", ["\x1b\r0.", "\u202e 1. x", "\x00\n# title", "\u200b- item"])
def test_a_marker_behind_a_dropped_character_starts_no_block(value):
    """A control or invisible character before a list or heading marker is dropped, and the marker is still
    escaped (a random run found "\\x1b\\r0." rendered as an empty ordered list)."""
    rendered = RENDER(escape_markdown(value)).strip()
    assert rendered.startswith("<p>") and rendered.endswith("</p>"), rendered


def test_references_and_ordinary_clinical_text_pass_unchanged():
    """FHIR references and plain clinical wording are not altered (they may sit in code spans)."""
    for text in ("Observation/abc-1.2", "Specimen/spec.7", "left breast, 12 o'clock", "ER 5%, 2026-09-15"):
        assert escape_markdown(text) == text


def test_clean_text_drops_exactly_the_control_format_and_surrogate_characters_of_every_code_point():
    """clean_text returns a printable text as it is (its fast path); over every Unicode code point, in runs of
    256, it still gives exactly the text with whitespace runs made one space and every character of category
    Cc, Cf or Cs left out."""
    for start in range(0, sys.maxunicode + 1, 256):
        run = "a" + "".join(chr(c) for c in range(start, min(start + 256, sys.maxunicode + 1))) + "z"
        expected = "".join(ch for ch in " ".join(run.split()) if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
        assert clean_text(run) == expected, hex(start)
        assert clean_text("a" + chr(start) + "z") == "".join(
            ch for ch in " ".join(("a" + chr(start) + "z").split()) if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


def _every_escape_applied(value: str) -> str:
    """escape_markdown as documented, every step applied whatever the text holds (no shortcut)."""
    text = "".join(ch for ch in " ".join(value.split()) if unicodedata.category(ch) not in ("Cc", "Cf", "Cs")).strip()
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
    text = re.sub(r"[\\*_\[\]|~]", lambda m: "\\" + m.group(0), text)
    text = re.sub(r"(?<=[A-Za-z0-9])://", r"\\://", text)
    text = re.sub(r"(?i)\b(www)\.", r"\1\\.", text)
    text = re.sub(r"(?<=\w)\.(?=[^\W\d_]{2})", r"\\.", text)
    return re.sub(r"^([#+=-]|\d{1,9}[.)](?=\s|$))", lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


@settings(max_examples=600, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=3) | st.sampled_from(
    list("[]()!*_`~|#<>&\\:-+=.0123456789wW \u0663") + ["https://", "www.", "WwW.", "\u202E", "\x00", "\n", "1. ",
                                                       "12)", "](", "![", "&amp;", "a://", "_://", "ab", "@"]),
    max_size=25).map("".join))
def test_escape_shortcuts_give_what_every_step_gives(value):
    """escape_markdown returns a text untouched when no escape acts on it and skips the URL scans without ':'
    or '.': on any string (markdown-heavy ones included) it equals every step applied in full."""
    assert escape_markdown(value) == _every_escape_applied(value)
