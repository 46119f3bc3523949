"""Numbers no parser should accept are a 400, never a 500 (issue 8: a 5,000-digit number gave a 500, from
Python's int() limit; the strict orjson parser now refuses it, and these tests keep it so)."""
from __future__ import annotations

import copy
import json

import pytest

from tests.service.conftest import hook_fixture

from .conftest import *  # noqa: F403  (fixtures)

ASSESS = "/cds-services/receptor-assessment"


def _with_value(number: str) -> str:
    body = copy.deepcopy(hook_fixture("patient-view-full-prefetch"))
    entry = body["prefetch"]["receptorObservations"]["entry"][0]["resource"]
    entry["valueQuantity"]["value"] = 12345
    return json.dumps(body).replace("12345", number, 1)


@pytest.mark.parametrize("number", ["9" * 5000, "9" * 4000, "1e400", "-1e400", "NaN", "Infinity"],
                         ids=["5000-digits", "4000-digits", "1e400", "-1e400", "NaN", "Infinity"])
@pytest.mark.parametrize("path", [ASSESS, ASSESS + "/feedback"])
def test_an_absurd_number_anywhere_in_the_body_is_a_400(cds, path, number):
    """Numbers beyond the range of a double (a 5,000-digit integer, 1e400) and the non-JSON literals NaN and
    Infinity are refused with a 400 saying the body is not valid JSON, in a hook call and in feedback."""
    data = _with_value(number) if path == ASSESS else json.dumps(
        {"feedback": [{"card": "c", "outcome": "accepted", "outcomeTimestamp": "2026-01-01T00:00:00Z",
                       "n": 12345}]}).replace("12345", number, 1)
    response = cds.post(path, data=data)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert "not valid JSON" in response.get_json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("number", ["5", "5.25", "-" + "9" * 40, "1" + "0" * 40 + ".5"])
def test_ordinary_and_merely_long_numbers_are_never_a_5xx(cds, number):
    """Plain numbers are read as usual; a 40-digit one is read as a (large) number, never a 500."""
    assert cds.post(ASSESS, data=_with_value(number)).status_code == 200


