"""Property tests: random or broken Observations never raise and never yield a subtype from too little data."""
from __future__ import annotations

import json
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_hooks.decision import DecisionConfig, assess, check_orders
from cds_hooks.knowledge import drugs as _drugs
from cds_hooks.knowledge import codes
from tests.property_budget import examples

CONFIG = DecisionConfig(today=date(2026, 11, 1))
ER_CODES = {e.code for e in codes.RECEPTOR_CODES if e.meaning == "ER"}
HER2_CODES = {e.code for e in codes.RECEPTOR_CODES if e.meaning.startswith("HER2") or e.meaning == "CEP17-copies"}
KNOWN_CODES = sorted({e.code for e in codes.RECEPTOR_CODES} | {e.code for e in codes.SERUM_HER2_CODES} | {"417181009", "69548-6", "97509-4", "21908-9", "44667-4"})
ANSWERS = sorted({(e.system, e.code) for e in codes.VALUE_CODES})

junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                 st.text(max_size=12), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=4), st.integers(), max_size=2))
systems = st.one_of(st.sampled_from([codes.LNC, codes.SCT, "http://example.org/local"]), st.text(max_size=10), st.none())


def coding(code_pool):
    return st.fixed_dictionaries({"system": systems, "code": st.one_of(st.sampled_from(code_pool), st.text(max_size=10))},
                                 optional={"display": st.text(max_size=20)})


def concept(code_pool):
    return st.one_of(st.fixed_dictionaries({"coding": st.lists(coding(code_pool), max_size=3)}, optional={"text": st.text(max_size=20)}), junk)


answer_concept = st.one_of(
    st.builds(lambda pair, text: {"coding": [{"system": pair[0], "code": pair[1]}], "text": text}, st.sampled_from(ANSWERS), st.text(max_size=15)),
    concept(["LA6576-8", "10828004", "xyz"]))
quantity = st.one_of(
    st.fixed_dictionaries({"value": st.one_of(st.floats(-10, 1000, allow_nan=False), st.integers(-5, 200), st.text(max_size=5))},
                          optional={"unit": st.sampled_from(["%", "1", "", "mg", "{ratio}"]),
                                    "comparator": st.sampled_from(["<", "<=", ">", ">=", "~", "bogus"])}),
    junk)
ratio = st.one_of(st.fixed_dictionaries({"numerator": st.fixed_dictionaries({"value": st.floats(-1, 10, allow_nan=False)}),
                                         "denominator": st.fixed_dictionaries({"value": st.floats(-1, 10, allow_nan=False)})}), junk)
values = st.fixed_dictionaries({}, optional={
    "valueCodeableConcept": answer_concept, "valueQuantity": quantity, "valueRatio": ratio,
    "valueString": st.one_of(st.sampled_from(["less than 1.8", "greater than 2.2", "1.8-2.2", "3+", ">10%", "0 ultralow", "pos"]), st.text(max_size=15)),
    "interpretation": st.one_of(st.lists(answer_concept, max_size=2), junk)})


def observation(code_pool):
    return st.builds(
        lambda ident, status, code, value, when, extra: {
            "resourceType": "Observation", "id": ident, "status": status, "code": code,
            "effectiveDateTime": when, **value, **extra},
        st.text(alphabet="abcdefghij0123456789-", min_size=1, max_size=8),
        st.one_of(st.sampled_from(["final", "preliminary", "amended", "entered-in-error", "cancelled", "registered", "unknown"]), junk),
        concept(code_pool),
        values,
        st.one_of(st.sampled_from(["2026-01-01", "2020-05-05T10:00:00Z", "2026"]), junk),
        st.fixed_dictionaries({}, optional={
            "component": st.one_of(st.lists(st.builds(lambda c, v: {"code": c, **v}, concept(code_pool), values), max_size=3), junk),
            "specimen": st.one_of(st.fixed_dictionaries({"reference": st.text(max_size=10)}), junk),
            "hasMember": st.one_of(st.lists(st.fixed_dictionaries({"reference": st.text(max_size=12)}), max_size=2), junk),
            "bodySite": concept(["76752008", "10200004"])}))


