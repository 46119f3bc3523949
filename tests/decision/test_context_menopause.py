"""Menopausal status and its basis (``context.read_menopause``), through ``assess()``.

The rule is the NCCN definition as summarised in clinical-knowledge.md b.5 (threshold
``knowledge.thresholds.MENOPAUSE_AGE_YEARS``, source "nccn-menopause-summary"):
- a bilateral oophorectomy makes a woman postmenopausal;
- age 60 or more is postmenopausal;
- while on a GnRH agonist the status is functionally suppressed (an AI is allowed only with continued suppression);
- an explicit Observation SNOMED 161712005 (values 22636003 premenopausal, 76498008 postmenopausal, 261665006 unknown,
  289903006 menopause present, 289904000 menopause absent) wins over inference; else infer; else unknown;
- a man (Patient.gender, or an ICD-10-CM C50 code whose fifth character is 2, "male breast") is "male".
Expectations come from that rule, not from running the code.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.knowledge import codes

SCT, ICD = codes.SCT, codes.ICD10CM
RXN = "http://www.nlm.nih.gov/research/umls/rxnorm"
TODAY = date(2026, 11, 1)
CONFIG = DecisionConfig(today=TODAY)
GOSERELIN, LEUPROLIDE, LETROZOLE = "50610", "42375", "72965"
PRE, POST, UNKNOWN_VALUE, PRESENT, ABSENT = "22636003", "76498008", "261665006", "289903006", "289904000"
SALPINGO_OOPHORECTOMY, TAH_BSO = "29827000", "116144002"


def coded(system, code):
    return {"coding": [{"system": system, "code": code}]}


def patient(birth="1980-01-01", gender="female", pid="p1"):
    return {"resourceType": "Patient", "id": pid, "gender": gender, "birthDate": birth}


def menopause(value, when="2026-09-01", oid="meno"):
    return {"resourceType": "Observation", "id": oid, "status": "final", "code": coded(SCT, "161712005"),
            "effectiveDateTime": when, "valueCodeableConcept": coded(SCT, value)}


def gnrh(status="active", rxcui=GOSERELIN, mid="gn", rtype="MedicationRequest"):
    resource = {"resourceType": rtype, "id": mid, "status": status, "subject": {"reference": "Patient/p1"},
                "medicationCodeableConcept": coded(RXN, rxcui)}
    if rtype == "MedicationRequest":
        resource["intent"] = "order"
    else:
        resource["effectiveDateTime"] = "2026-10-01"      # required by FHIR R4 for an administration
    return resource


def oophorectomy(when=None, status="completed", code=SALPINGO_OOPHORECTOMY, pid="ooph", period=False):
    resource = {"resourceType": "Procedure", "id": pid, "status": status, "code": coded(SCT, code),
                "subject": {"reference": "Patient/p1"}}
    if when and period:
        resource["performedPeriod"] = {"start": when}
    elif when:
        resource["performedDateTime"] = when
    return resource


def status_of(*resources):
    a = assess([*resources], CONFIG)
    return a.menopausal_status, a.menopausal_basis


# ---- age 60 ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("birth, status", [
    ("1966-11-01", "postmenopausal"),     # 60th birthday today: age 60
    ("1966-10-31", "postmenopausal"),     # 60 and one day
    ("1966-11-02", "unknown"),            # 60 tomorrow: still 59
    ("1956-01-01", "postmenopausal"),
    ("1990-06-15", "unknown"),
])
def test_age_60_or_more_is_postmenopausal_and_59_is_not_established(birth, status):
    """NCCN (b.5): age >= 60 is postmenopausal; under 60 without a record nothing is established (unknown, basis none)."""
    assert status_of(patient(birth)) == (status, "age>=60" if status == "postmenopausal" else "none")


@pytest.mark.parametrize("birth, status", [
    ("1966", "postmenopausal"),          # year only: taken as 1 January, age 60
    ("1967", "unknown"),                 # 1 January 1967: 59
    ("1966-11", "postmenopausal"),       # year-month: 1 November 1966, 60 today
    ("1966-12", "unknown"),              # 1 December 1966: 59
    ("19x6-01-01", "unknown"),           # unreadable: no age, nothing inferred
    ("", "unknown"),
    ("1850-01-01", "unknown"),           # an impossible age (176) is no age
])
def test_partial_and_broken_birth_dates(birth, status):
    """A FHIR date may be a year or year-month (taken as its first day); an unreadable or impossible birth date gives
    no age, so the age rule cannot apply (never infer a status from a date that is not one)."""
    a = assess([patient(birth)], CONFIG)
    assert a.menopausal_status == status
    if birth in ("19x6-01-01", "", "1850-01-01"):
        assert a.age is None


def test_age_is_whole_years_on_the_day():
    """Age is counted in whole years (birthday reached or not) on the configured day."""
    assert assess([patient("1966-11-01")], CONFIG).age == 60
    assert assess([patient("1966-11-02")], CONFIG).age == 59
    assert assess([patient("2026-11-01")], CONFIG).age == 0
    assert assess([patient("1966-11")], CONFIG).age == 60
    assert assess([patient("1966-11")], DecisionConfig(today=date(2026, 10, 31))).age == 59
    assert assess([patient("1966")], DecisionConfig(today=date(2026, 1, 15))).age == 60     # year only: 1 January
    assert assess([patient("1876-11-02")], CONFIG).age == 149
    assert assess([patient("1876-11-01")], CONFIG).age is None                              # 150: not a living age


# ---- explicit record ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, status", [
    (PRE, "premenopausal"), (POST, "postmenopausal"), (PRESENT, "postmenopausal"), (ABSENT, "premenopausal")])
def test_explicit_record_wins_under_60(value, status):
    """The explicit 161712005 Observation gives the status (b.5: explicit wins over inference), its basis names it."""
    assert status_of(patient("1980-01-01"), menopause(value)) == (status, "observation Observation/meno")


def test_explicit_postmenopausal_record_wins_over_no_inference_and_unknown_value_is_ignored():
    """A recorded 'Unknown' (261665006) states nothing: the status is inferred as if there were no record (age 60 or
    more gives postmenopausal, under 60 unknown)."""
    assert status_of(patient("1960-01-01"), menopause(UNKNOWN_VALUE)) == ("postmenopausal", "age>=60")
    assert status_of(patient("1980-01-01"), menopause(UNKNOWN_VALUE)) == ("unknown", "none")


def test_a_premenopausal_value_under_another_observation_code_is_not_a_menopause_record():
    """Only the 161712005 Observation records menopausal status: the same value under another code (here an
    uncoded-for-us LOINC 8302-2, body height) is not read as one."""
    other = menopause(PRE)
    other["code"] = coded(codes.LNC, "8302-2")
    assert status_of(patient("1960-01-01"), other) == ("postmenopausal", "age>=60")
    er = menopause(PRE, oid="er")
    er["code"] = coded(codes.LNC, "85329-1")
    assert status_of(patient("1960-01-01"), er) == ("postmenopausal", "age>=60")


def test_a_value_outside_the_menopause_table_is_ignored():
    """A 161712005 Observation with a value that is not a menopausal status is not a record of one."""
    odd = menopause(PRE)
    odd["valueCodeableConcept"] = coded(SCT, "260385009")
    assert status_of(patient("1980-01-01"), odd) == ("unknown", "none")


@pytest.mark.parametrize("order", [0, 1])
def test_newest_explicit_record_wins(order):
    """Of two explicit records the newest governs (menopause happens once; the later record is the current one),
    whatever their order in the data."""
    old, new = menopause(PRE, "2024-01-01", "old"), menopause(POST, "2026-01-01", "new")
    pair = [old, new] if order == 0 else [new, old]
    assert status_of(patient("1980-01-01"), *pair) == ("postmenopausal", "observation Observation/new")
    old, new = menopause(POST, "2024-01-01", "old"), menopause(PRE, "2026-01-01", "new")
    pair = [old, new] if order == 0 else [new, old]
    assert status_of(patient("1980-01-01"), *pair) == ("premenopausal", "observation Observation/new")


@pytest.mark.parametrize("recorded, status", [
    ("2026-10-31", "premenopausal"),     # made at 60 (birthday 2026-10-31): explicit and recent, it stands
    ("2026-10-30", "postmenopausal"),    # made the day before the 60th birthday: no longer holds now she is 60
    ("2020-01-01", "postmenopausal"),
])
def test_a_premenopausal_record_made_before_60_no_longer_holds_at_60(recorded, status):
    """NCCN (b.5): age >= 60 is postmenopausal. A premenopausal record made before 60 is outdated once the patient is
    60; one made at 60 or later is explicit and wins over the age rule. Patient born 1966-10-31 (60 today)."""
    got = status_of(patient("1966-10-31"), menopause(PRE, recorded))
    assert got[0] == status
    if status == "premenopausal":
        assert got[1] == "observation Observation/meno"
    else:
        assert got[1].startswith("age>=60") and "Observation/meno" in got[1] and recorded in got[1]


@pytest.mark.parametrize("recorded, status", [
    ("2020", "postmenopausal"),          # all of 2020 is before the 60th birthday (2026-10-31)
    ("2026", "premenopausal"),           # 2026 includes the birthday: not shown to be before 60, the record stands
    ("2026-09", "postmenopausal"),       # September 2026 ends before the birthday
    ("2026-10", "premenopausal"),        # October 2026 ends on the birthday
])
def test_a_premenopausal_record_dated_by_year_or_month_is_aged_by_its_last_day(recorded, status):
    """A record dated by year or year-month was made at the latest on that period's last day: when the patient was
    under 60 even then, it was made before 60 and no longer holds at 60 (NCCN, b.5); when the period reaches the 60th
    birthday it may have been made at 60, so the explicit record stands (fixed: partial dates were never aged, so a
    premenopausal record dated "2020" stood for a 60-year-old)."""
    assert status_of(patient("1966-10-31"), menopause(PRE, recorded))[0] == status


def test_a_premenopausal_record_of_a_59_year_old_stands():
    """Under 60 the age rule never applies: a premenopausal record made at 59 stands (born 1966-11-02, 59 today)."""
    assert status_of(patient("1966-11-02"), menopause(PRE, "2020-01-01")) == ("premenopausal", "observation Observation/meno")


def test_an_explicit_postmenopausal_record_is_not_touched_by_the_age_rule():
    """The age rule only ends a premenopausal record; a postmenopausal one stays with its own basis."""
    assert status_of(patient("1960-01-01"), menopause(POST, "2010-01-01")) == ("postmenopausal", "observation Observation/meno")


def test_an_undated_premenopausal_record_at_60_is_kept():
    """A record without a date cannot be shown to predate the 60th birthday: it stands (never infer from no date)."""
    undated = menopause(PRE)
    del undated["effectiveDateTime"]
    assert status_of(patient("1960-01-01"), undated) == ("premenopausal", "observation Observation/meno")


def test_without_a_birth_date_a_premenopausal_record_stands():
    """No birth date: no age, so the age rule cannot end the record."""
    p = patient()
    del p["birthDate"]
    assert status_of(p, menopause(PRE, "2000-01-01")) == ("premenopausal", "observation Observation/meno")


# ---- ovarian function suppression ----------------------------------------------------------------------------

@pytest.mark.parametrize("status, suppressed", [
    ("active", True), ("on-hold", True), ("completed", False), ("stopped", False)])
def test_gnrh_agonist_given_now_suppresses_a_premenopausal_woman(status, suppressed):
    """b.5: while on a GnRH agonist the status is 'suppressed' (AI only with continued suppression). A course that is
    over (completed, stopped) no longer suppresses: the premenopausal record stands."""
    got = status_of(patient("1980-01-01"), menopause(PRE), gnrh(status))
    assert got == (("suppressed", "gnrh-agonist") if suppressed else ("premenopausal", "observation Observation/meno"))


def test_gnrh_agonist_infusion_under_way_and_leuprolide_suppress():
    """An administration in progress is a drug given now; leuprolide is a GnRH agonist like goserelin."""
    assert status_of(patient("1980-01-01"), gnrh("in-progress", rtype="MedicationAdministration")) == ("suppressed", "gnrh-agonist")
    assert status_of(patient("1980-01-01"), gnrh("active", LEUPROLIDE)) == ("suppressed", "gnrh-agonist")


def test_another_active_drug_does_not_suppress():
    """Only the GnRH agonist class suppresses the ovaries; an aromatase inhibitor does not."""
    assert status_of(patient("1980-01-01"), gnrh("active", LETROZOLE)) == ("unknown", "none")
    assert status_of(patient("1980-01-01"), menopause(PRE), gnrh("active", LETROZOLE))[0] == "premenopausal"


def test_gnrh_agonist_without_a_record_is_suppressed_even_at_60():
    """Without an explicit record the GnRH agonist comes before the age rule: suppression is what the options need
    to know (an AI with continued suppression)."""
    assert status_of(patient("1980-01-01"), gnrh()) == ("suppressed", "gnrh-agonist")
    assert status_of(patient("1960-01-01"), gnrh()) == ("suppressed", "gnrh-agonist")


def test_an_explicit_postmenopausal_record_is_not_turned_suppressed_by_a_gnrh_agonist():
    """Suppression qualifies a premenopausal woman; a postmenopausal record stays postmenopausal."""
    assert status_of(patient("1980-01-01"), menopause(POST), gnrh()) == ("postmenopausal", "observation Observation/meno")


# ---- bilateral oophorectomy ----------------------------------------------------------------------------------

@pytest.mark.parametrize("code", [SALPINGO_OOPHORECTOMY, TAH_BSO])
def test_bilateral_oophorectomy_is_postmenopausal(code):
    """b.5: bilateral oophorectomy -> postmenopausal, basis naming the procedure; it wins over a GnRH agonist and
    over age under 60."""
    assert status_of(patient("1980-01-01"), oophorectomy("2025-01-01", code=code)) == (
        "postmenopausal", "bilateral oophorectomy Procedure/ooph")
    assert status_of(patient("1980-01-01"), oophorectomy(), gnrh()) == ("postmenopausal", "bilateral oophorectomy Procedure/ooph")


@pytest.mark.parametrize("status", ["in-progress", "not-done", "preparation", "entered-in-error", "stopped"])
def test_an_oophorectomy_not_completed_does_not_count(status):
    """Only a completed procedure removed the ovaries."""
    assert status_of(patient("1980-01-01"), oophorectomy("2025-01-01", status=status)) == ("unknown", "none")


def test_another_procedure_is_not_an_oophorectomy():
    """A breast surgery is not an oophorectomy."""
    assert status_of(patient("1980-01-01"), oophorectomy("2025-01-01", code="64368001")) == ("unknown", "none")


@pytest.mark.parametrize("performed, period, status", [
    ("2026-09-02", False, "postmenopausal"),   # the day after the premenopausal record
    ("2026-09-01", False, "premenopausal"),    # same day: not shown to be after it, the explicit record stands
    ("2026-08-31", False, "premenopausal"),    # before the record: the record is the newer fact
    ("2026-09-02", True, "postmenopausal"),    # dated by performedPeriod.start
    ("2026-08-31", True, "premenopausal"),
    (None, False, "postmenopausal"),           # undated: cannot be placed before the record, it ends ovarian function
])
def test_oophorectomy_after_a_premenopausal_record_makes_her_postmenopausal(performed, period, status):
    """b.5: a bilateral oophorectomy done after a premenopausal record ends ovarian function; a record made after the
    operation is newer and explicit (explicit wins). Record dated 2026-09-01."""
    got = status_of(patient("1980-01-01"), menopause(PRE, "2026-09-01"), oophorectomy(performed, period=period))
    assert got[0] == status
    if status == "postmenopausal":
        assert "Procedure/ooph" in got[1] and "Observation/meno" in got[1]
    else:
        assert got[1] == "observation Observation/meno"


def test_the_latest_of_two_oophorectomies_dates_the_operation():
    """Two recorded oophorectomy procedures (e.g. one per side on different days): the later one completes it."""
    got = status_of(patient("1980-01-01"), menopause(PRE, "2026-09-01"), oophorectomy("2026-01-01", pid="a"),
                    oophorectomy("2026-10-01", pid="b"))
    assert got[0] == "postmenopausal"


def test_an_undated_premenopausal_record_before_a_dated_oophorectomy_is_overruled():
    """A record without a date cannot be shown to follow the operation: the oophorectomy decides."""
    undated = menopause(PRE)
    del undated["effectiveDateTime"]
    assert status_of(patient("1980-01-01"), undated, oophorectomy("2025-01-01"))[0] == "postmenopausal"


def test_oophorectomy_does_not_change_an_explicit_postmenopausal_record():
    assert status_of(patient("1980-01-01"), menopause(POST, "2026-01-01"), oophorectomy("2026-06-01")) == (
        "postmenopausal", "observation Observation/meno")


# ---- men ------------------------------------------------------------------------------------------------------

def condition(code, system=ICD, cid="c1"):
    return {"resourceType": "Condition", "id": cid, "code": coded(system, code), "subject": {"reference": "Patient/p1"}}


@pytest.mark.parametrize("code, male", [
    ("C50.921", True), ("C50.922", True), ("C50021", True), ("C50.011", False), ("C50.911", False),
    ("C50.9", False), ("C50", False), ("c50.921", True), ("C50.92", True), ("C50.91", False)])
def test_male_breast_by_icd_fifth_character(code, male):
    """ICD-10-CM C50: a fifth character 2 is the male breast (C50.x2x); 1 is female; a code too short to carry the
    fifth character says nothing. Codes are read upper-cased."""
    a = assess([patient("1980-01-01", gender="unknown"), condition(code)], CONFIG)
    assert (a.menopausal_status, a.menopausal_basis) == (("male", "icd-c50-male") if male else ("unknown", "none"))


def test_a_man_is_male_whatever_else_is_recorded():
    """Patient.gender male: 'male', basis patient-gender, even beside a premenopausal record or a GnRH agonist; the
    gender basis is named even when an ICD male-breast code is there too."""
    assert status_of(patient("1980-01-01", "male"), menopause(PRE), gnrh()) == ("male", "patient-gender")
    assert status_of(patient("1950-01-01", "male"), condition("C50.921")) == ("male", "patient-gender")


def test_icd_male_breast_outranks_a_recorded_female_gender():
    """A male-breast diagnosis code is a man's cancer even when the gender field says otherwise."""
    assert status_of(patient("1960-01-01", "female"), condition("C50.921")) == ("male", "icd-c50-male")


def test_an_icd_code_of_another_system_is_not_read_as_icd():
    """Only ICD-10-CM codes are read for the fifth character."""
    a = assess([patient("1980-01-01", gender="unknown"), condition("C50.921", system="http://example.org/icd")], CONFIG)
    assert a.menopausal_status == "unknown"


# ---- Patient resource ----------------------------------------------------------------------------------------

def test_patient_fields_and_several_patients():
    """The first Patient gives id, gender and age; more than one Patient is reported (multiple-patients), naming the
    one used; one Patient raises no such note."""
    a = assess([patient("1966-11-01", pid="p1"), patient("1990-01-01", pid="p2")], CONFIG)
    assert (a.patient, a.sex, a.age) == ("p1", "female", 60)
    note = next(n for n in a.data_quality if n.code == "multiple-patients")
    assert note.resource == "Patient/p1"
    b = assess([patient("1966-11-01")], CONFIG)
    assert b.sex == "female" and not any(n.code == "multiple-patients" for n in b.data_quality)
    c = assess([], CONFIG)
    assert (c.patient, c.sex, c.age, c.menopausal_status) == (None, None, None, "unknown")
