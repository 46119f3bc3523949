"""Resource intake (``intake.take_in``): what is accepted, refused, dropped, and how references resolve.

Sources: FHIR R4 Bundle (entry.resource, entry.fullUrl; a reference to "urn:uuid:..." resolves against an entry's
fullUrl, §2.36.4), References (relative "Type/id", absolute URL, version-specific ".../_history/n", §2.3.0),
resource ``status`` value sets (Observation/DiagnosticReport/Medication*/Procedure: entered-in-error and cancelled
mean the record is not a valid result), Condition.verificationStatus (entered-in-error, refuted); issue 2: one
broken resource becomes a data-quality note and never costs the rest of the record; a resource about another
patient is never mixed into this patient's answer.
"""
from __future__ import annotations

import pytest

from cds_hooks.decision.intake import Intake, ref_of, take_in
from cds_hooks.knowledge import codes

LNC, SCT = codes.LNC, codes.SCT
ER_PRESENCE = {"coding": [{"system": LNC, "code": "85337-4"}]}          # ER [Presence] by IHC, a code the readers use
HEART_RATE = {"coding": [{"system": LNC, "code": "8867-4"}]}           # a vital sign nobody reads


def patient(pid="p1"):
    return {"resourceType": "Patient", "id": pid}


def observation(oid="o1", status="final", code=None, subject="Patient/p1", **extra):
    resource = {"resourceType": "Observation", "id": oid, "status": status, "code": code or ER_PRESENCE, **extra}
    if subject is not None:
        resource["subject"] = {"reference": subject}
    return resource


def refs(intake: Intake):
    return [ref_of(r) for r in intake.resources]


def notes(intake: Intake):
    return [(n.code, n.resource) for n in intake.notes]


# ---- input shapes -----------------------------------------------------------------------------------

def test_a_single_resource_is_taken_in():
    assert refs(take_in(patient())) == ["Patient/p1"]


@pytest.mark.parametrize("given, word", [("text", "got text"), (b"bytes", "got text"), (5, "got int"), (None, "got NoneType")])
def test_not_a_list_of_resources_is_a_note(given, word):
    intake = take_in(given)
    assert intake.resources == [] and [n.code for n in intake.notes] == ["invalid-input"]
    assert word in intake.notes[0].message


def test_bundle_entries_are_unpacked_with_their_full_urls():
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [
        {"fullUrl": "http://ehr.example/fhir/Patient/p1", "resource": patient()},
        {"fullUrl": "urn:uuid:0b1c", "resource": observation("o1")},
        {"resource": observation("o2")}]}
    intake = take_in(bundle)
    assert refs(intake) == ["Patient/p1", "Observation/o1", "Observation/o2"]
    assert intake.full_urls == {"Patient/p1": "http://ehr.example/fhir/Patient/p1", "Observation/o1": "urn:uuid:0b1c",
                                "Observation/o2": None}
    assert intake.resolve("urn:uuid:0b1c") is intake.resources[1]
    assert intake.resolve("http://ehr.example/fhir/Patient/p1") is intake.resources[0]


@pytest.mark.parametrize("full_url, rid", [("urn:uuid:7d2e", "7d2e"), ("http://ehr.example/fhir/Observation/o9", "o9"),
                                           ("o7", "o7")])
def test_resource_without_id_takes_it_from_full_url(full_url, rid):
    """A Bundle entry whose resource has no id (a transaction-style entry) is named after its fullUrl."""
    resource = observation()
    del resource["id"]
    intake = take_in({"resourceType": "Bundle", "entry": [{"fullUrl": full_url, "resource": resource}]})
    assert refs(intake) == [f"Observation/{rid}"] and intake.resolve(full_url) is intake.resources[0]


def test_resource_without_id_or_full_url_is_named_by_position():
    first, second = observation(), observation()
    del first["id"], second["id"]
    intake = take_in([patient(), first, {"resourceType": "Bundle", "entry": [{"fullUrl": 5, "resource": second}]}])
    assert refs(intake) == ["Patient/p1", "Observation/item-1", "Observation/item-2"]
    assert intake.full_urls["Observation/item-2"] is None
    assert intake.resolve("urn:uuid:item-1") is intake.resources[1]


def test_id_in_the_resource_wins_over_full_url():
    intake = take_in({"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:abc", "resource": observation("o1")}]})
    assert refs(intake) == ["Observation/o1"] and intake.resolve("urn:uuid:abc") is intake.resources[0]
    assert intake.resolve("urn:uuid:o1") is intake.resources[0]


