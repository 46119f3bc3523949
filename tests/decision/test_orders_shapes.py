"""draftOrders shapes (CDS Hooks 2.0 order-select/order-sign) and the facts read from each draft order.

CDS Hooks 2.0 gives ``draftOrders`` as a FHIR Bundle of order resources and ``selections`` as references
("MedicationRequest/103") to the orders just selected. FHIR R4 names the drug of a MedicationRequest in
``medication[x]``: a ``medicationCodeableConcept`` or a ``medicationReference`` to a Medication, which may
be contained ("#id", R4 §2.15 Contained Resources) or another resource of the same Bundle. These tests pin
what ``orders.py`` accepts, what it refuses, and every field of the draft facts it reads, so that a
conflict alert always names the right drug and points at the right order.

Drug identities are RxNorm's: 198240 is "tamoxifen 10 MG Oral Tablet" (SCD), whose ingredient is
tamoxifen, RxCUI 10324, a selective oestrogen receptor modulator; 262485 is the brand Arimidex
(anastrozole, RxCUI 84857, an aromatase inhibitor).
"""
from __future__ import annotations

import pytest

from cds_hooks.decision import check_orders
from cds_hooks.decision.model import MedicationUse
from cds_hooks.decision.orders import _resources, draft_medications

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC = "http://hl7.org/fhir/sid/ndc"
TAMOXIFEN = ("tamoxifen", "10324", "serm")


def med_request(rid="mr1", code="198240", rtype="MedicationRequest", **extra):
    resource = {"resourceType": rtype, "id": rid, "status": "draft", "intent": "order",
                "subject": {"reference": "Patient/p1"},
                "medicationCodeableConcept": {"coding": [{"system": RXN, "code": code}]}}
    resource.update(extra)
    return resource


def by_reference(reference, rid="mr1", **extra):
    resource = med_request(rid, **extra)
    del resource["medicationCodeableConcept"]
    resource["medicationReference"] = {"reference": reference}
    return resource


def medication(mid, code="262485"):
    return {"resourceType": "Medication", "id": mid, "code": {"coding": [{"system": RXN, "code": code}]}}


def ingredients(orders):
    return [(d.resource, d.ingredient) for d in draft_medications(orders)]


# ---- what counts as the draft orders (Bundle, bare list, single resource) ----------------------------

def test_bundle_with_entries_gives_its_resources_in_order():
    """A draftOrders Bundle: each entry's resource, in entry order; the Bundle itself is not an order."""
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": med_request("a")}, {"resource": med_request("b", "262485")}]}
    assert ingredients(bundle) == [("MedicationRequest/a", "tamoxifen"), ("MedicationRequest/b", "anastrozole")]


def test_bundle_without_entries_has_no_orders():
    """A Bundle with no ``entry`` (nothing drafted) holds no order; it is never read as a resource itself."""
    assert _resources({"resourceType": "Bundle", "type": "collection"}) == []
    assert _resources({"resourceType": "Bundle", "entry": "not-a-list"}) == []


def test_entry_list_without_resource_type_is_read_as_a_bundle():
    """An object with ``entry`` but no resourceType (a Bundle whose type line was lost) is still unpacked."""
    assert ingredients({"entry": [{"resource": med_request("a")}]}) == [("MedicationRequest/a", "tamoxifen")]


def test_single_order_resource_is_one_draft():
    """A lone order resource (not wrapped in a Bundle or list) is the one draft order."""
    assert ingredients(med_request("solo")) == [("MedicationRequest/solo", "tamoxifen")]


def test_list_items_may_be_entries_resources_or_bundles():
    """In a bare list: resources, entry-like ``{"resource": ...}`` objects and nested Bundles are all read."""
    orders = [med_request("a"),
              {"fullUrl": "urn:uuid:1", "resource": med_request("b", "262485")},
              {"resourceType": "Bundle", "entry": [{"resource": med_request("c")}]},
              {"entry": [{"resource": med_request("d")}]}]
    assert ingredients(orders) == [("MedicationRequest/a", "tamoxifen"), ("MedicationRequest/b", "anastrozole"),
                                   ("MedicationRequest/c", "tamoxifen"), ("MedicationRequest/d", "tamoxifen")]


def test_resource_with_a_resource_member_is_the_resource_itself():
    """An item that has a resourceType is a resource even if it also has a ``resource`` member."""
    odd = {**med_request("a"), "resource": med_request("inner", "262485")}
    assert ingredients([odd]) == [("MedicationRequest/a", "tamoxifen")]


@pytest.mark.parametrize("junk", ["text", 5, None, ["nested"], {"no": "type"}, {"resourceType": 7},
                                  {"resource": "not-an-object"}])