def well_formed(code_pool):
    """Structurally valid Observations with recognised codes, so the decision paths themselves are exercised."""
    return st.builds(
        lambda ident, status, code, value, when: {
            "resourceType": "Observation", "id": f"wf-{ident}", "status": status,
            "code": {"coding": [{"system": codes.LNC, "code": code}]}, "effectiveDateTime": when, **value},
        st.integers(0, 10_000), st.sampled_from(["final", "preliminary", "amended", "entered-in-error"]),
        st.sampled_from(code_pool),
        st.one_of(
            st.builds(lambda v, c: {"valueQuantity": {"value": v, "unit": "%", **({"comparator": c} if c else {})}},
                      st.floats(0, 100, allow_nan=False), st.sampled_from([None, "<", ">"])),
            st.builds(lambda pair: {"valueCodeableConcept": {"coding": [{"system": pair[0], "code": pair[1]}]}}, st.sampled_from(ANSWERS)),
            st.builds(lambda t: {"valueString": t}, st.sampled_from(["less than 1.8", "greater than 2.2", "1.8-2.2", "3+", ">10%", "2.4"]))),
        st.sampled_from(["2024-01-01", "2025-06-01", "2026-09-01"]))


any_item = st.one_of(observation(KNOWN_CODES), junk, st.fixed_dictionaries({"resourceType": st.sampled_from(["Patient", "Condition", "Specimen", "Bundle", "MedicationRequest"])},
                                                                          optional={"id": junk, "gender": junk, "birthDate": junk, "code": concept(KNOWN_CODES), "entry": junk, "status": junk}))


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(any_item, well_formed(KNOWN_CODES)), max_size=8))
def test_random_resources_never_raise(items):
    """Any list of random, broken or mistyped resources gives a JSON-serialisable assessment, never an exception."""
    assessment = assess(items, CONFIG)
    json.dumps(assessment.to_dict())
    assert assessment.subtype in ("HR+/HER2-", "HR+/HER2+", "HR-/HER2+", "triple-negative", "indeterminate")


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(observation(sorted(set(KNOWN_CODES) - ER_CODES)),
                          well_formed(sorted(set(KNOWN_CODES) - ER_CODES - {"417181009"}))), max_size=8))
def test_no_er_result_means_indeterminate(observations):
    """Without any ER result the subtype is indeterminate, whatever else is recorded."""
    assert assess(observations, CONFIG).subtype == "indeterminate"


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(observation(sorted(set(KNOWN_CODES) - HER2_CODES)),
                          well_formed(sorted(set(KNOWN_CODES) - HER2_CODES - {"417181009"}))), max_size=8))
def test_no_her2_result_means_indeterminate(observations):
    """Without any tissue HER2 result (serum HER2 does not count) the subtype is indeterminate."""
    assert assess(observations, CONFIG).subtype == "indeterminate"


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(observation(KNOWN_CODES), max_size=6))
def test_a_bundle_passed_whole_is_read_like_its_resources(observations):
    """A Bundle dict handed over by mistake gives the same subtype as its resources."""
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in observations]}
    assert assess(bundle, CONFIG).subtype == assess(observations, CONFIG).subtype


@settings(max_examples=examples(200), deadline=None)
@given(well_formed(sorted(ER_CODES)), well_formed(sorted(HER2_CODES)), st.lists(well_formed(KNOWN_CODES), max_size=6))
def test_classified_subtypes_rest_on_er_and_her2_evidence(er, her2, others):
    """Whenever a subtype other than indeterminate is given, ER and HER2 findings name their evidence."""
    assessment = assess([er, her2, *others], CONFIG)
    if assessment.subtype != "indeterminate":
        assert assessment.er.status != "unknown" and assessment.er.evidence
        assert assessment.her2.status in ("positive", "negative") and assessment.her2.evidence