def test_bad_bundle_entries_are_noted_and_the_rest_kept():
    bundle = {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:1"}, "junk", {"resource": "text"},
                                                  {"resource": patient()}]}
    intake = take_in([bundle, observation()])
    assert refs(intake) == ["Patient/p1", "Observation/o1"]
    assert [n.code for n in intake.notes] == ["invalid-resource"]     # the same note is said once


def test_bundle_without_an_entry_list_holds_nothing_and_stops_nothing():
    intake = take_in([{"resourceType": "Bundle", "entry": 5}, {"resourceType": "Bundle"}, patient()])
    assert refs(intake) == ["Patient/p1"] and intake.notes == []


def test_bundles_nest_two_levels():
    """A batch of searchsets (a Bundle of Bundles) is unpacked; deeper nesting is not (kept opaque, never read)."""
    inner = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": observation("o1")}]}
    batch = {"resourceType": "Bundle", "type": "batch-response", "entry": [{"resource": inner}]}
    assert refs(take_in([patient(), batch])) == ["Patient/p1", "Observation/o1"]
    deeper = {"resourceType": "Bundle", "id": "outer", "entry": [{"resource": batch}]}
    intake = take_in([patient(), deeper])
    assert "Observation/o1" not in refs(intake) and intake.of_type("Observation") == []


@pytest.mark.parametrize("item, message", [
    (5, "item 1 is not a FHIR resource (got int)"), ("x", "item 1 is not a FHIR resource (got str)"),
    ({"id": "x"}, "item 1 has no resourceType"), ({"resourceType": ""}, "item 1 has no resourceType"),
    ({"resourceType": 3}, "item 1 has no resourceType"),
])
def test_items_that_are_not_resources_are_noted(item, message):
    intake = take_in([patient(), item, observation()])
    assert refs(intake) == ["Patient/p1", "Observation/o1"]
    assert [(n.code, n.message, n.resource) for n in intake.notes] == [("invalid-resource", message, None)]


def test_the_same_resource_twice_is_read_once_but_a_different_one_with_the_same_id_is_kept():
    """Overlapping searches repeat a resource: read once. Two different contents under one id are both kept
    (neither is silently lost), and a reference resolves to the first."""
    intake = take_in([patient(), observation(), observation(), observation("o2")])
    assert refs(intake) == ["Patient/p1", "Observation/o1", "Observation/o2"]
    other = observation(valueQuantity={"value": 5, "unit": "%"})
    intake = take_in([patient(), observation(), other])
    assert refs(intake) == ["Patient/p1", "Observation/o1", "Observation/o1"]
    assert intake.resolve("Observation/o1") is intake.resources[1]


# ---- validation -----------------------------------------------------------------------------------------

def test_a_resource_that_is_not_fhir_r4_is_dropped_with_its_reason():
    broken = observation(effectiveDateTime="last tuesday")
    intake = take_in([patient(), broken, observation("o2")])
    assert refs(intake) == ["Patient/p1", "Observation/o2"]
    [note] = intake.notes
    assert (note.code, note.resource) == ("invalid-resource", "Observation/o1")
    assert "does not conform to FHIR R4" in note.message and "effectiveDateTime" in note.message
    assert intake.dropped == {"Observation/o1"} and intake.resolve("Observation/o1") is None


@pytest.mark.parametrize("extra, more", [
    ({"status": 5, "issued": "x", "effectiveDateTime": "y"}, None),
    ({"status": 5, "issued": "x", "effectiveDateTime": "y", "language": 7}, "(+1 more)"),
    ({"status": 5, "issued": "x", "effectiveDateTime": "y", "language": 7, "implicitRules": 8}, "(+2 more)"),
])
def test_validation_names_three_problems_and_counts_the_rest(extra, more):
    intake = take_in([patient(), observation(**extra)])
    message = intake.notes[0].message
    assert message.count(": ") == 4      # "<ref> does not conform...: " and one "<field>: ..." per named problem
    assert message.endswith(more) if more else "more)" not in message


def test_types_not_read_are_kept_unvalidated():
    """Types the readers do not use (e.g. Encounter) are kept for reference resolution, never validated."""
    encounter = {"resourceType": "Encounter", "id": "e1", "status": 5}
    assert refs(take_in([patient(), encounter])) == ["Patient/p1", "Encounter/e1"]