def test_items_that_are_not_resources_are_skipped(junk):
    """Non-objects and objects without a string resourceType are skipped; the readable order is kept."""
    assert ingredients([junk, med_request("a")]) == [("MedicationRequest/a", "tamoxifen")]
    assert ingredients({"resourceType": "Bundle", "entry": [junk, {"resource": junk}, {"resource": med_request("b")}]}) \
        == [("MedicationRequest/b", "tamoxifen")]


@pytest.mark.parametrize("orders", ["MedicationRequest/mr1", b"bytes", 42, None])
def test_text_numbers_and_none_hold_no_orders(orders):
    """draftOrders that is text, bytes, a number or null yields no draft (and no crash)."""
    assert draft_medications(orders) == []


# ---- which resource types are drug orders ---------------------------------------------------------

@pytest.mark.parametrize("rtype", ["MedicationRequest", "MedicationOrder", "MedicationStatement",
                                   "MedicationAdministration"])
def test_drug_order_types_are_read(rtype):
    """MedicationRequest (R4; MedicationOrder in DSTU2) and the statement/administration resources name a drug."""
    assert ingredients([med_request("a", rtype=rtype)]) == [(f"{rtype}/a", "tamoxifen")]


@pytest.mark.parametrize("rtype", ["ServiceRequest", "NutritionOrder", "DeviceRequest", "Medication"])
def test_other_order_types_are_not_drug_orders(rtype):
    """ServiceRequest/NutritionOrder/DeviceRequest drafts (CDS Hooks 2.0 lists them) and a bare Medication are
    not drug orders, even when they carry an RxNorm code."""
    assert draft_medications([med_request("a", rtype=rtype)]) == []


# ---- medication[x]: CodeableConcept, contained, sibling ------------------------------------------

def test_contained_medication_is_found_by_local_reference():
    """medicationReference "#m" names the contained Medication with id m (FHIR R4 contained resources)."""
    order = by_reference("#m2", contained=[medication("m1", "198240"), {"resourceType": "Substance", "id": "m2"},
                                           "junk", medication("m2")])
    assert ingredients([order]) == [("MedicationRequest/mr1", "anastrozole")]


@pytest.mark.parametrize("contained", [[medication("other")], [{"resourceType": "Substance", "id": "m",
                                       "code": {"coding": [{"system": RXN, "code": "262485"}]}}], [], None])
def test_unresolved_contained_reference_is_an_unknown_drug(contained):
    """A "#m" with no contained Medication m (or only a non-Medication m) names no drug: the order is kept,
    unclassified, and never matched to a sibling resource of the Bundle."""
    order = by_reference("#m", contained=contained)
    drafts = draft_medications([order, medication("m")])
    assert [(d.resource, d.ingredient, d.code) for d in drafts] == [("MedicationRequest/mr1", None, None)]


@pytest.mark.parametrize("reference", ["Medication/m1", "Medication/m1/_history/2"])
def test_sibling_medication_is_found_by_relative_or_versioned_reference(reference):
    """A reference to a Medication sent alongside the order (same Bundle) is resolved, with or without version."""
    bundle = {"resourceType": "Bundle", "entry": [{"resource": by_reference(reference)},
                                                  {"resource": medication("m1")}]}
    assert ingredients(bundle) == [("MedicationRequest/mr1", "anastrozole")]


@pytest.mark.parametrize("full_url", ["urn:uuid:6f1c2a9e-3b7d-4c1e-9a55-0d2b8e4f7a10",
                                      "https://ehr.example.org/fhir/Medication/m1"])
def test_sibling_medication_is_found_by_its_entry_full_url(full_url):
    """FHIR R4 Bundle: a reference may be the fullUrl of another entry (a urn:uuid in a draft, or an absolute URL).
    The drug is then known and checked; before, it was an unknown drug, so no conflict could ever be raised."""
    med = medication("m1")
    del med["id"]          # a draft Medication often has no id, only its entry's fullUrl
    bundle = {"resourceType": "Bundle", "entry": [{"resource": by_reference(full_url)},
                                                  {"fullUrl": full_url, "resource": med}]}
    assert ingredients(bundle) == [("MedicationRequest/mr1", "anastrozole")]
    nested = {"resourceType": "Bundle", "entry": [{"resource": by_reference(full_url)},
                                                  {"resource": {"resourceType": "Bundle", "entry": [
                                                      {"fullUrl": full_url, "resource": med}]}}]}
    assert ingredients(nested) == [("MedicationRequest/mr1", "anastrozole")]


def test_a_full_url_of_another_resource_type_is_not_a_drug():
    """Only a Medication entry names a drug: a fullUrl on an order entry does not resolve a medicationReference."""
    url = "urn:uuid:0b7e9c64-2f1a-4e0a-8d3c-5a6b7c8d9e0f"
    bundle = {"resourceType": "Bundle", "entry": [{"resource": by_reference(url)},
                                                  {"fullUrl": url, "resource": med_request("mr2")}]}
    assert ingredients(bundle) == [("MedicationRequest/mr1", None), ("MedicationRequest/mr2", "tamoxifen")]


