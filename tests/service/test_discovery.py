"""Discovery (CH §Discovery; checklist 1B, 1E)."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest

from cds_hooks.service.discovery import PREFETCH, discovery_document

# CH §Prefetch query restrictions: read, search, patient reference, token equality, date prefixes, _count, _sort.
_ALLOWED_PARAMS = {"patient", "code", "status", "category", "_count", "_sort"}


def test_discovery_lists_one_service_per_hook(cds):
    """Discovery names receptor-assessment (patient-view), receptor-order-select and receptor-order-sign, each id
    once: the CDS Hooks sandbox keys services by id, so an id listed for two hooks hides one of them (issue 8)."""
    services = cds.get("/cds-services").get_json()["services"]
    pairs = [(s["id"], s["hook"]) for s in services]
    assert sorted(pairs) == [("receptor-assessment", "patient-view"), ("receptor-order-select", "order-select"),
                             ("receptor-order-sign", "order-sign")]
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


def test_both_order_services_share_the_prefetch():
    """The two order services ask for the same data (the same templates as patient-view)."""
    entries = {s["id"]: s for s in discovery_document()["services"]}
    assert entries["receptor-order-select"]["prefetch"] == entries["receptor-order-sign"]["prefetch"] == PREFETCH


@pytest.mark.parametrize("service_id,hook,wrong", [("receptor-order-select", "order-select", "order-sign"),
                                                  ("receptor-order-sign", "order-sign", "order-select")])
def test_an_order_service_refuses_the_other_hook(cds, service_id, hook, wrong):
    """Each order service answers its own hook and refuses the other with a 400 naming the hook it answers."""
    from .conftest import hook_fixture
    body = hook_fixture("order-select-tdxd-for-her2-zero")
    body["hook"] = wrong
    if wrong == "order-sign":
        body["context"].pop("selections", None)
    response = cds.post(f"/cds-services/{service_id}", body)
    assert response.status_code == 400
    assert hook in response.get_json()["issue"][0]["diagnostics"]


def test_the_old_shared_order_id_is_gone(cds):
    """receptor-order-check (one id for two hooks) no longer exists: a 404 pointing at discovery."""
    response = cds.post("/cds-services/receptor-order-check", {})
    assert response.status_code == 404