@pytest.mark.parametrize("resource, validated", [
    (observation(code=HEART_RATE, issued="x"), False),                               # vital sign: nothing reads it
    (observation(code=ER_PRESENCE, issued="x"), True),
    (observation(code={"coding": [{"system": LNC, "code": "8867-4"}, *ER_PRESENCE["coding"]]}, issued="x"), True),
    (observation(code={"coding": [{"code": "8867-4"}]}, issued="x"), True),        # no system: not plain
    (observation(code={"coding": [{"system": LNC, "code": 8867}]}, issued="x"), True),
    (observation(code={"coding": ["8867-4"]}, issued="x"), True),
    (observation(code={"coding": "8867-4"}, issued="x"), True),
    (observation(code={"text": "heart rate"}, issued="x"), True),                  # no codes at all
    (observation(code="8867-4", issued="x"), True),                                # code not a CodeableConcept
    (observation(code={"coding": [{"system": LNC, "code": "10828004"}]}, issued="x"), True),   # SNOMED id as LOINC
    (observation(code={"coding": [{"system": LNC, "code": "417181009"}]}, issued="x"), True),  # known wrong system
    (observation(code=HEART_RATE, issued="x", component=[{"code": HEART_RATE}]), False),
    (observation(code=HEART_RATE, issued="x", component=[{"code": HEART_RATE}, {"code": ER_PRESENCE}]), True),
    (observation(code=HEART_RATE, issued="x", component=["junk"]), True),
    (observation(code=HEART_RATE, issued="x", component=[{"code": {"coding": "x"}}]), True),
    (observation(code=HEART_RATE, issued="x", component={"code": HEART_RATE}), True),
    ({"resourceType": "Procedure", "id": "o1", "status": "completed", "subject": {"reference": "Patient/p1"},
      "performedDateTime": "bad", "code": {"coding": [{"system": SCT, "code": "34043003"}]}}, False),    # dental consultation
    ({"resourceType": "Procedure", "id": "o1", "status": "completed", "subject": {"reference": "Patient/p1"},
      "performedDateTime": "bad", "code": {"coding": [{"system": SCT, "code": "392021009"}]}}, True),     # lumpectomy
    ({"resourceType": "Condition", "id": "o1", "subject": {"reference": "Patient/p1"}, "onsetDateTime": "bad",
      "code": HEART_RATE}, True),                                                  # only Observation/Procedure skip
])
def test_only_resources_positively_never_read_skip_validation(resource, validated):
    """Skipping validation is only for an Observation/Procedure whose every code is plainly one nobody reads."""
    intake = take_in([patient(), resource])
    assert (ref_of(resource) in intake.dropped) is validated
    assert ([n.code for n in intake.notes] == ["invalid-resource"]) is validated


# ---- statuses ---------------------------------------------------------------------------------------------

RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
TAMOXIFEN = {"coding": [{"system": RXN, "code": "198240"}]}


def of_type_with_status(rtype, status):
    subject = {"reference": "Patient/p1"}
    return {
        "Observation": observation("x", status),
        "DiagnosticReport": {"resourceType": "DiagnosticReport", "id": "x", "status": status, "code": ER_PRESENCE,
                             "subject": subject},
        "MedicationRequest": {"resourceType": "MedicationRequest", "id": "x", "status": status, "intent": "order",
                              "subject": subject, "medicationCodeableConcept": TAMOXIFEN},
        "MedicationStatement": {"resourceType": "MedicationStatement", "id": "x", "status": status, "subject": subject,
                                "medicationCodeableConcept": TAMOXIFEN},
        "MedicationAdministration": {"resourceType": "MedicationAdministration", "id": "x", "status": status,
                                     "subject": subject, "medicationCodeableConcept": TAMOXIFEN,
                                     "effectiveDateTime": "2026-01-01"},
        "Procedure": {"resourceType": "Procedure", "id": "x", "status": status, "subject": subject,
                      "code": {"coding": [{"system": SCT, "code": "392021009"}]}},
    }[rtype]


STATUS_TYPES = ["Observation", "DiagnosticReport", "MedicationRequest", "MedicationStatement",
                "MedicationAdministration", "Procedure"]
# A status each type's R4 value set allows that still describes a real record.
KEPT_STATUS = {"Observation": "preliminary", "DiagnosticReport": "final", "MedicationRequest": "stopped",
               "MedicationStatement": "completed", "MedicationAdministration": "completed", "Procedure": "completed"}


