"""The one way a value taken from data (a FHIR resource, an EHR's answer) enters card text.

Why: CDS Hooks card ``detail`` is GitHub-flavoured markdown and EHRs render it. Chart data is not written by us:
a Specimen's text, a drug name in a draft order or an OperationOutcome's diagnostics can hold
``[click](https://evil.example)``, ``![](https://evil.example/pixel)`` (an image an EHR fetches on display), raw
HTML, a line starting ``# `` or ``- `` (a heading or list), NUL bytes, or a right-to-left override (U+202E) that
makes text read backwards. An attack run showed an EHR rendering such values as a live link and image.

``escape_markdown`` makes a value render as the literal text it is; ``clean_text`` does the part that also
applies to plain-text fields (``summary``, suggestion ``label``): no control or invisible format characters,
one line. Card wording written by us (``cds_hooks.service.cards``, the knowledge tables) is markdown on purpose
and never passes through here; every value from data does, exactly once, where it is put into the text.
"""
from __future__ import annotations

import re
import unicodedata

# Characters with a meaning anywhere in a line (emphasis, links and images, tables, strikethrough). Each is
# backslash-escaped; CommonMark lets any ASCII punctuation be escaped, and a renderer shows it plainly. '(', ')'
# and '!' need no escape: they only make a link or image after a '[...]', and brackets are escaped.
_INLINE = re.compile(r"[\\*_\[\]|~]")
# Block markers that only count at the start of a line: heading, list item, setext underline or thematic break,
# and an ordered-list number ("1." or "1)" followed by a space or the end).
_LEADING = re.compile(r"^([#+=-]|\d{1,9}[.)](?=\s|$))")
# Bare URLs and www. names, which GFM renderers turn into links even without brackets.
_SCHEME = re.compile(r"(?<=[A-Za-z0-9])://")
_WWW = re.compile(r"(?i)\b(www)\.")
# Every character one of the escapes below acts on ('://' and 'www.' cannot occur without ':' and '.'): a text
# without any of them, and without a block marker at its start, is its own escape. One scan of a character
# class is far cheaper than the look-behind and word-boundary scans, and a card holds hundreds of values.
_ACTED_ON = re.compile(r"[&<>`\\*_\[\]|~:.]")
# A dot between a word character and two letters: linkify-style renderers turn a bare domain ("evil.com",
# "0.AL") or an e-mail address into a link even without a scheme or "www.". Escaping the dot keeps the text.
_DOMAIN_DOT = re.compile(r"(?<=\w)\.(?=[^\W\d_]{2})")
# Unicode categories removed: controls (NUL, ESC, DEL, C1), format characters (bidirectional overrides and
# isolates such as U+202E, zero-width characters, the BOM) and lone surrogates (not encodable as UTF-8).
_DROPPED = frozenset({"Cc", "Cf", "Cs"})


def clean_text(text: str | None) -> str:
    """``text`` on one line without control, format or surrogate characters; line breaks, tabs and other
    whitespace runs become one space. For plain-text fields and as the first step of ``escape_markdown``."""
    if not text:
        return ""
    text = " ".join(str(text).split())          # also splits on U+2028/U+2029, U+0085 and \\x1c-\\x1f
    if text.isprintable():
        # Nothing to drop, and known in one C-level pass: a card carries hundreds of values, and the test
        # per character below was most of the cost of building one. A printable text holds no character of
        # Unicode category C* or Z* other than the space (str.isprintable, same Unicode database), so none of
        # _DROPPED; tests/hostile/test_markdown_injection.py checks that on every code point.
        return text
    # Stripped again after the drop: "\\x1b 0." would otherwise start with a space, hide its "0." from the
    # leading-marker escape, and a renderer (which ignores up to three leading spaces) would start a list.
    return "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED).strip()


def escape_markdown(text: str | None) -> str:
    """A value from data, made to render as its literal text in GFM card ``detail``.

    - ``clean_text`` first: one line, no NUL, no bidirectional override, no zero-width character;
    - ``&``, ``<``, ``>`` become entities, so no raw HTML or ``<https://...>`` autolink reaches a renderer;
    - ``\\ * _ [ ] | ~`` are backslash-escaped (no emphasis, link, image, table or strikethrough);
    - a backtick becomes ``'`` (inside a code span a backslash would show and the backtick would still close it);
    - ``://``, ``www.`` and the dot of a bare domain (``evil.com``) are broken with an escape, so GFM and
      linkify do not turn a bare URL, domain or e-mail address into a link;
    - a leading ``#``, ``-``, ``+``, ``=`` or ``1.``/``1)`` is escaped, so a value cannot start a heading or list.

    FHIR references (``Observation/abc-1.2``) and ordinary clinical text pass unchanged, so a value may also be
    put inside a code span. Apply it exactly once, to the value, not to text that already holds markdown.
    """
    text = clean_text(text)
    if not text or (_ACTED_ON.search(text) is None and _LEADING.match(text) is None):
        return text              # nothing below would change it (most values: a date, a percentage, a site)
    return _escaped(text)


def _escaped(text: str) -> str:
    """The escapes of ``escape_markdown`` applied to a cleaned text."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", "'")
    text = _INLINE.sub(lambda m: "\\" + m.group(0), text)
    if "://" in text:
        text = _SCHEME.sub(r"\\://", text)
    if "." in text:
        text = _WWW.sub(r"\1\\.", text)
        text = _DOMAIN_DOT.sub(r"\\.", text)
    return _LEADING.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], text)


__all__ = ["clean_text", "escape_markdown"]
