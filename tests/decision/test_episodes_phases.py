"""Where a date or a sample falls in the patient's history (``episodes.period_of``, ``sample_phase``,
``earlier_tumour_phase``, ``is_recurrence_sample``, ``residual_disease_samples``), at every boundary.

Rules (clinical-knowledge.md b.3 "Multiple samples", revised; issue 13 section 1; module docstring of episodes.py):
- before the first systemic therapy a sample is pre-treatment; from the day therapy starts it is treated tissue
  (KATHERINE, CREATE-X and OlympiA select on the pre-treatment status);
- with a neoadjuvant window (therapy first, surgery later) tissue from the surgery on is residual disease; with surgery
  first the therapy is adjuvant, and a surgery on the very day of the first dose removed untreated tissue;
- from the first recurrence or metastasis the episode is metastatic (ESMO ABC 5: the metastatic biopsy governs); when
  metastatic at diagnosis (de novo, within the SEER four-month staging window) the diagnostic biopsy taken up to four
  months before the metastasis date is metastatic too; a metastasis biopsy is metastatic whatever its date;
- before a local recurrence or a new primary the tissue is the earlier tumour's, pre- or post-treatment by that
  tumour's own first systemic therapy; a new primary is another cancer: the earlier one's samples never stand in.
Each boundary is tested on the day, the day before and the day after. Expectations come from these rules.
"""
from __future__ import annotations

from datetime import date

import pytest

from cds_hooks.decision.episodes import (add_months, as_date, earlier_tumour_phase, is_recurrence_sample, period_of,
                                         residual_disease_samples, sample_phase)
from cds_hooks.decision.model import EpisodeFinding, ReceptorResult, SampleCall, TreatmentWindow


def result(when, specimen="primary", collected=None):
    return ReceptorResult(resource="Observation/r", analyte="ER", code="http://loinc.org|85329-1", effective=when,
                          fhir_status="final", provisional=False, specimen=specimen, collected=collected)


def neoadjuvant(**kw):
    """Therapy 2025-02-01, surgery 2025-07-15 (a neoadjuvant window)."""
    return EpisodeFinding(current="early", diagnosis="2025-01-10", first_systemic_therapy="2025-02-01",
                          surgery="2025-07-15", neoadjuvant=TreatmentWindow("2025-02-01", "2025-07-15"), **kw)


def adjuvant(**kw):
    """Surgery 2025-02-01, therapy 2025-03-01 (surgery first)."""
    return EpisodeFinding(current="early", diagnosis="2025-01-10", first_systemic_therapy="2025-03-01",
                          surgery="2025-02-01", **kw)


# ---- period_of: early episode --------------------------------------------------------------------------------

@pytest.mark.parametrize("when, period", [
    ("2025-01-31", "before-treatment"), ("2025-02-01", "neoadjuvant"), ("2025-02-02", "neoadjuvant"),
    ("2025-07-14", "neoadjuvant"), ("2025-07-15", "after-neoadjuvant"), ("2025-07-16", "after-neoadjuvant"),
    ("2025-02-01T23:00:00Z", "neoadjuvant"), ("2025", "before-treatment"), ("2025-07", "neoadjuvant"),
    (None, "unknown"), ("", "unknown"), ("not a date", "unknown")])
def test_neoadjuvant_window_boundaries(when, period):
    """Before the first dose: before treatment; from its day: neoadjuvant; from the surgery day: after it. A partial
    date is taken as its first day; an unreadable one is unknown."""
    assert period_of(neoadjuvant(), when) == period


@pytest.mark.parametrize("when, period", [
    ("2025-01-31", "before-treatment"), ("2025-02-01", "before-treatment"), ("2025-02-28", "before-treatment"),
    ("2025-03-01", "adjuvant"), ("2025-03-02", "adjuvant")])
def test_surgery_first_then_adjuvant_boundaries(when, period):
    """Surgery first: everything before the first dose (the surgical specimen included) is untreated; from the first
    dose on the therapy is adjuvant."""
    assert period_of(adjuvant(), when) == period


def test_adjuvant_when_the_surgery_is_on_the_day_of_the_first_dose():
    """No neoadjuvant window and the surgery on the first dose's day: the therapy is adjuvant."""
    e = EpisodeFinding(current="early", first_systemic_therapy="2025-03-01", surgery="2025-03-01")
    assert period_of(e, "2025-03-01") == "adjuvant"
    assert period_of(e, "2025-02-28") == "before-treatment"