# MedicationStatement and MedicationAdministration have no "cancelled" in their R4 status value sets.
_DROPPED_STATUSES = [(rtype, status, code) for rtype in STATUS_TYPES
                     for status, code in [("entered-in-error", "dropped-entered-in-error"), ("cancelled", "dropped-cancelled")]
                     if (rtype, status) not in {("MedicationStatement", "cancelled"), ("MedicationAdministration", "cancelled")}]


@pytest.mark.parametrize("rtype, status, code", _DROPPED_STATUSES)
def test_entered_in_error_and_cancelled_records_are_dropped_and_said(rtype, status, code):
    resource = of_type_with_status(rtype, status)
    intake = take_in([patient(), resource, observation("after")])
    ref = f"{rtype}/x"
    assert refs(intake) == ["Patient/p1", "Observation/after"] and intake.dropped == {ref}
    [note] = intake.notes
    assert (note.code, note.resource) == (code, ref) and f"'{status}'" in note.message
    assert intake.resolve(ref) is None


@pytest.mark.parametrize("rtype", STATUS_TYPES)
def test_other_statuses_are_kept(rtype):
    intake = take_in([patient(), of_type_with_status(rtype, KEPT_STATUS[rtype])])
    assert refs(intake) == ["Patient/p1", f"{rtype}/x"] and intake.notes == [] and intake.dropped == set()


