"""Turning catalogue ids into the SourceRefs an Alert or Option carries.

It lives on the decision side so the knowledge tables stay plain data with no import of the
decision package (which would make ``import cds_hooks.knowledge.sources`` circular).
"""
from __future__ import annotations

from ..knowledge.sources import SOURCES
from .model import SourceRef


def refs(*ids: str) -> list[SourceRef]:
    """SourceRefs for catalogue ids; an unknown id is a programming error and fails loudly."""
    return [SourceRef(id=s.id, label=s.label, citation=s.citation, url=s.url) for s in (SOURCES[i] for i in ids)]
