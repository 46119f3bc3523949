"""Discovery (CH §Discovery; checklist 1B, 1E)."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest

from cds_hooks.service.discovery import PREFETCH, discovery_document

# CH §Prefetch query restrictions: read, search, patient reference, token equality, date prefixes, _count, _sort.
_ALLOWED_PARAMS = {"patient", "code", "status", "category", "_count", "_sort"}


def test_discovery_lists_both_services_with_their_hooks(cds):
    """Discovery is never empty and names receptor-assessment (patient-view) and receptor-order-check (order-select, order-sign)."""
    services = cds.get("/cds-services").get_json()["services"]
    pairs = {(s["id"], s["hook"]) for s in services}
    assert pairs == {("receptor-assessment", "patient-view"), ("receptor-order-check", "order-select"),
                     ("receptor-order-check", "order-sign")}
    assert all(s["title"] and s["description"] and s["usageRequirements"] for s in services)


@pytest.mark.parametrize("key", sorted(PREFETCH))
def test_prefetch_template_stays_in_the_restricted_subset(key):
    """Each template is a read or a type search using only patient, token equality with a system, _sort=-date and _count."""
    template = PREFETCH[key]
    tokens = re.findall(r"\{\{([^}]*)\}\}", template)
    assert tokens == ["context.patientId"]
    path, _, query = template.partition("?")
    if not query:
        assert re.fullmatch(r"Patient/\{\{context\.patientId\}\}", path)
        return
    assert re.fullmatch(r"[A-Z][A-Za-z]+", path)
    params = parse_qsl(query, keep_blank_values=True)
    names = [n for n, _ in params]
    assert len(names) == len(set(names))
    for name, value in params:
        assert name in _ALLOWED_PARAMS, name   # no modifiers, no chains, no _include
        if name == "code":
            assert all(re.fullmatch(r"[a-z]+://[^|,]+\|[^|,]+", token) for token in value.split(","))
        if name == "_sort":
            assert value == "-date"          # R4 syntax, never sort:desc=date (checklist 1E.27)
    assert params[0] == ("patient", "{{context.patientId}}")


def test_receptor_prefetch_covers_every_receptor_code_the_readers_know():
    """The receptor Observation key asks for every ER/PR/HER2 code in the knowledge tables."""
    from cds_hooks.knowledge import codes
    asked = PREFETCH["receptorObservations"].split("code=")[1].split("&")[0].split(",")
    assert {f"{e.system}|{e.code}" for e in codes.RECEPTOR_CODES} <= set(asked)


def test_discovery_document_is_the_same_object_for_every_hook_of_a_service():
    """receptor-order-check is listed once per hook with the same id and prefetch (CH: same id, several hooks)."""
    entries = [s for s in discovery_document()["services"] if s["id"] == "receptor-order-check"]
    assert len(entries) == 2 and entries[0]["prefetch"] == entries[1]["prefetch"]
