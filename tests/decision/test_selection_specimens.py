"""Where and when a sample was taken (selection.specimen_of, _site_kind, _collected, day), through assess().

Sources: FHIR R4 Specimen.collection.collected[x] (dateTime or Period) and bodySite, Observation.bodySite and
Observation.effective[x]; CodeableConcept.text is the concept as the user entered it. Clinical-knowledge b.1: the
primary breast is told from a metastasis by the body site of the specimen (else of the Observation), and the
episode a sample belongs to is a question about the tissue, so the collection date decides when it is recorded.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.decision.selection import day
from cds_hooks.knowledge import codes

LNC, SCT, ICD = codes.LNC, codes.SCT, codes.ICD10CM
CONFIG = DecisionConfig(today=date(2026, 11, 1))
_ids = iter(range(100_000))
PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1960-01-01"}


def er(value, when="2026-09-01", **extra):
    return {"resourceType": "Observation", "id": f"x{next(_ids)}", "status": "final",
            "code": {"coding": [{"system": LNC, "code": "85329-1"}]}, "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": "%"}, **extra}


def er_call(a):
    (call,) = [c for c in a.samples if c.receptor == "ER"]
    return call


def test_day_is_the_date_part_or_empty():
    assert (day("2026-09-01T10:00:00Z"), day("2026-09-01"), day(None)) == ("2026-09-01", "2026-09-01", "")


@pytest.mark.parametrize("collection, collected", [
    ({"collectedDateTime": "2026-08-20"}, "2026-08-20"),
    ({"collectedPeriod": {"start": "2026-08-21", "end": "2026-08-22"}}, "2026-08-21"),
    ({"collectedPeriod": {"end": "2026-08-22"}}, None),
    ({}, None),
])
def test_the_sample_date_is_the_collection_date_when_the_specimen_records_one(collection, collected):
    """The sample's date is Specimen.collection.collectedDateTime, or the start of collectedPeriod; without either
    it is the result's own date."""
    spec = {"resourceType": "Specimen", "id": "s1",
            "collection": {"bodySite": {"coding": [{"system": SCT, "code": "80248007"}]}, **collection}}
    a = assess([PATIENT, spec, er(80, specimen={"reference": "Specimen/s1"})], CONFIG)
    assert er_call(a).date == (collected or "2026-09-01")
    assert (er_call(a).specimen, er_call(a).side) == ("primary", "left")     # a coded breast site, no display


def test_a_site_is_named_by_its_text_before_a_coding_display():
    """bodySite text 'Liver, segment 6' with a SNOMED liver code: the sample is a metastasis named by the text."""
    spec = {"resourceType": "Specimen", "id": "s1", "collection": {"bodySite": {
        "text": "Liver, segment 6", "coding": [{"system": SCT, "code": "10200004", "display": "Liver structure"}]}}}
    a = assess([PATIENT, spec, er(80, specimen={"reference": "Specimen/s1"})], CONFIG)
    call = er_call(a)
    assert (call.specimen, call.specimen_site) == ("metastasis", "Liver, segment 6")


def test_a_site_without_text_is_named_by_the_coding_display():
    spec = {"resourceType": "Specimen", "id": "s1", "collection": {"bodySite": {
        "coding": [{"system": SCT, "code": "10200004", "display": "Liver structure"}]}}}
    a = assess([PATIENT, spec, er(80, specimen={"reference": "Specimen/s1"})], CONFIG)
    assert (er_call(a).specimen, er_call(a).specimen_site) == ("metastasis", "Liver structure")


@pytest.mark.parametrize("site, kind", [
    ({"coding": [{"system": SCT, "code": "76752008"}]}, "primary"),
    ({"coding": [{"system": SCT, "code": "68171009"}]}, "unknown"),         # axillary node: neither
    # a regional node with tumour in it is still not a distant metastasis (N, not M)
    ({"coding": [{"system": SCT, "code": "68171009"}], "text": "axillary node, metastatic carcinoma"}, "unknown"),
    ({"coding": [{"system": SCT, "code": "3138006"}]}, "metastasis"),       # bone
    ({"text": "core biopsy, left breast 2 o'clock"}, "primary"),
    ({"text": "liver biopsy"}, "metastasis"),
    ({"text": "axillary lymph node"}, "unknown"),
    ({"text": "skin nodule"}, "metastasis"),
])
def test_the_kind_of_tissue_from_the_observation_body_site(site, kind):
    """Without a Specimen, Observation.bodySite tells a breast sample from a metastasis; a regional node is
    neither (it is not a distant metastasis)."""
    a = assess([PATIENT, er(80, bodySite=site)], CONFIG)
    assert er_call(a).specimen == kind


@pytest.mark.parametrize("site, side", [
    ({"coding": [{"system": SCT, "code": "80248007"}]}, "left"),
    ({"coding": [{"system": SCT, "code": "73056007"}]}, "right"),
    ({"text": "Right breast, core biopsy"}, "right"),
    ({"coding": [{"system": SCT, "code": "76752008"}]}, None),
])
def test_the_side_of_a_sample_without_a_specimen_comes_from_the_observation_body_site(site, side):
    a = assess([PATIENT, er(80, bodySite=site)], CONFIG)
    assert er_call(a).side == side


def test_the_observation_body_site_gives_the_side_when_the_specimen_does_not():
    """A Specimen on the breast without a side, and an Observation.bodySite naming the left breast: left."""
    spec = {"resourceType": "Specimen", "id": "s1", "collection": {"bodySite": {
        "coding": [{"system": SCT, "code": "76752008"}]}}}
    a = assess([PATIENT, spec, er(80, specimen={"reference": "Specimen/s1"},
                                   bodySite={"coding": [{"system": SCT, "code": "80248007"}]})], CONFIG)
    assert (er_call(a).specimen, er_call(a).side) == ("primary", "left")


def test_a_specimen_without_a_body_site_takes_the_kind_from_the_observation():
    spec = {"resourceType": "Specimen", "id": "s1", "collection": {"collectedDateTime": "2026-08-01"}}
    a = assess([PATIENT, spec, er(80, specimen={"reference": "Specimen/s1"},
                                   bodySite={"coding": [{"system": SCT, "code": "10200004"}]})], CONFIG)
    assert (er_call(a).specimen, er_call(a).date, er_call(a).specimen_ref) == ("metastasis", "2026-08-01", "Specimen/s1")


@pytest.mark.parametrize("extra, when", [
    ({"effectivePeriod": {"start": "2026-07-01"}}, "2026-07-01"),
    ({"issued": "2026-07-02T08:00:00Z"}, "2026-07-02T08:00:00Z"),
    ({"effectiveInstant": "2026-07-03T08:00:00Z"}, "2026-07-03T08:00:00Z"),
])
def test_when_a_result_holds(extra, when):
    """effectiveDateTime | effectiveInstant | effectivePeriod.start | issued (b.1)."""
    item = er(80, **extra)
    del item["effectiveDateTime"]
    a = assess([PATIENT, item], CONFIG)
    assert a.er.effective == when
