"""Turning CDS Hooks cards into what the DEVELOPMENT EHR page shows.

Demo/test infrastructure. Card ``detail`` is GitHub-flavoured markdown written by a remote
service, so it is rendered with markdown-it-py with raw HTML disabled (the sandbox enables
HTML; an EHR should not trust a service with its page) and link schemes limited to http(s).
Cards are ordered critical, warning, info, as the sandbox orders them.
"""
from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

_ORDER = {"critical": 0, "warning": 1, "info": 2}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])
_default_validate = _markdown.validateLink
_markdown.validateLink = lambda url: url.lower().startswith(("http://", "https://", "#")) and _default_validate(url)


def render_markdown(text: str | None) -> Markup:
    """Safe HTML for card markdown: raw HTML is shown as text, scripts and unsafe links dropped."""
    if not text:
        return Markup("")
    return Markup(_markdown.render(text))


def sort_cards(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(cards, key=lambda c: _ORDER.get(str(c.get("indicator")), 3))


def card_topic(card: dict[str, Any]) -> str | None:
    topic = (card.get("source") or {}).get("topic") or {}
    return topic.get("code") if isinstance(topic, dict) else None


def subtype_summary(cards: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The structured assessment the subtype card carries in ``extension["receptor-cds"]``."""
    for card in cards:
        ext = (card.get("extension") or {}).get("receptor-cds")
        if isinstance(ext, dict):
            return ext
    return None
