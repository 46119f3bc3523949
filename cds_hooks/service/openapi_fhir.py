"""The FHIR shapes of the OpenAPI description: what each prefetch key and each draft order holds.

Why: a CDS Hooks request is mostly FHIR. Described only as ``"prefetch": {"type": "object"}``, a client
(or a fuzzer) cannot tell what the service needs, and almost every request built from the description is
refused or answered 412 before the decision core sees any data. Here each prefetch key of discovery gets
the shape its template returns: the Patient for the instance read, else a search Bundle of the type the
template searches, whose codings are the ones the core reads (from the same declaration as the templates,
``cds_hooks.decision.reads``, and the knowledge code tables), with FHIR R4's own regular expressions for
ids, dates and date-times. Each resource lists the elements the core reads; others a FHIR server may add
(``meta``, ``text``, ``category``...) are allowed (``additionalProperties`` is left open) and ignored. An
object schema that declares ``"type": "object"`` lists every element the core reads of it; a schema without
``type`` only narrows its parent (one ``value[x]`` per Observation), so a tool may close the former.

Imports: the decision core's read declaration and the knowledge tables; nothing of HTTP.
"""
from __future__ import annotations

from typing import Any, Iterable

from cds_hooks.decision.reads import CORE_READS, CoreRead
from cds_hooks.knowledge import codes as kc
from cds_hooks.knowledge import drugs

# FHIR R4 primitive types (R4 datatypes.html), anchored: JSON Schema patterns are not.
ID = r"^[A-Za-z0-9\-\.]{1,64}$"
DATE = r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1]))?)?$"
DATE_TIME = (r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
             r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|"
             r"14:00)))?)?)?$")
INSTANT = (r"^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])"
           r"T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$")
# Python's \s also matches \x1c-\x1f and \x85, ECMA-262's does not: naming them makes every engine agree.
NOT_SPACE = r"[^\s\x1c-\x1f\x85]"
CODE = rf"^{NOT_SPACE}+( {NOT_SPACE}+)*$"
TOKEN = rf"^{NOT_SPACE}+$"
UCUM = "http://unitsofmeasure.org"
V3_INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"

# Required bindings of FHIR R4 (the value sets are closed: another code is not FHIR).
OBSERVATION_STATUS = ["registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error",
                      "unknown"]
MEDICATION_REQUEST_STATUS = ["active", "on-hold", "cancelled", "completed", "entered-in-error", "stopped", "draft",
                             "unknown"]
MEDICATION_REQUEST_INTENT = ["proposal", "plan", "order", "original-order", "reflex-order", "filler-order",
                             "instance-order", "option"]
MEDICATION_STATEMENT_STATUS = ["active", "completed", "entered-in-error", "intended", "stopped", "on-hold",
                               "unknown", "not-taken"]
MEDICATION_ADMINISTRATION_STATUS = ["in-progress", "not-done", "on-hold", "completed", "entered-in-error",
                                    "stopped", "unknown"]
PROCEDURE_STATUS = ["preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error",
                    "unknown"]
REPORT_STATUS = ["registered", "partial", "preliminary", "final", "amended", "corrected", "appended", "cancelled",
                 "entered-in-error", "unknown"]
GENDER = ["male", "female", "other", "unknown"]

