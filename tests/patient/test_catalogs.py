"""The page's sentences live in the message catalogs, and the catalogs are current.

The committed template, English catalog and compiled catalog must equal what ``catalogs.py``
builds from the code now (so a changed sentence cannot ship untranslatable), and a page rendered in
a pseudo-language shows no English sentence that did not come through the catalog.
"""
from __future__ import annotations

import re

import pytest

from app.patient import render

from . import catalogs
from .fixture_pages import TODAY, fixture_pages
from tests.decision.test_own_words import shared_runs


def test_template_holds_every_message_of_the_page():
    """messages.pot equals a fresh extraction (statements table, app/patient code, templates)."""
    assert catalogs.POT.read_bytes() == catalogs.po_bytes(catalogs.expected_catalog()), \
        "run: python -m tests.patient.catalogs"


def test_english_catalog_and_its_compiled_form_are_current():
    """English first: the .po translates every message to itself and the committed .mo is its compilation."""
    en = catalogs.english(catalogs.expected_catalog())
    assert catalogs.EN_PO.read_bytes() == catalogs.po_bytes(en)
    assert catalogs.EN_MO.read_bytes() == catalogs.mo_bytes(en)
    assert len([m for m in en if m.id]) > 90


def test_the_english_catalog_is_the_one_loaded():
    """The renderer reads the compiled English catalog from the package (not a fallback to nothing)."""
    render.translations.cache_clear()
    trans = render.translations("en")
    assert type(trans).__name__ == "GNUTranslations"


def test_catalog_sentences_are_our_own_words():
    """No message shares a run of 8 words with a seed or the reference."""
    copied = [(m.id, run) for m in catalogs.expected_catalog() if m.id for _, run in shared_runs(m.id)]
    assert not copied


@pytest.fixture
def pseudo_language(tmp_path, monkeypatch):
    """A compiled catalog where every message is wrapped in ⟦ ⟧, installed as language 'qps'."""
    catalog = catalogs.expected_catalog(locale="en")
    for message in catalog:
        if message.id:
            message.string = f"⟦{message.id}⟧"
    target = tmp_path / "qps" / "LC_MESSAGES"
    target.mkdir(parents=True)
    (target / f"{catalogs.DOMAIN}.mo").write_bytes(catalogs.mo_bytes(catalog))
    monkeypatch.setattr(render, "LOCALE_DIR", tmp_path)
    render.translations.cache_clear()
    render._environment.cache_clear()
    yield "qps"
    render.translations.cache_clear()
    render._environment.cache_clear()


def test_every_sentence_on_the_page_comes_from_the_catalog(pseudo_language):
    """Rendered in the pseudo-language, the page's text outside ⟦ ⟧ is only data: names, numbers, dates, ER/PR/HER2."""
    for page in fixture_pages()[::10]:
        html = render.render_page(page.explanation, handout=True, language=pseudo_language, today=TODAY)
        body = html.split('<main id="main">', 1)[1].split('<footer', 1)[0]
        text = re.sub(r"<[^>]+>", " ", body)
        leftover = re.sub(r"⟦.*?⟧", " ", text, flags=re.S)
        words = set(re.findall(r"[A-Za-z][A-Za-z0-9'+-]*", leftover))
        assert words <= {"ER", "PR", "HER2"}, (page.name, words)
        assert "⟦" in html.split("<title>", 1)[1].split("</title>", 1)[0]