def _key(assessment):
    return (assessment.subtype, assessment.hr, assessment.er.status, assessment.pr.status, assessment.her2.status,
            assessment.her2.expression)


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(well_formed(KNOWN_CODES), min_size=1, max_size=10), st.randoms(use_true_random=False))
def test_order_of_resources_never_changes_the_decision(observations, rnd):
    """Shuffling the same resources gives the same subtype and findings: input order never picks between results."""
    shuffled = list(observations)
    rnd.shuffle(shuffled)
    assert _key(assess(observations, CONFIG)) == _key(assess(shuffled, CONFIG))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(well_formed(KNOWN_CODES), max_size=8), st.lists(well_formed(KNOWN_CODES), min_size=1, max_size=4))
def test_entered_in_error_results_never_change_the_decision(observations, withdrawn):
    """Adding results marked entered-in-error (b.1: dropped) leaves the subtype and findings unchanged."""
    extra = [{**o, "id": f"eie-{i}", "status": "entered-in-error"} for i, o in enumerate(withdrawn)]
    before = assess(observations, CONFIG)
    after = assess([*observations, *extra], CONFIG)
    assert _key(before) == _key(after)
    assert {f"Observation/eie-{i}" for i in range(len(extra))} <= {n.resource for n in after.data_quality}


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(well_formed(KNOWN_CODES), max_size=8),
       st.lists(well_formed(sorted(c.code for c in codes.SERUM_HER2_CODES)), min_size=1, max_size=3))
def test_serum_her2_never_changes_the_decision(observations, serum):
    """Serum HER2 results, whatever they say, never change the tumour HER2 status or the subtype (a.2, P17)."""
    serum = [{**o, "id": f"serum-{i}"} for i, o in enumerate(serum)]
    assert _key(assess(observations, CONFIG)) == _key(assess([*observations, *serum], CONFIG))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(well_formed(KNOWN_CODES), min_size=1, max_size=8))
def test_preliminary_only_data_never_gives_an_unqualified_subtype(observations):
    """When every result is preliminary, any subtype given says it rests on a provisional result (b.1)."""
    provisional = [{**o, "status": "preliminary"} for o in observations]
    assessment = assess(provisional, CONFIG)
    if assessment.subtype != "indeterminate":
        assert any("provisional" in r for r in assessment.subtype_reasons)
        assert all(o.status != "applicable" for o in assessment.options)   # none offered is also honest


def test_preliminary_only_data_offers_options_none_applicable():
    """The branch above with options really offered: preliminary ER 90 %, PR 50 %, HER2 IHC 1+ give HR+/HER2-
    with options, every one waiting for the final result (b.1)."""
    def prelim(code, value):
        return {"resourceType": "Observation", "id": f"p-{code}", "status": "preliminary", "effectiveDateTime": "2026-09-01",
                "code": {"coding": [{"system": codes.LNC, "code": code}]}, **value}
    assessment = assess([prelim("85329-1", {"valueQuantity": {"value": 90, "unit": "%"}}),
                         prelim("85325-9", {"valueQuantity": {"value": 50, "unit": "%"}}),
                         prelim("85319-2", {"valueCodeableConcept": {"coding": [{"system": codes.LNC, "code": "LA11841-6"}]}})],
                        CONFIG)
    assert assessment.subtype == "HR+/HER2-"
    assert assessment.options and all(o.status != "applicable" for o in assessment.options)


SPECIMENS = [{"resourceType": "Specimen", "id": sid, "collection": {"bodySite": {"coding": [{"system": codes.SCT, "code": site}]}}}
             for sid, site in (("breast-a", "76752008"), ("breast-b", "76752008"), ("liver", "10200004"))]
METASTATIC = {"resourceType": "Condition", "id": "met", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C78.7"}]}}


@settings(max_examples=examples(300), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(well_formed(KNOWN_CODES), st.sampled_from([None, "breast-a", "breast-b", "liver"])), min_size=1, max_size=8),
       st.booleans(), st.randoms(use_true_random=False))