@pytest.mark.parametrize("surgery, period", [(None, "early-on-treatment"), ("2025-03-02", "early-on-treatment")])
def test_therapy_without_a_surgery_before_it_is_early_on_treatment(surgery, period):
    """Therapy begun and no breast surgery at or before it (none recorded, or one later without a window): on
    treatment in the early episode."""
    e = EpisodeFinding(current="early", first_systemic_therapy="2025-03-01", surgery=surgery)
    assert period_of(e, "2025-03-01") == period
    assert period_of(e, "2026-01-01") == period


def test_a_neoadjuvant_window_without_a_surgery_date_stays_neoadjuvant():
    e = EpisodeFinding(current="early", first_systemic_therapy="2025-02-01", neoadjuvant=TreatmentWindow("2025-02-01"))
    assert period_of(e, "2030-01-01") == "neoadjuvant"


def test_without_therapy_everything_is_before_treatment():
    e = EpisodeFinding(current="early", surgery="2025-02-01")
    assert period_of(e, "2026-01-01") == "before-treatment"
    assert period_of(EpisodeFinding(), "2026-01-01") == "before-treatment"


# ---- period_of: metastatic episode ---------------------------------------------------------------------------

@pytest.mark.parametrize("when, period", [
    ("2028-05-31", "after-neoadjuvant"), ("2028-06-01", "metastatic"), ("2028-06-02", "metastatic"),
    ("2025-01-20", "before-treatment")])
def test_the_metastatic_episode_starts_on_the_first_metastasis(when, period):
    """ESMO ABC 5: from the first recurrence or metastasis the episode is metastatic; before it, the early periods."""
    e = neoadjuvant()
    e.current, e.metastatic_start = "metastatic", "2028-06-01"
    assert period_of(e, when) == period


@pytest.mark.parametrize("when, period", [
    ("2025-01-31", "before-treatment"), ("2025-02-01", "metastatic"), ("2025-06-01", "metastatic"),
    ("2025-05-31", "metastatic")])
def test_de_novo_metastatic_reaches_back_four_months(when, period):
    """Metastatic at diagnosis (SEER four-month window): tissue taken up to four months before the metastasis date is
    the metastatic disease's too (metastasis 2025-06-01: from 2025-02-01)."""
    e = EpisodeFinding(current="metastatic", diagnosis="2025-01-10", metastatic_start="2025-06-01", de_novo_metastatic=True)
    assert period_of(e, when) == period


def test_without_de_novo_the_four_months_before_the_metastasis_are_not_metastatic():
    e = EpisodeFinding(current="metastatic", diagnosis="2020-01-10", metastatic_start="2025-06-01")
    assert period_of(e, "2025-05-31") == "before-treatment"
    assert period_of(e, "2025-06-01") == "metastatic"


def test_metastatic_without_a_start_date_is_unknown_for_every_date():
    e = EpisodeFinding(current="metastatic", first_systemic_therapy="2025-02-01")
    assert period_of(e, "2020-01-01") == "unknown" and period_of(e, "2030-01-01") == "unknown"


def test_a_metastatic_start_in_an_early_episode_is_not_read():
    """The metastatic periods only apply when the current episode is metastatic."""
    e = EpisodeFinding(current="early", metastatic_start="2025-06-01")
    assert period_of(e, "2026-01-01") == "before-treatment"


# ---- period_of: earlier tumour -------------------------------------------------------------------------------

@pytest.mark.parametrize("when, period", [
    ("2029-12-31", "earlier-tumour"), ("2030-01-01", "before-treatment"), ("2030-01-02", "before-treatment"),
    ("2030-02-01", "neoadjuvant")])
def test_before_a_new_tumour_the_tissue_is_the_earlier_tumours(when, period):
    """A local recurrence or new primary dated 2030-01-01: tissue before that day is the earlier tumour's; from it, the
    new tumour's own treatment periods apply (its therapy 2030-02-01)."""
    e = EpisodeFinding(current="early", new_tumour="2030-01-01", new_tumour_kind="recurrence",
                       first_systemic_therapy="2030-02-01", neoadjuvant=TreatmentWindow("2030-02-01"))
    assert period_of(e, when) == period


# ---- sample_phase ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("when, phase", [
    ("2025-01-31", "pre-treatment"), ("2025-02-01", "post-treatment"), ("2025-07-15", "post-treatment"),
    (None, "unknown")])
def test_sample_phase_in_a_neoadjuvant_history(when, phase):
    assert sample_phase(neoadjuvant(), result(when)) == phase


def test_sample_phase_uses_the_collection_date_before_the_result_date():
    """The tissue's collection date decides (b.3): a biopsy taken before therapy and reported after it is
    pre-treatment."""
    assert sample_phase(neoadjuvant(), result("2025-03-01", collected="2025-01-20")) == "pre-treatment"
    assert sample_phase(neoadjuvant(), result("2025-01-20", collected="2025-03-01")) == "post-treatment"


