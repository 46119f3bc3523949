"""Data-quality findings in a clinician's words: what is wrong with a record and what to do about it.

Why a table: the readers report a problem with a short code (``DataQualityNote.code``, the vocabulary
of ``cds_hooks.knowledge.codes.DATA_QUALITY_CODES``) and a technical message for the data team. A
clinician reading a card or the SMART page needs neither the code nor the message: they need one
sentence saying what is wrong with the record and one saying what to do. Every code has an entry
here (a test checks it), so a new reader rule cannot surface a bare code.

Each entry: ``code -> (problem, action)``. ``problem`` completes "This record ..." style wording
without naming a file, a section of our reference or an enum; ``action`` is an instruction.
"""
from __future__ import annotations

# Shared actions, so the same fix reads the same everywhere.
_ASK_PATHOLOGY = "Ask the pathology laboratory for a corrected or complete report."
_CHECK_RECORD = "Check the record in the chart and correct it if it is wrong."
_NOTHING = "Nothing to do unless the result looks wrong; it was used with this caveat."

DATA_QUALITY_WORDS: dict[str, tuple[str, str]] = {
    "invalid-input": ("The data sent for this patient were not a set of FHIR records, so nothing could be read.",
                      "Ask the EHR administrator to check the integration."),
    "invalid-resource": ("A record is malformed and could not be read.",
                         "Ask the EHR administrator to check how this record is stored."),
    "dropped-entered-in-error": ("A record is marked as entered in error, so it was set aside.", _NOTHING),
    "dropped-cancelled": ("A result is marked as cancelled, so it was set aside.", _NOTHING),
    "other-patient": ("A record belongs to another patient, so it was set aside.",
                      "Tell the EHR administrator: a record of another patient was sent with this chart."),
    "multiple-patients": ("More than one patient record was sent; only the first was used.",
                          "Check that this page shows the right patient."),
    "provisional-result": ("A result is preliminary; it is shown but no recommendation rests on it alone.",
                           "Use the final report when it is available."),
    "unexpected-status": ("A result carries an unusual status, so it is treated as preliminary.",
                          "Check whether the report is final."),
    "invalid-code-for-system": ("A result is labelled with a code that does not exist in the coding system it claims "
                                "(a known problem of some synthetic and converted data), so it was not read.",
                                _CHECK_RECORD),
    "unverified-code": ("A result uses a test code whose meaning we could not verify, so it was not read.",
                        _CHECK_RECORD),
    "serum-her2-ignored": ("A serum HER2 level is recorded; a blood test never gives the tumour's HER2 status, so it "
                           "was not used.", "Use HER2 IHC or ISH on tumour tissue."),
    "generic-tumor-marker": ("A result is coded only as a generic tumour marker, not as ER, PR or HER2, so it was "
                             "not read.", _ASK_PATHOLOGY),
    "procedure-code-as-result": ("A record names a HER2 test procedure but carries no result.",
                                 "Find the result of that test in the pathology report."),
    "legacy-ligand-binding": ("An ER or PR result comes from an old biochemical assay (fmol/mg), which cannot be read "
                              "as a percentage of stained nuclei.", "Use an immunohistochemistry result."),
    "unparseable-value": ("A result value could not be read.", _CHECK_RECORD),
    "unrecognised-value": ("A result value is not one we recognise, so it was not read.", _CHECK_RECORD),
    "unit-ambiguous": ("A percentage between 0 and 1 was recorded without a % sign: it could mean 0.5% or 50%, so "
                       "it was not used.", "Ask the laboratory which it is and correct the record."),
    "unit-missing": ("A percentage was recorded without a unit; it was read as a percentage.", _NOTHING),
    "unexpected-unit": ("A percentage was recorded with a unit that is not %, so it was not used.", _CHECK_RECORD),
    "value-out-of-range": ("A percentage outside 0-100 was recorded, so it was not used.", _CHECK_RECORD),
    "percent-range": ("A percentage was recorded as a range, so it was not used.",
                      "Ask the laboratory for a single value."),
    "percent-range-ambiguous": ("A percentage was recorded with a bound (for example below 5%) that spans two "
                                "reporting categories, so the category cannot be told.",
                                "Ask the laboratory for the measured value."),
    "percent-under-qualitative-code": ("A percentage was recorded under a positive/negative test code; it was read "
                                       "as a percentage.", _NOTHING),
    "borderline-not-asco-cap": ("A result is reported as 'borderline', which is not a reporting category of the "
                                "ASCO/CAP testing guidelines.", _ASK_PATHOLOGY),
    "conflicting-results": ("Results from the same sample disagree; the more specific result was used.",
                            "Ask pathology to review the sample and issue one final result."),
    "combined-hr-only": ("Only a combined ER-and-PR result is recorded, so ER cannot be read on its own.",
                         "Request separate ER and PR results with the percentage of stained nuclei."),
    "receptor-status-from-condition": ("The receptor status is known only from a diagnosis code, not from a "
                                       "laboratory result.", "Find the pathology report with the measured results."),
    "value-as-string": ("A HER2 ISH result was recorded as text instead of a number; it was read from the text.",
                        _NOTHING),
    "ish-legacy-threshold": ("A HER2/CEP17 ratio was reported against the 2007 cut-offs (for example 'less than "
                             "1.8'); it was read again against the current cut-off of 2.0.", _NOTHING),
    "ish-legacy-equivocal": ("A HER2/CEP17 ratio was reported in the old 1.8-2.2 equivocal band, which cannot be "
                             "read against the current cut-off of 2.0.",
                             "Ask pathology to report the ratio and mean HER2 copy number, or repeat ISH."),
    "ish-equivocal-pre-2018": ("HER2 ISH was reported as 'equivocal', a category the testing guidelines removed in "
                               "2018.", "Ask pathology to classify the ISH result with the current groups."),
    "ish-copies-missing": ("A HER2/CEP17 ratio was reported without the mean HER2 copy number, so the ISH group "
                           "is read with the IHC result beside it.",
                           "Ask pathology for the mean HER2 copy number per cell."),
    "medication-display-mismatch": ("A medication's name in the chart does not match its drug code; the code was "
                                    "used.", "Check which drug the patient actually receives."),
    "newer-provisional-differs": ("A newer preliminary result disagrees with the older final result used here.",
                                  "Check the final version of the newer report before acting."),
    "ish-ratio-unreadable": ("A dual-probe HER2 ISH report has a HER2/CEP17 ratio that could not be read; the mean "
                             "HER2 copy number alone fits two ISH groups that lead to different HER2 results.",
                             "Ask pathology for the HER2/CEP17 ratio of this test."),
    "nodal-code-not-distant": ("A diagnosis code for cancer in lymph nodes names nodes that are usually regional in "
                               "breast cancer (axilla, internal mammary or supraclavicular nodes), so it was not read "
                               "as distant metastasis.",
                               "Check whether the involved nodes are on the same side as the tumour; nodes on the "
                               "other side or elsewhere mean metastatic disease and should be recorded as such."),
    "single-probe-borderline": ("A single-probe HER2 ISH count of 4 to under 6 signals per cell was read as not "
                                "amplified without IHC 3+.", "Consider dual-probe ISH or IHC on the same sample."),
    "her2-basis-not-recorded": ("HER2 is recorded as positive without the IHC score or ISH result behind it.",
                                _ASK_PATHOLOGY),
    "her2-2plus-resolved-without-ish": ("An IHC 2+ result was settled by the overall HER2 result; the ISH result "
                                        "itself is not in the chart.", "Check the ISH report."),
    "ish-paired-with-earlier-ihc": ("No specimen is named, so an ISH result was read together with an IHC result "
                                    "taken up to three weeks earlier, as if from one sample.",
                                    "Check that both come from the same specimen."),
    "unresolved-reference": ("Part of a HER2 ISH panel is missing from the chart.", "Find the full ISH report."),
    "display-code-mismatch": ("A result's displayed name belongs to a different test code; the code was used.",
                              _CHECK_RECORD),
    "conflicting-stage": ("Stage records disagree; the most recent stage observation was used.",
                          "Check which stage is current and correct the other record."),
    "unrecognised-stage": ("A stage value is not one we recognise, so it was not read.", _CHECK_RECORD),
    "allred-score-not-used": ("An Allred or similar score is recorded; receptor status is never derived from it.",
                              "Use the percentage of stained nuclei."),
    "unrecognised-m-category": ("A metastasis (M) category value is not one we recognise, so it was not read.",
                                _CHECK_RECORD),
}

# When a reader adds a code before it has words here: say it plainly rather than show the code.
FALLBACK_WORDS = ("A record could not be used as recorded.", _CHECK_RECORD)


def words_for(code: str) -> tuple[str, str]:
    """(problem, action) for a data-quality code, in words a clinician can act on."""
    return DATA_QUALITY_WORDS.get(code, FALLBACK_WORDS)
