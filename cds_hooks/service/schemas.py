"""The JSON Schemas (Draft 2020-12) written from the CDS Hooks 2.0 text, shipped with the package.

They are used twice: to validate what EHRs send us (requests, feedback) and, in the test
suite, to validate every response we send. One source of truth for both directions.
"""
from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_NAMES = ("discovery", "request", "response", "feedback")


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """The schema named ``name`` (one of ``SCHEMA_NAMES``) as a dict."""
    if name not in SCHEMA_NAMES:
        raise KeyError(name)
    text = resources.files("cds_hooks.service").joinpath("schemas", f"{name}.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=None)
def validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def first_error(name: str, instance: Any) -> str | None:
    """A one-line, specific description of the most relevant schema violation, or None if valid."""
    errors = list(validator(name).iter_errors(instance))
    if not errors:
        return None
    error: ValidationError = best_match(errors)
    where = ".".join(str(p) for p in error.absolute_path) or "(body)"
    return f"{where}: {error.message}"