@pytest.mark.parametrize("when", ["2020-01-01", "2030-01-01", None])
def test_a_metastasis_sample_is_metastatic_whatever_its_date(when):
    assert sample_phase(neoadjuvant(), result(when, specimen="metastasis")) == "metastatic"
    assert sample_phase(EpisodeFinding(), result(when, specimen="metastasis")) == "metastatic"


@pytest.mark.parametrize("when, phase", [
    ("2025-02-01", "pre-treatment"), ("2025-02-02", "post-treatment"), ("2025-01-31", "pre-treatment")])
def test_tissue_removed_on_the_first_dose_day_without_a_window_is_untreated(when, phase):
    """No neoadjuvant window, surgery and first dose on 2025-02-01: the surgical specimen of that day is untreated
    (pre-treatment); tissue from the next day on is post-treatment (adjuvant)."""
    e = EpisodeFinding(current="early", first_systemic_therapy="2025-02-01", surgery="2025-02-01")
    assert sample_phase(e, result(when)) == phase


def test_surgery_day_specimen_after_a_neoadjuvant_window_is_post_treatment():
    """With a neoadjuvant window, the surgery-day specimen is residual disease (post-treatment), never untreated."""
    e = neoadjuvant()
    assert sample_phase(e, result("2025-07-15")) == "post-treatment"


def test_adjuvant_tissue_after_a_surgery_before_the_first_dose_is_post_treatment():
    """Surgery 2025-02-01, first dose 2025-03-01: tissue taken on the first dose's day is treated (adjuvant period)."""
    assert sample_phase(adjuvant(), result("2025-03-01")) == "post-treatment"
    assert sample_phase(adjuvant(), result("2025-02-01")) == "pre-treatment"


@pytest.mark.parametrize("when, phase", [("2029-12-31", "earlier-tumour"), ("2030-01-01", "pre-treatment")])
def test_sample_phase_before_a_new_tumour(when, phase):
    e = EpisodeFinding(current="early", new_tumour="2030-01-01", new_tumour_kind="recurrence")
    assert sample_phase(e, result(when)) == phase


def test_sample_phase_in_the_metastatic_episode():
    e = EpisodeFinding(current="metastatic", metastatic_start="2028-06-01", first_systemic_therapy="2025-02-01")
    assert sample_phase(e, result("2028-06-01")) == "metastatic"
    assert sample_phase(e, result("2028-05-31")) == "post-treatment"
    assert sample_phase(e, result("2025-01-31")) == "pre-treatment"


# ---- earlier_tumour_phase -------------------------------------------------------------------------------------

@pytest.mark.parametrize("when, phase", [
    ("2025-01-31", "pre-treatment"), ("2025-02-01", "post-treatment"), ("2025-02-02", "post-treatment"),
    (None, "unknown"), ("junk", "unknown")])
def test_earlier_tumour_phase_by_its_own_first_therapy(when, phase):
    """The earlier tumour's sample is pre-treatment before that tumour's own first systemic therapy; from the day of
    the first dose it is treated tissue (b.3: residual disease never stands in)."""
    e = EpisodeFinding(current="early", new_tumour="2030-01-01", new_tumour_kind="recurrence",
                       earlier_first_systemic_therapy="2025-02-01")
    assert earlier_tumour_phase(e, when) == phase


def test_earlier_tumour_without_therapy_is_all_pre_treatment():
    e = EpisodeFinding(current="early", new_tumour="2030-01-01", new_tumour_kind="recurrence")
    assert earlier_tumour_phase(e, "2029-01-01") == "pre-treatment"


@pytest.mark.parametrize("when", ["2025-01-01", None])
def test_a_new_primary_is_another_cancer(when):
    """ASCO/CAP test every new primary: the earlier tumour's samples are another primary's, whatever their date."""
    e = EpisodeFinding(current="early", new_tumour="2030-01-01", new_tumour_kind="new-primary",
                       earlier_first_systemic_therapy="2025-02-01")
    assert earlier_tumour_phase(e, when) == "another-primary"


# ---- is_recurrence_sample ------------------------------------------------------------------------------------

@pytest.mark.parametrize("when, specimen, expected", [
    ("2030-01-01", "primary", True), ("2030-01-02", "unknown", True), ("2029-12-31", "primary", False),
    (None, "primary", False), ("2030-01-01", "metastasis", False)])