@pytest.mark.parametrize("reference", ["Medication/absent", {"not": "text"}, None])
def test_missing_or_malformed_medication_reference_is_an_unknown_drug(reference):
    """A reference to a Medication not sent, or not a string, leaves the order unclassified (no crash)."""
    order = med_request()
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": reference}
    drafts = draft_medications([order, medication("m1")])
    assert [(d.ingredient, d.code, d.display) for d in drafts] == [(None, None, None)]


def test_medication_reference_that_is_not_an_object_is_an_unknown_drug():
    order = med_request()
    del order["medicationCodeableConcept"]
    order["medicationReference"] = "Medication/m1"
    assert [d.ingredient for d in draft_medications([order, medication("m1")])] == [None]


def test_codeable_concept_wins_over_reference():
    """With both medication[x] forms (invalid in R4, seen in practice) the CodeableConcept is read."""
    order = {**med_request("a"), "medicationReference": {"reference": "Medication/m1"}}
    assert ingredients([order, medication("m1")]) == [("MedicationRequest/a", "tamoxifen")]


# ---- the fields of a draft ------------------------------------------------------------------------

def test_every_field_of_a_classified_draft():
    """A classified draft carries ingredient, ingredient RxCUI, class, status, code, display and validity."""
    order = med_request("a", status="active", dispenseRequest={"validityPeriod": {"start": "2026-01-02",
                                                                                  "end": "2026-07-02"}})
    order["medicationCodeableConcept"]["coding"][0]["display"] = "tamoxifen 10 MG Oral Tablet"
    [draft] = draft_medications([order])
    assert draft == MedicationUse(resource="MedicationRequest/a", ingredient="tamoxifen", ingredient_rxcui="10324",
                                  drug_class="serm", status="active", code=f"{RXN}|198240",
                                  display="tamoxifen 10 MG Oral Tablet", start="2026-01-02", end="2026-07-02",
                                  draft=True)


def test_status_defaults_to_draft_and_id_to_a_placeholder():
    """A draft order without status is a draft (CDS Hooks draftOrders); one without id is still named."""
    order = med_request()
    del order["status"], order["id"]
    [draft] = draft_medications([order])
    assert draft.status == "draft" and draft.resource == "MedicationRequest/(no id)" and draft.draft is True
    assert (draft.ingredient, draft.ingredient_rxcui, draft.drug_class) == TAMOXIFEN


def test_first_recognised_coding_is_used_and_recorded():
    """An NDC coding we do not know, then the RxNorm one: the RxNorm coding classifies and is recorded."""
    order = med_request()
    order["medicationCodeableConcept"] = {"coding": [{"system": NDC, "code": "00000-0000-00"},
                                                     {"system": RXN, "code": 198240},          # not a string
                                                     {"system": RXN, "code": "198240"},
                                                     {"system": RXN, "code": "262485"}]}
    [draft] = draft_medications([order])
    assert (draft.ingredient, draft.ingredient_rxcui, draft.drug_class) == TAMOXIFEN
    assert draft.code == f"{RXN}|198240"


def test_unrecognised_codes_keep_the_first_code_and_no_class():
    """No coding in our table: the draft is unknown (never a conflict) and keeps its first system|code."""
    order = med_request()
    order["medicationCodeableConcept"] = {"coding": [{"code": "no-system"}, {"system": NDC, "code": "1"},
                                                     {"system": RXN, "code": "999999999"}]}
    [draft] = draft_medications([order])
    assert (draft.ingredient, draft.ingredient_rxcui, draft.drug_class, draft.code) == (None, None, None, f"{NDC}|1")


def test_display_is_the_text_else_the_first_coding_display():
    """The drug's name shown is CodeableConcept.text, else the first coding that has a display."""
    order = med_request()
    concept = order["medicationCodeableConcept"]
    concept["coding"] = [{"system": NDC, "code": "1"}, {"system": RXN, "code": "198240", "display": "Tamoxifen tab"},
                         {"system": RXN, "code": "10324", "display": "tamoxifen"}]
    assert draft_medications([order])[0].display == "Tamoxifen tab"
    concept["text"] = "Nolvadex 10 mg"
    assert draft_medications([order])[0].display == "Nolvadex 10 mg"
    concept["text"] = {"not": "text"}
    assert draft_medications([order])[0].display is None
    concept.pop("text")
    concept["coding"] = [{"system": RXN, "code": "198240"}]
    assert draft_medications([order])[0].display is None