def condition(verification, *more):
    concept = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification},
                          *more]}
    return {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": SCT, "code": "254837009"}]}, "verificationStatus": concept}


@pytest.mark.parametrize("verification", ["entered-in-error", "refuted"])
def test_refuted_or_entered_in_error_conditions_are_dropped(verification):
    intake = take_in([patient(), condition(verification), observation("after")])
    assert refs(intake) == ["Patient/p1", "Observation/after"] and intake.dropped == {"Condition/c1"}
    assert notes(intake) == [("dropped-entered-in-error", "Condition/c1")]


@pytest.mark.parametrize("verification", ["confirmed", "unconfirmed", "provisional", "differential"])
def test_other_verification_statuses_are_kept(verification):
    intake = take_in([patient(), condition(verification)])
    assert refs(intake) == ["Patient/p1", "Condition/c1"] and intake.notes == []


def test_refuted_in_any_coding_drops_the_condition():
    intake = take_in([patient(), condition("confirmed", {"system": "http://local", "code": "refuted"})])
    assert intake.dropped == {"Condition/c1"}


@pytest.mark.parametrize("verification", [None, {"text": "refuted"}, {"coding": None}])
def test_verification_status_without_codes_keeps_the_condition(verification):
    """Only a coded entered-in-error/refuted drops a Condition; free text is not read as a verification status."""
    resource = condition("confirmed")
    resource["verificationStatus"] = verification
    if verification is None:
        del resource["verificationStatus"]
    intake = take_in([patient(), resource])
    assert refs(intake) == ["Patient/p1", "Condition/c1"]


# ---- another patient's resources ----------------------------------------------------------------------

@pytest.mark.parametrize("subject", ["Patient/p1", "Patient/p1/_history/3", "http://ehr.example/fhir/Patient/p1",
                                     "http://ehr.example/fhir/Patient/p1/_history/2", "urn:uuid:p1", " Patient/p1 ",
                                     "http://ehr.example/fhir/Patient/p1/", "Group/g1", "Device/d1", None])
def test_resources_about_this_patient_or_no_patient_are_kept(subject):
    intake = take_in([patient(), observation(subject=subject), observation("o2")])
    assert refs(intake) == ["Patient/p1", "Observation/o1", "Observation/o2"] and intake.notes == []


@pytest.mark.parametrize("subject", ["Patient/p2", "Patient/p2/_history/1", "http://ehr.example/fhir/Patient/p2",
                                     "urn:uuid:other", "Patient/p11"])
def test_resources_about_another_patient_are_dropped(subject):
    intake = take_in([patient(), observation(subject=subject), observation("o2")])
    assert refs(intake) == ["Patient/p1", "Observation/o2"]
    assert intake.dropped == {"Observation/o1"} and intake.resolve("Observation/o1") is None
    assert intake.resolve("urn:uuid:o1") is None and intake.resolve("Observation/o2") is not None
    [note] = intake.notes
    assert (note.code, note.resource) == ("other-patient", "Observation/o1") and "Patient/p1" in note.message


def test_patient_member_is_checked_too():
    """Resources that name their patient in ``patient`` (e.g. AllergyIntolerance) are checked as well."""
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": {"reference": "Patient/p2"}}
    intake = take_in([patient(), allergy])
    assert refs(intake) == ["Patient/p1"] and notes(intake) == [("other-patient", "AllergyIntolerance/a1")]


def test_patient_full_url_names_this_patient():
    bundle = {"resourceType": "Bundle", "entry": [
        {"fullUrl": "urn:uuid:5f0a", "resource": patient()},
        {"resource": observation(subject="urn:uuid:5f0a")}]}
    intake = take_in(bundle)
    assert refs(intake) == ["Patient/p1", "Observation/o1"]


@pytest.mark.parametrize("patients", [[], [patient("p1"), patient("p2")]])
def test_without_exactly_one_patient_nothing_is_dropped_as_foreign(patients):
    """With no Patient, or two, there is no 'this patient' to compare with: nothing is dropped on that ground."""
    intake = take_in([*patients, observation(subject="Patient/p9")])
    assert "Observation/o1" in refs(intake) and intake.notes == []


@pytest.mark.parametrize("subject", [{"display": "Jane"}, {"reference": 5}, "Patient/p2"])
def test_unreadable_subject_is_not_a_foreign_patient(subject):
    intake = take_in([patient(), {"resourceType": "Encounter", "id": "e1", "subject": subject}])
    assert refs(intake) == ["Patient/p1", "Encounter/e1"]


# ---- Intake helpers ----------------------------------------------------------------------------------

def test_resolve_reference_forms():
    intake = take_in([patient(), observation("o1")])
    target = intake.resources[1]
    for reference in ["Observation/o1", {"reference": "Observation/o1"}, " Observation/o1 ", "urn:uuid:o1",
                      "https://ehr.example/fhir/Observation/o1", "https://ehr.example/fhir/Observation/o1/",
                      "Observation/o1/_history/2", "https://ehr.example/fhir/Observation/o1/_history/2"]:
        assert intake.resolve(reference) is target, reference
    for reference in ["Observation/o2", "o1", "", None, 5, {"reference": None}, {"display": "o1"},
                      "Observation/o2/_history/1", "_history/1", "Specimen/o1"]:
        assert intake.resolve(reference) is None, reference


def test_of_type_follows_a_growing_list():
    intake = take_in([patient(), observation("o1"), observation("o2", code=HEART_RATE)])
    assert [r["id"] for r in intake.of_type("Observation")] == ["o1", "o2"]
    assert [r["id"] for r in intake.of_type("Observation", "Patient")] == ["p1", "o1", "o2"]
    assert intake.of_type("Specimen") == []
    intake.resources.append(observation("o3"))
    assert [r["id"] for r in intake.of_type("Observation")] == ["o1", "o2", "o3"]
    intake.resources = [observation("o4")]
    assert [r["id"] for r in intake.of_type("Observation")] == ["o4"]
    got = intake.of_type("Observation")
    got.clear()
    assert len(intake.of_type("Observation")) == 1          # a new list each time


def test_a_note_is_said_once():
    intake = Intake()
    intake.note("x", "m", "Observation/1")
    intake.note("x", "m", "Observation/1")
    intake.note("x", "m", "Observation/2")
    intake.note("x", "other", "Observation/1")
    intake.note("y", "m", "Observation/1")
    assert [(n.code, n.message, n.resource) for n in intake.notes] == [
        ("x", "m", "Observation/1"), ("x", "m", "Observation/2"), ("x", "other", "Observation/1"), ("y", "m", "Observation/1")]


def test_ref_of_names_missing_parts():
    assert ref_of({}) == "?/?" and ref_of({"resourceType": "Observation"}) == "Observation/?"
    assert ref_of({"resourceType": "Observation", "id": "o1"}) == "Observation/o1"


def test_non_string_id_is_replaced_by_position():
    """An id that is not a string (invalid R4; kept for an unvalidated type) is replaced, never used as is."""
    intake = take_in([patient(), {"resourceType": "Encounter", "id": 5}])
    assert refs(intake) == ["Patient/p1", "Encounter/item-1"]


def test_bad_entry_in_a_nested_bundle_is_noted():
    inner = {"resourceType": "Bundle", "entry": [{"fullUrl": "urn:uuid:1"}, {"resource": observation()}]}
    intake = take_in([patient(), {"resourceType": "Bundle", "entry": [{"resource": inner}]}])
    assert refs(intake) == ["Patient/p1", "Observation/o1"] and [n.code for n in intake.notes] == ["invalid-resource"]