def test_order_never_decides_between_specimens(pairs, metastatic, rnd):
    """With results on several specimens (and metastatic or not), shuffling the resources never changes the decision."""
    observations = [{**o, "id": f"s{i}", **({"specimen": {"reference": f"Specimen/{sid}"}} if sid else {})}
                    for i, (o, sid) in enumerate(pairs)]
    resources = [*SPECIMENS, *([METASTATIC] if metastatic else []), *observations]
    shuffled = list(resources)
    rnd.shuffle(shuffled)
    assert _key(assess(resources, CONFIG)) == _key(assess(shuffled, CONFIG))


# Conditions, medications and patients of valid shape with codes the readers know: setting, menopause, drugs and
# order checks must cope with any mix (dates of every precision or none, odd statuses, future birth dates).
_RX = sorted({i.rxcui for i in _drugs.INGREDIENTS} | {p.rxcui for p in _drugs.PRODUCTS})
_DATES = st.one_of(st.none(), st.sampled_from(["2020", "2021-05", "2024-01-01", "2026-10-01T10:00:00Z", "2027-01-01"]))
_CONDITION_CODES = [("http://hl7.org/fhir/sid/icd-10-cm", c) for c in
                    ("C50.912", "C50.921", "C78.7", "C79.51", "C77.3", "Z17.0", "Z17.1", "Z17.411", "Z17.421")] + \
                   [(codes.SCT, c) for c in ("254837009", "417181009", "706970001", "427685000", "431396003",
                                             "416053008", "441117001", "94381002")]


def _drop_none(d):
    return {k: v for k, v in d.items() if v is not None}


conditions = st.builds(
    lambda i, pair, onset, clinical, stage: _drop_none({
        "resourceType": "Condition", "id": f"c{i}", "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": pair[0], "code": pair[1]}]}, "onsetDateTime": onset,
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": clinical}]}
        if clinical else None,
        "stage": [{"summary": {"coding": [{"system": codes.SCT, "code": stage}]}}] if stage else None}),
    st.integers(0, 50), st.sampled_from(_CONDITION_CODES), _DATES,
    st.sampled_from([None, "active", "recurrence", "relapse", "resolved"]),
    st.sampled_from([None, "258228008", "261640009", "258215001"]))
medications = st.builds(
    lambda i, rtype, status, code, start, end: _drop_none({
        "resourceType": rtype, "id": f"m{i}", "status": status, "subject": {"reference": "Patient/p"},
        "intent": "order" if rtype == "MedicationRequest" else None,
        "authoredOn": start if rtype == "MedicationRequest" else None,
        "effectivePeriod": _drop_none({"start": start, "end": end}) or None if rtype == "MedicationStatement" else None,
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code}]}}),
    st.integers(0, 50), st.sampled_from(["MedicationRequest", "MedicationStatement"]),
    st.sampled_from(["active", "completed", "stopped", "draft", "on-hold", "intended", "unknown"]), st.sampled_from(_RX),
    _DATES, _DATES)
patients = st.builds(lambda gender, birth: _drop_none({"resourceType": "Patient", "id": "p", "gender": gender, "birthDate": birth}),
                     st.sampled_from([None, "female", "male", "other"]),
                     st.sampled_from([None, "1950", "1970-05", "1990-01-01", "2030-01-01"]))


@settings(max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patients, st.lists(st.one_of(conditions, medications, well_formed(KNOWN_CODES)), max_size=12))
def test_conditions_and_medications_never_raise(patient, items):
    """Any mix of conditions, drugs and results gives a serialisable assessment, and checking the drugs as draft
    orders never raises either."""
    assessment = assess([patient, *items], CONFIG)
    json.dumps(assessment.to_dict())
    drafts = [{**m, "status": "draft"} for m in items if m["resourceType"] == "MedicationRequest"]
    for alert in check_orders(assessment, drafts, None, CONFIG):
        assert alert.code and alert.sources
