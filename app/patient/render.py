"""The one renderer of the patient page: an ``Explanation`` in, a complete HTML document out.

The portal page (``views``) and the printed handout (``handout``) both call ``render_page``; they
differ only in how the stylesheet arrives (linked under the portal's strict CSP, inlined in the
handout file so it prints on its own) and in the header line. Every sentence comes from the
message catalog (gettext, domain ``receptor_patient``, English first): statements from the
patient-content table, headings and labels from the templates. Values put into a sentence are
escaped; the only markup a sentence may carry is its own ``<dfn>`` and ``<strong>``.
"""
from __future__ import annotations

import gettext
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from cds_hooks.knowledge.patient_content import PATIENT_STATEMENTS
from cds_hooks.knowledge.sources import SOURCES

from .explain import TESTED, Explanation, Line
from .picture import results_svg

DOMAIN = "receptor_patient"
LOCALE_DIR = Path(__file__).parent / "locale"
STATIC_DIR = Path(__file__).parent / "static"
DEFAULT_LANGUAGE = "en"


@lru_cache(maxsize=8)
def translations(language: str = DEFAULT_LANGUAGE) -> gettext.NullTranslations:
    """The compiled catalog for ``language`` (falls back to the English message ids)."""
    return gettext.translation(DOMAIN, localedir=str(LOCALE_DIR), languages=[language], fallback=True)


@lru_cache(maxsize=8)
def _environment(language: str) -> Environment:
    env = Environment(loader=PackageLoader("app.patient", "templates"), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)
    return env


def say(line: Line, trans: gettext.NullTranslations) -> Markup:
    """One statement in the page's language, its placeholders filled with escaped values."""
    text = trans.gettext(PATIENT_STATEMENTS[line.statement].text)
    return Markup(text).format(**{k: escape(v) for k, v in line.params})


def plain(markup: Markup) -> str:
    """The words of a sentence without its markup (for the picture's text alternative)."""
    return Markup(markup).striptags()


def _side_title(side: str, trans: gettext.NullTranslations) -> str:
    return (trans.gettext("Picture of the results of the cancer in your left breast") if side == "left"
            else trans.gettext("Picture of the results of the cancer in your right breast"))


def render_page(ex: Explanation, *, handout: bool = False, language: str = DEFAULT_LANGUAGE,
                today: date | None = None, stylesheet_url: str | None = None,
                sign_out: tuple[str, str] | None = None) -> str:
    """The patient page as one HTML document. ``sign_out``: the portal page's sign-out form (its action URL and
    the page's view id, which the form must name so only a page of the session can end it); never on a handout."""
    trans = translations(language)
    env = _environment(language)
    tested = [Line(s) for s in TESTED]
    description = " ".join(plain(say(line, trans)) for line in ex.results)
    # Only sources this patient may be shown (ex.cite: confirmed, citable, fitting; one per address).
    cited: list[str] = []
    for line in [*tested, *ex.lines()]:
        cited += [s for s in ex.cite(line) if s not in cited]
    context: dict[str, Any] = {
        "ex": ex, "tested": tested, "lang": language, "handout": handout,
        "say": lambda line: say(line, trans), "cite": ex.cite,
        "picture": results_svg(ex.markers, description, trans.gettext) if not ex.tumours else None,
        # Cancer in both breasts: one picture per breast, each with its own text alternative.
        "pictures": [results_svg(t.markers, " ".join(plain(say(line, trans)) for line in t.results), trans.gettext,
                                 key="pic" if i == 0 else f"pic-{t.side}", title=_side_title(t.side, trans))
                     for i, t in enumerate(ex.tumours)],
        "sources": [SOURCES[s] for s in cited],
        "today": (today or date.today()).isoformat(),
        "stylesheet_url": stylesheet_url, "sign_out": None if handout else sign_out,
        "inline_css": Markup((STATIC_DIR / "patient.css").read_text(encoding="utf-8")) if handout else None,
    }
    return env.get_template("patient/page.html").render(**context)


def render_signed_out(*, language: str = DEFAULT_LANGUAGE, stylesheet_url: str | None = None) -> str:
    """The page shown after signing out (its sentences in the catalog, like the page's)."""
    return _environment(language).get_template("patient/signed_out.html").render(
        lang=language, stylesheet_url=stylesheet_url)


def render_error(title: str, message: str, hint: str | None, *, language: str = DEFAULT_LANGUAGE,
                 stylesheet_url: str | None = None) -> str:
    """A launch or data error as a plain page (the patient's wording of what to do next)."""
    return _environment(language).get_template("patient/error.html").render(
        title=title, message=message, hint=hint, lang=language, stylesheet_url=stylesheet_url)