def test_recurrence_tissue_is_breast_or_node_tissue_from_the_recurrence_date(when, specimen, expected):
    """Tissue of the local or regional recurrence: a non-metastasis sample taken on or after the recurrence date."""
    e = EpisodeFinding(current="early", new_tumour="2030-01-01", new_tumour_kind="recurrence")
    assert is_recurrence_sample(e, result(when, specimen=specimen)) is expected


def test_no_recurrence_sample_for_a_new_primary_or_in_the_metastatic_episode():
    e = EpisodeFinding(current="early", new_tumour="2030-01-01", new_tumour_kind="new-primary")
    assert not is_recurrence_sample(e, result("2030-02-01"))
    m = EpisodeFinding(current="metastatic", metastatic_start="2028-01-01", new_tumour="2030-01-01",
                       new_tumour_kind="recurrence")
    assert not is_recurrence_sample(m, result("2030-02-01"))
    assert not is_recurrence_sample(EpisodeFinding(current="early"), result("2030-02-01"))


# ---- residual_disease_samples --------------------------------------------------------------------------------

def call(when, phase="post-treatment", evidence=("Observation/x",)):
    return SampleCall(receptor="ER", status="negative", label="ER 0%", date=when, phase=phase, evidence=list(evidence))


@pytest.mark.parametrize("when, residual", [
    ("2025-07-15", True), ("2025-07-16", True), ("2025-07-14", False), (None, False)])
def test_residual_disease_is_tissue_from_the_surgery_that_closed_the_window(when, residual):
    """KATHERINE/CREATE-X population: tissue taken at or after the surgery closing a neoadjuvant window is residual
    invasive disease; a biopsy during treatment (before the surgery) is not; an undated one cannot be placed."""
    c = call(when)
    assert residual_disease_samples(neoadjuvant(), [c]) == ([c] if residual else [])


def test_residual_disease_needs_a_post_treatment_sample_a_window_and_a_surgery_in_the_early_episode():
    c = call("2025-08-01")
    assert residual_disease_samples(neoadjuvant(), [call("2025-08-01", phase="pre-treatment")]) == []
    assert residual_disease_samples(adjuvant(), [c]) == []                        # no neoadjuvant window
    no_surgery = neoadjuvant()
    no_surgery.surgery = None
    assert residual_disease_samples(no_surgery, [c]) == []
    metastatic = neoadjuvant()
    metastatic.current = "metastatic"
    assert residual_disease_samples(metastatic, [c]) == []


def test_unplaced_tissue_long_after_surgery_is_not_called_residual_disease():
    e = neoadjuvant(unplaced_samples=["Observation/late"])
    late, placed = call("2029-01-01", evidence=["Observation/late"]), call("2025-07-15", evidence=["Observation/x"])
    assert residual_disease_samples(e, [late, placed]) == [placed]


# ---- dates ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("2025-02-15", date(2025, 2, 15)), ("2025-02-15T10:00:00Z", date(2025, 2, 15)), ("2025-02-15T23:59:59+14:00", date(2025, 2, 15)),
    ("2025-11", date(2025, 11, 1)), ("2025-07", date(2025, 7, 1)), ("2025", date(2025, 1, 1)),
    ("", None), (None, None), (20250215, None), ("2025-13", None), ("abcd", None)])
def test_as_date_reads_fhir_dates_and_partial_dates_as_their_first_day(value, expected):
    """FHIR date/dateTime: the calendar day as written (no time-zone shift); a year-month or a year is its first day;
    anything else is no date."""
    assert as_date(value) == expected


@pytest.mark.parametrize("start, months, expected", [
    (date(2025, 11, 30), 4, date(2026, 3, 30)), (date(2025, 6, 1), 12, date(2026, 6, 1)),
    (date(2025, 6, 1), 24, date(2027, 6, 1)), (date(2025, 1, 31), -4, date(2024, 9, 30)),
    (date(2025, 10, 31), 4, date(2026, 2, 28)), (date(2024, 10, 31), 4, date(2025, 2, 28)),
    (date(2023, 10, 31), 4, date(2024, 2, 29)), (date(2025, 12, 15), 1, date(2026, 1, 15)),
    (date(1, 6, 1), 1, date(1, 7, 1)), (date(1, 2, 1), -4, date.min),
    (date(9999, 1, 1), 1, date(9999, 2, 1)), (date(9999, 10, 1), 4, date.max)])
def test_add_months_across_years_month_ends_and_the_calendar_limits(start, months, expected):
    """Calendar months (clamped to the month's last day, leap years included); past year 1 or 9999 the window stops
    at the calendar's end instead of failing."""
    assert add_months(start, months) == expected
