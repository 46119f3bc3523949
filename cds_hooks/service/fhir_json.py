"""FHIR JSON rules checked on every resource a hook call brings in, before the decision core sees it.

Why at the service boundary: resources arrive from EHR prefetch, from the EHR's FHIR server and in
``draftOrders``, and a few JSON-level breaks of FHIR R4 are unambiguous without any profile:
- ``null`` anywhere (R4 §JSON representation: "null values are not allowed");
- a ``coding`` that is not an array of objects (``CodeableConcept.coding`` is 0..*, so always an array).
A resource breaking them is not FHIR and is left out *visibly* (a gap card, or a 400 for a draft order
the call asks us to judge), never guessed at. The decision core is meant to survive such input on its
own; this check keeps the HTTP surface honest whatever the core does with it.
"""
from __future__ import annotations

from typing import Any

from cds_hooks.decision.verdicts import VERDICTS


def json_problem(resource: Any) -> str | None:
    """The first FHIR JSON rule ``resource`` breaks, as a path and reason; None when none is broken.

    A function of the resource's content only, so remembered by content (``cds_hooks.decision.verdicts``):
    an EHR resends the same history on every chart open, and this walk visits every value."""
    return VERDICTS.checked("fhir-json", resource, _walk)


def _walk(resource: Any) -> str | None:
    stack: list[tuple[Any, str]] = [(resource, "")]
    while stack:
        node, path = stack.pop()
        if node is None:
            return f"{path or 'the resource'} is null (FHIR JSON allows no null values)"
        if isinstance(node, dict):
            coding = node.get("coding", [])
            if not isinstance(coding, list) or not all(isinstance(c, dict) for c in coding):
                return f"{path + '.' if path else ''}coding is not an array of Coding objects"
            stack.extend((v, f"{path}.{k}" if path else str(k)) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
    return None
