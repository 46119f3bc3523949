"""The shipped JSON Schemas reject what the spec forbids (so validating responses against them means something)."""
from __future__ import annotations

import copy
import json

import pytest
from jsonschema import Draft202012Validator

from cds_hooks.service.schemas import SCHEMA_NAMES, load_schema, validator

from .conftest import HOOK_FIXTURES

CARD = {"uuid": "u", "summary": "s", "indicator": "info", "source": {"label": "l"}}


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name):
    """Each schema is itself a valid Draft 2020-12 schema."""
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


BAD_RESPONSES = {
    "summary of 140 characters": {"cards": [{**CARD, "summary": "x" * 140}]},
    "indicator hard-stop": {"cards": [{**CARD, "indicator": "hard-stop"}]},
    "null detail": {"cards": [{**CARD, "detail": None}]},
    "empty links": {"cards": [{**CARD, "links": []}]},
    "suggestions without selectionBehavior": {"cards": [{**CARD, "suggestions": [{"label": "x"}]}]},
    "override reason without display": {"cards": [{**CARD, "overrideReasons": [{"system": "s", "code": "c"}]}]},
    "absolute link with appContext": {"cards": [{**CARD, "links": [
        {"label": "l", "url": "https://x", "type": "absolute", "appContext": "{}"}]}]},
    "delete without resourceId": {"cards": [{**CARD, "selectionBehavior": "any", "suggestions": [
        {"label": "x", "actions": [{"type": "delete", "description": "d"}]}]}]},
    "create without resource": {"cards": [{**CARD, "selectionBehavior": "any", "suggestions": [
        {"label": "x", "actions": [{"type": "create", "description": "d"}]}]}]},
    "source without label": {"cards": [{**CARD, "source": {"url": "https://x"}}]},
    "relative source url": {"cards": [{**CARD, "source": {"label": "l", "url": "/x"}}]},
    "no cards member": {},
}


@pytest.mark.parametrize("case", sorted(BAD_RESPONSES))
def test_response_schema_rejects(case):
    """Each spec violation in a response is caught by the response schema."""
    assert list(validator("response").iter_errors(BAD_RESPONSES[case]))


def test_response_schema_accepts_an_empty_card_list():
    """{"cards": []} is the one allowed empty array (CH §Use of JSON)."""
    assert not list(validator("response").iter_errors({"cards": []}))


@pytest.mark.parametrize("path", sorted(p.name for p in HOOK_FIXTURES.glob("*-*.json")
                                        if p.name.startswith(("patient-view", "order-"))))
def test_every_sample_hook_request_is_valid(path):
    """The sample requests in fixtures/hooks are valid CDS Hooks requests."""
    body = json.loads((HOOK_FIXTURES / path).read_text())
    assert not list(validator("request").iter_errors(body))


def test_request_schema_checks_the_hook_specific_context():
    """order-sign needs draftOrders; patient-view does not."""
    body = json.loads((HOOK_FIXTURES / "order-sign-endocrine-for-hr-negative.json").read_text())
    broken = copy.deepcopy(body)
    del broken["context"]["draftOrders"]
    assert list(validator("request").iter_errors(broken))
    broken["hook"] = "patient-view"
    assert not list(validator("request").iter_errors(broken))