@pytest.mark.parametrize("dispense, start, end", [
    ({"validityPeriod": {"start": "2026-01-02"}}, "2026-01-02", None),
    ({"validityPeriod": {"end": "2026-07-02"}}, None, "2026-07-02"),
    ({"validityPeriod": {"start": 20260102, "end": ["2026"]}}, None, None),
    ({"validityPeriod": "2026"}, None, None),
    ("not-an-object", None, None),
])
def test_validity_period_is_read_only_when_well_formed(dispense, start, end):
    """dispenseRequest.validityPeriod start/end (FHIR R4 Period of dateTime strings), else nothing."""
    [draft] = draft_medications([med_request(dispenseRequest=dispense)])
    assert (draft.start, draft.end) == (start, end)


# ---- check_orders: context, selections, duplicates -----------------------------------------------

def test_same_draft_twice_raises_its_alert_once():
    """The same order sent twice (two entries) gives one alert per conflict, pointing at that order."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    got = check_orders(a, [med_request("a"), med_request("a")])
    assert [(x.code, x.order) for x in got] == [("endocrine-for-hr-negative", "MedicationRequest/a")]


def test_two_drafts_with_the_same_conflict_each_get_their_alert():
    """Two different orders with the same conflict: one alert each, each with its own ``order``."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    got = check_orders(a, [med_request("a"), med_request("b", "262485")])
    assert sorted((x.code, x.order) for x in got) == [("endocrine-for-hr-negative", "MedicationRequest/a"),
                                                       ("endocrine-for-hr-negative", "MedicationRequest/b")]


def test_charted_drug_that_is_a_draft_is_not_context():
    """Chart drugs count as context only when not drafts themselves and active (P11 concurrent use)."""
    a = make_assessment("HR+/HER2-", "early")
    chemo = MedicationUse("MedicationRequest/c", "doxorubicin", "3639", "anthracycline", "active")
    a.medications = [chemo]
    assert "P11" in {x.code for x in check_orders(a, [med_request("a")])}
    a.medications = [MedicationUse("MedicationRequest/c", "doxorubicin", "3639", "anthracycline", "stopped")]
    assert "P11" not in {x.code for x in check_orders(a, [med_request("a")])}


@pytest.mark.parametrize("selections, judged", [
    (["MedicationRequest/b"], {"MedicationRequest/b"}),
    (["MedicationRequest/b/"], {"MedicationRequest/b"}),
    (["https://ehr.example/fhir/MedicationRequest/a/_history/1", "MedicationRequest/b"],
     {"MedicationRequest/a", "MedicationRequest/b"}),
    ([5, None, "MedicationRequest/a"], {"MedicationRequest/a"}),
    (["MedicationRequest/zz"], set()),
    (["ServiceRequest/a"], set()),
    (None, {"MedicationRequest/a", "MedicationRequest/b"}),
])
def test_selections_pick_the_judged_drafts(selections, judged):
    """CDS Hooks order-select ``selections``: only those drafts are judged; non-strings are ignored; the
    type must match (a ServiceRequest/a selection is not MedicationRequest/a)."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    got = check_orders(a, [med_request("a"), med_request("b", "262485")], selections=selections)
    assert {x.order for x in got} == judged


def test_nested_bundle_without_entries_adds_nothing():
    """A Bundle inside a list is unpacked even with no entries: it is never itself taken as a resource."""
    assert _resources([{"resourceType": "Bundle", "type": "collection"}, med_request("a")]) == [med_request("a")]


def test_non_drug_resources_before_a_drug_order_do_not_hide_it():
    """A Medication or ServiceRequest listed before the MedicationRequest is skipped, and the order still read."""
    orders = [medication("m1"), med_request("s", rtype="ServiceRequest"), by_reference("Medication/m1")]
    assert ingredients(orders) == [("MedicationRequest/mr1", "anastrozole")]


@pytest.mark.parametrize("status, fires", [("active", False), ("in-progress", False), ("stopped", True),
                                           ("completed", True), ("entered-in-error", True)])
def test_only_an_active_charted_gnrh_agonist_counts_as_ovarian_suppression(status, fires):
    """P14 (aromatase inhibitor in a premenopausal woman needs ovarian suppression, NCCN/ASCO): a charted
    goserelin counts only while active; a stopped or completed one suppresses nothing."""
    a = make_assessment("HR+/HER2-", "early", menopause="premenopausal", age=41,
                        medications=[MedicationUse("MedicationRequest/g", "goserelin", "50610", "gnrh-agonist", status)])
    assert ("P14" in {x.code for x in check_orders(a, [med_request("a", "199224")])}) is fires


def test_selection_of_an_id_ending_in_letters_matches_exactly():
    """FHIR ids may end in any [A-Za-z0-9.-]; only a trailing '/' is cut from a selection, never id characters."""
    a = make_assessment("triple-negative", "metastatic", her2_expression="null")
    got = check_orders(a, [med_request("mrX"), med_request("mr")], selections=["MedicationRequest/mrX"])
    assert {x.order for x in got} == {"MedicationRequest/mrX"}