# The numbers the core reads (percent of cells, ratios, copy numbers, sizes, node counts, scores) are never
# negative and stay far below this; a number outside is accepted and reported as unusable, never guessed at.
RESULT_NUMBER = {"type": "number", "minimum": 0, "maximum": 1000}
UNIT_CODES = ["%", "1", "{ratio}", "mm", "cm", "{score}", "{nodes}", "{copies}/{nucleus}"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _pairs(entries: Iterable[Any]) -> list[tuple[str, str]]:
    return sorted({(e.system, e.code) for e in entries})


# The branch of a Coding that is none of the codes the core reads (marked, so a fuzzer may leave it out).
OTHER_CODE = {"title": "other code", "description": "any other code: the core passes over it"}


def coding(pairs: Iterable[tuple[str, str]], *, others: bool = True) -> dict[str, Any]:
    """A Coding the core reads: one of ``pairs``, or (``others``) any other code, which the core passes over."""
    branches: list[dict[str, Any]] = [{"properties": {"system": {"const": system}, "code": {"const": code}}}
                                      for system, code in pairs]
    schema: dict[str, Any] = {"type": "object", "required": ["system", "code"],
                              "properties": {"system": {"type": "string", "pattern": TOKEN},
                                             "code": {"type": "string", "pattern": CODE},
                                             "display": {"type": "string", "minLength": 1}}}
    if branches and others:
        branches.append(OTHER_CODE)
    if branches:
        schema["anyOf"] = branches
    return schema


def concept(pairs: Iterable[tuple[str, str]], *, others: bool = True, text: bool = False) -> dict[str, Any]:
    """A CodeableConcept whose codings are ``coding(pairs)``."""
    properties: dict[str, Any] = {"coding": {"type": "array", "minItems": 1, "maxItems": 3,
                                             "items": coding(pairs, others=others)}}
    if text:
        properties["text"] = {"type": "string", "minLength": 1}
    return {"type": "object", "required": ["coding"], "properties": properties}


def reference(*types: str) -> dict[str, Any]:
    """A Reference to a resource of one of ``types`` by relative id (``Patient/123``)."""
    alternatives = "|".join(types)
    return {"type": "object", "required": ["reference"],
            "properties": {"reference": {"type": "string", "pattern": rf"^({alternatives})/[A-Za-z0-9\-\.]{{1,64}}$"},
                           "display": {"type": "string", "minLength": 1}}}


def _resource(rtype: str, properties: dict[str, Any], required: Iterable[str] = (), *,
              variants: list[dict[str, Any]] | None = None, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object", "required": ["resourceType", *required],
        "properties": {"resourceType": {"const": rtype}, "id": _ref("FhirId"), **properties}}
    if description:
        schema["description"] = description
    if variants:
        schema["anyOf"] = variants
    return schema


def _value_variants(names: list[str]) -> list[dict[str, Any]]:
    """One value[x] at most (FHIR R4 Observation): each variant requires one and forbids the others."""
    variants = [{"required": [name], "properties": {other: False for other in names if other != name}}
                for name in names]
    variants.append({"properties": {name: False for name in names}})    # no value: an interpretation, or nothing
    return variants


_INTERPRETATION = [(V3_INTERPRETATION, code) for code in ("POS", "NEG", "IND", "DET", "ND")]
_QUANTITY = {"type": "object", "required": ["value"],
             "properties": {"value": RESULT_NUMBER, "comparator": {"enum": ["<", "<=", ">=", ">"]},
                            "unit": {"type": "string", "minLength": 1}, "system": {"const": UCUM},
                            "code": {"enum": UNIT_CODES}}}
_VALUE_NAMES = ["valueQuantity", "valueCodeableConcept", "valueString", "valueInteger", "valueRatio"]


def observation(read: CoreRead, answers: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """An Observation of ``read``: one of its codes, a value the core can read (or only an interpretation)."""
    words = sorted(kc.TEXT_SYNONYMS)
    properties = {
        "status": {"enum": OBSERVATION_STATUS},
        "code": concept(read.codes, text=True),
        "subject": reference("Patient"),
        "effectiveDateTime": _ref("FhirDateTime"),
        "issued": _ref("FhirInstant"),
        "specimen": reference("Specimen"),
        "valueQuantity": _QUANTITY,
        "valueCodeableConcept": concept(answers, text=True),
        "valueString": {"anyOf": [{"enum": words}, {"type": "string", "minLength": 1, "maxLength": 200}]},
        "valueInteger": {"type": "integer", "minimum": 0, "maximum": 1000},
        "valueRatio": {"type": "object", "required": ["numerator"],
                       "properties": {"numerator": _QUANTITY, "denominator": _QUANTITY}},
        "interpretation": {"type": "array", "minItems": 1, "maxItems": 2, "items": concept(_INTERPRETATION)},
    }
    return _resource("Observation", properties, ("status", "code", "subject"), variants=_value_variants(_VALUE_NAMES),
                     description=f"An Observation of {read.label}: {read.purpose}.")


def _answer_pairs(*tables: dict[tuple[str, str], Any]) -> list[tuple[str, str]]:
    return sorted({pair for table in tables for pair in table})


def _drug_pairs() -> list[tuple[str, str]]:
    pairs = {(drugs.RXNORM, i.rxcui) for i in drugs.INGREDIENTS}
    pairs |= {(drugs.RXNORM, p.rxcui) for p in drugs.PRODUCTS}
    pairs |= {(drugs.SNOMED, i.snomed) for i in drugs.INGREDIENTS if i.snomed}
    return sorted(pairs)


def _resources(drug_codes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Schema of each resource type a read returns, by read key."""
    subject = reference("Patient")
    when = _ref("FhirDateTime")
    sites = concept(_pairs(kc.SITE_CODES.values()))
    out: dict[str, dict[str, Any]] = {}
    answers = {
        "receptorObservations": _answer_pairs(kc.ANSWER_CODES),
        "stageObservations": _answer_pairs(kc.STAGE_VALUE_CODES, kc.M_VALUE_CODES, kc.TNM_VALUE_CODES,
                                           kc.NO_METASTASIS_CODES, kc.METASTASIS_SITE_CODES),
        "contextObservations": _answer_pairs(kc.ANSWER_CODES, kc.DISEASE_STATUS_CODES, kc.MENOPAUSE_VALUE_CODES),
    }
    for read in CORE_READS:
        if read.resource_type == "Patient":
            out[read.key] = _resource("Patient", {"gender": {"enum": GENDER}, "birthDate": _ref("FhirDate"),
                                                  "deceasedBoolean": {"type": "boolean"}},
                                      description="The Patient: sex and age.")
        elif read.resource_type == "Observation":
            out[read.key] = observation(read, answers.get(read.key, _answer_pairs(kc.ANSWER_CODES)))
        elif read.resource_type == "Condition":
            out[read.key] = _resource("Condition", {
                "clinicalStatus": concept([(CONDITION_CLINICAL, c) for c in
                                           ("active", "recurrence", "relapse", "inactive", "remission", "resolved")],
                                          others=False),
                "verificationStatus": concept([(CONDITION_VERIFICATION, c) for c in
                                               ("unconfirmed", "provisional", "differential", "confirmed", "refuted",
                                                "entered-in-error")], others=False),
                "code": concept(_pairs(kc.CONDITION_CODES.values()), text=True),
                "bodySite": {"type": "array", "minItems": 1, "maxItems": 2, "items": sites},
                "subject": subject, "onsetDateTime": when, "recordedDate": when},
                ("subject",), description=f"A Condition: {read.purpose}.")
        elif read.resource_type in ("MedicationRequest", "MedicationStatement", "MedicationAdministration"):
            status = {"MedicationRequest": MEDICATION_REQUEST_STATUS, "MedicationStatement": MEDICATION_STATEMENT_STATUS,
                      "MedicationAdministration": MEDICATION_ADMINISTRATION_STATUS}[read.resource_type]
            properties: dict[str, Any] = {"status": {"enum": status}, "medicationCodeableConcept": drug_codes,
                                          "subject": subject}
            required = ["status", "medicationCodeableConcept", "subject"]
            if read.resource_type == "MedicationRequest":
                properties |= {"intent": {"enum": MEDICATION_REQUEST_INTENT}, "authoredOn": when}
                required.append("intent")
            else:
                properties["effectiveDateTime"] = when
                if read.resource_type == "MedicationAdministration":
                    required.append("effectiveDateTime")     # effective[x] is 1..1 there
            out[read.key] = _resource(read.resource_type, properties, required,
                                      description=f"A {read.resource_type}: {read.purpose}.")
        elif read.resource_type == "Specimen":
            out[read.key] = _resource("Specimen", {
                "subject": subject,
                "collection": {"type": "object", "properties": {"collectedDateTime": when, "bodySite": sites}}},
                ("id",), description=f"A Specimen: {read.purpose}.")
        elif read.resource_type == "Procedure":
            out[read.key] = _resource("Procedure", {
                "status": {"enum": PROCEDURE_STATUS}, "code": concept(read.codes, text=True), "subject": subject,
                "performedDateTime": when, "bodySite": {"type": "array", "minItems": 1, "maxItems": 2, "items": sites}},
                ("status", "subject"), description=f"A Procedure: {read.purpose}.")
        elif read.resource_type == "DiagnosticReport":
            out[read.key] = _resource("DiagnosticReport", {
                "status": {"enum": REPORT_STATUS}, "code": concept(()),
                "subject": subject, "effectiveDateTime": when,
                "result": {"type": "array", "minItems": 1, "maxItems": 4, "items": reference("Observation")},
                "specimen": {"type": "array", "minItems": 1, "maxItems": 2, "items": reference("Specimen")}},
                ("status", "code"), description=f"A DiagnosticReport: {read.purpose}.")
        else:   # a read added to the core without a shape here: described as any resource of its type
            out[read.key] = _resource(read.resource_type, {}, description=f"A {read.resource_type}: {read.purpose}.")
    return out


def _component_name(key: str) -> str:
    return "Fhir" + key[0].upper() + key[1:]


_FAILED = {"description": "The EHR's fetch for this key failed (CH §Prefetch Template): the service fetches it "
                          "itself from fhirServer if it can, else the key is a gap (a 412 for the required keys).",
           "type": "object", "required": ["resourceType"],
           "properties": {"resourceType": {"const": "OperationOutcome"}}}
_NO_DATA = {"type": "null", "description": "The EHR reports there is no data for this key."}


def _prefetch_value(read: CoreRead) -> dict[str, Any]:
    resource = _ref(_component_name(read.key))
    if read.instance:
        found = resource
    else:
        found = {"type": "object", "required": ["resourceType", "type"],
                 "description": f"The searchset Bundle the template {read.key} returns.",
                 "properties": {"resourceType": {"const": "Bundle"}, "type": {"const": "searchset"},
                                "entry": {"type": "array", "items": {
                                    "type": "object", "required": ["resource"],
                                    "properties": {"fullUrl": {"type": "string", "pattern": TOKEN},
                                                   "resource": resource,
                                                   "search": {"type": "object",
                                                              "properties": {"mode": {"const": "match"}}}}}}}}
    return {"description": f"{read.label} (template {read.query()})",
            "anyOf": [found, _NO_DATA, _ref("PrefetchFailed")]}


def components() -> dict[str, dict[str, Any]]:
    """The FHIR schemas placed under ``components/schemas`` (primitives, one resource per read, the prefetch,
    the draft orders)."""
    drug_codes = concept(_drug_pairs(), text=True)
    schemas: dict[str, dict[str, Any]] = {
        "FhirId": {"type": "string", "pattern": ID},
        "FhirDate": {"type": "string", "pattern": DATE},
        "FhirDateTime": {"type": "string", "pattern": DATE_TIME},
        "FhirInstant": {"type": "string", "pattern": INSTANT},
    }
    schemas |= {_component_name(key): schema for key, schema in _resources(drug_codes).items()}
    schemas["PrefetchFailed"] = _FAILED
    schemas["Prefetch"] = {
        "type": "object",
        "description": "One member per prefetch template of discovery. Absent: the EHR did not prefetch it (the "
                       "service fetches it from fhirServer if it can); null: no data; an OperationOutcome: the "
                       "EHR's fetch failed. Other members are ignored.",
        "properties": {read.key: _prefetch_value(read) for read in CORE_READS}}
    schemas["FhirDraftMedicationRequest"] = _resource("MedicationRequest", {
        "status": {"const": "draft"}, "intent": {"enum": ["proposal", "plan", "order"]},
        "medicationCodeableConcept": drug_codes, "subject": reference("Patient"), "authoredOn": _ref("FhirDateTime")},
        ("id", "status", "intent", "medicationCodeableConcept", "subject"),
        description="A draft medication order the service judges against the receptor picture (other order types "
                    "are accepted and passed over).")
    schemas["DraftOrders"] = {
        "type": "object", "required": ["resourceType", "entry"],
        "properties": {"resourceType": {"const": "Bundle"}, "type": {"const": "collection"},
                       "entry": {"type": "array", "minItems": 1, "maxItems": 6, "items": {
                           "type": "object", "required": ["resource"],
                           "properties": {"resource": _ref("FhirDraftMedicationRequest")}}}}}
    for name, schema in schemas.items():
        if name.startswith("Fhir"):
            _no_null_members(schema)
    schemas["FhirJsonValue"] = FHIR_JSON_VALUE
    return schemas


# FHIR JSON has no null anywhere (R4 §JSON representation), and the service refuses a resource holding one: the
# members a resource may carry beyond those described are any JSON but null, at any depth.
FHIR_JSON_VALUE: dict[str, Any] = {
    "description": "Any JSON value but null, at any depth (FHIR JSON allows no null values).",
    "anyOf": [{"type": ["string", "number", "boolean"]},
              {"type": "array", "items": {"$ref": "#/components/schemas/FhirJsonValue"}},
              {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/FhirJsonValue"}}]}


def _no_null_members(node: Any) -> None:
    """Every object this module describes takes further members, but never null ones."""
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", _ref("FhirJsonValue"))
        for value in node.values():
            _no_null_members(value)
    elif isinstance(node, list):
        for value in node:
            _no_null_members(value)


REQUIRED_PREFETCH = tuple(read.key for read in CORE_READS if read.required)


def hook_request_layer(hook: str) -> dict[str, Any]:
    """What one service's request adds to the CDS Hooks request schema: its hook, the prefetch and draft orders
    described, and where the receptor data must come from (prefetch, or a fhirServer to fetch it from)."""
    context: dict[str, Any] = {"type": "object"}
    if hook in ("order-select", "order-sign"):
        context["properties"] = {"draftOrders": _ref("DraftOrders")}
    return {
        "properties": {"hook": {"const": hook}, "context": context, "prefetch": _ref("Prefetch")},
        "required": ["hook"],
        "anyOf": [
            {"description": "The receptor data comes with the call: each required key holds data or null, not a "
                            "failed fetch.", "required": ["prefetch"],
             "properties": {"prefetch": {"required": list(REQUIRED_PREFETCH), "properties": {
                 key: {"not": _ref("PrefetchFailed")} for key in REQUIRED_PREFETCH}}}},
            {"description": "The service fetches what is not prefetched from fhirServer (it must be on the "
                            "caller's allowlist, else the call is a 412), with fhirAuthorization's token unless "
                            "that server is open.",
             "required": ["fhirServer"]},
        ],
    }


__all__ = ["components", "hook_request_layer", "REQUIRED_PREFETCH"]
