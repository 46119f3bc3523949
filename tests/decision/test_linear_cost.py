"""No input may cost more than linear work in ``assess()`` (issue 8, "superlinear input").

An attack run sent 8,000 same-day copies of one ER result (19 s) and 25,000 (past 2 minutes): the
conflicting-results check (P18) compared every pair of results, and ran twice. Timing is noisy on a shared
machine, so these tests count work instead of seconds: the number of Python lines executed inside
``cds_hooks`` while assessing n and 2n copies. Linear work doubles; quadratic work quadruples. The P18
semantics are pinned separately against the pairwise definition (same specimen, disagreeing statements).
"""
from __future__ import annotations

import copy
import itertools
import json
import random
import sys
from datetime import date
from pathlib import Path
from typing import Callable

import pytest

import cds_hooks
from cds_hooks.decision import DecisionConfig, assess
from cds_hooks.decision.model import ReceptorResult
from cds_hooks.decision.pitfalls import find_pitfalls

from test_options import make_assessment  # same directory (pytest rootdir-relative import)

CONFIG = DecisionConfig(today=date(2026, 11, 1))
PACKAGE = str(Path(cds_hooks.__file__).resolve().parent)
CASE = Path(__file__).resolve().parents[2] / "fixtures" / "cases" / "conflicting-same-day-er.json"
# Doubling the input of linear work doubles the lines run (plus a small fixed part); quadratic work
# quadruples them. 2.6 leaves room for n log n sorting and fixed costs and still catches n^2.
MAX_RATIO = 2.6


def _base() -> list[dict]:
    case = json.loads(CASE.read_text(encoding="utf-8"))
    return [entry["resource"] for entry in case["bundle"]["entry"]]


def _er(resource_id: str, status: str, specimen: str | None = None) -> dict:
    answers = {"positive": ("LA6576-8", "Positive"), "negative": ("LA6577-6", "Negative")}
    code, display = answers[status]
    obs = {"resourceType": "Observation", "id": resource_id, "status": "final",
           "code": {"coding": [{"system": "http://loinc.org", "code": "85337-4"}]},
           "subject": {"reference": "Patient/conflicting-same-day-er"}, "effectiveDateTime": "2026-09-15",
           "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]}}
    if specimen:
        obs["specimen"] = {"reference": f"Specimen/{specimen}"}
    return obs


def copies_of_one_result(n: int) -> list[dict]:
    """The attack: n same-day copies of the case's ER 'Positive' beside its ER 0 %."""
    base = _base()
    positive = next(r for r in base if r["id"].endswith("obs-3"))
    return [*base, *({**copy.deepcopy(positive), "id": f"copy-{i}"} for i in range(n))]


def half_positive_half_negative(n: int) -> list[dict]:
    """n same-day ER results of one sample, half 'Positive', half 'Negative': n^2/4 disagreeing pairs."""
    return [*_base(), *(_er(f"mix-{i}", "positive" if i % 2 else "negative") for i in range(n))]


def distinct_specimens(n: int) -> list[dict]:
    """n Specimens on one day, each with a 'Positive' and a 'Negative' ER: n conflicted samples."""
    out = _base()
    for i in range(n // 2):
        out.append({"resourceType": "Specimen", "id": f"spec-{i}", "subject": {"reference": "Patient/conflicting-same-day-er"}})
        out += [_er(f"sp-{i}-p", "positive", f"spec-{i}"), _er(f"sp-{i}-n", "negative", f"spec-{i}")]
    return out


def other_patients_results(n: int) -> list[dict]:
    """n results about other patients beside the case's own: each is dropped with its own note (issue 9)."""
    return [*_base(), *({**_er(f"other-{i}", "positive"), "subject": {"reference": f"Patient/other-{i}"}}
                         for i in range(n))]


def lines_run(resources: list[dict]) -> int:
    """Python lines executed inside the cds_hooks package during one assess() call."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def global_(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    sys.settrace(global_)
    try:
        assess(resources, CONFIG)
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("build", [copies_of_one_result, half_positive_half_negative, distinct_specimens,
                                   other_patients_results],
                         ids=lambda f: f.__name__)
def test_doubling_the_input_at_most_doubles_the_work(build: Callable[[int], list[dict]]):
    """Same-day copies, a half/half split, many specimens and other patients' results: the lines run grow
    linearly, not as n^2."""
    assess(build(10), CONFIG)                        # warm-up: imports and caches are not the input's cost
    small, large = lines_run(build(300)), lines_run(build(600))
    assert large / small <= MAX_RATIO, f"300 -> {small} lines, 600 -> {large} lines (x{large / small:.2f})"


def test_many_copies_still_raise_one_conflict_with_each_resource_once():
    """Many disagreeing copies still yield one P18 for ER, whose evidence names each result once."""
    a = assess(half_positive_half_negative(400), CONFIG)
    p18 = [x for x in a.alerts if x.code == "P18"]
    assert len(p18) == 1 and "ER" in p18[0].title
    evidence = p18[0].evidence
    assert len(evidence) == len(set(evidence))
    assert {f"Observation/mix-{i}" for i in range(400)} <= set(evidence)
    assert a.er.status == "negative" and a.er.basis == "percent"     # the case's ER 0 % still outranks them


# ---- P18's meaning is unchanged: the pairwise definition, checked on random rows ---------------------------

def _pairwise_conflicting(rows: list[ReceptorResult]) -> set[str]:
    """The definition P18 implements: two dated results of one analyte and day, plausibly one specimen
    (kinds equal or one unknown; refs and sites equal where both are given), whose statements disagree
    (positive vs negative family, or two percents in different categories)."""
    def family(status):
        return "positive" if status in ("positive", "low-positive") else status
    out: set[str] = set()
    for x, y in itertools.combinations(rows, 2):
        if x.analyte != y.analyte or x.effective[:10] != y.effective[:10]:
            continue
        same = x.specimen == y.specimen or "unknown" in (x.specimen, y.specimen)
        if x.specimen_ref and y.specimen_ref and x.specimen_ref != y.specimen_ref:
            same = False
        if x.specimen_site and y.specimen_site and x.specimen_site != y.specimen_site:
            same = False
        both_percent = x.percent is not None and y.percent is not None
        if same and (family(x.status) != family(y.status) or (both_percent and x.status != y.status)):
            out |= {x.resource, y.resource}
    return out


def _random_rows(rng: random.Random) -> list[ReceptorResult]:
    rows = []
    for i in range(rng.randint(0, 9)):
        status = rng.choice(["positive", "low-positive", "negative", "equivocal"])
        percent = rng.choice([None, {"positive": 50.0, "low-positive": 5.0, "negative": 0.0, "equivocal": None}[status]])
        rows.append(ReceptorResult(
            f"Observation/r{i}", rng.choice(["ER", "PR", "HER2-IHC"]), "x|y", rng.choice(["2026-06-01", "2026-06-02"]),
            "final", False, specimen=rng.choice(["primary", "metastasis", "unknown"]),
            specimen_ref=rng.choice([None, "Specimen/1", "Specimen/2"]),
            specimen_site=rng.choice([None, "left breast", "liver"]), status=status, percent=percent))
    return rows


def test_p18_flags_exactly_the_results_in_a_disagreeing_pair():
    """On 3,000 random histories P18's evidence is exactly the set the pairwise definition gives."""
    rng = random.Random(8)
    for _ in range(3000):
        rows = _random_rows(rng)
        a = make_assessment(history=rows)
        flagged = {ref for x in find_pitfalls(a, CONFIG) if x.code == "P18" for ref in x.evidence}
        assert flagged == _pairwise_conflicting(rows), [(r.resource, r.analyte, r.effective, r.specimen,
                                                         r.specimen_ref, r.specimen_site, r.status, r.percent)
                                                        for r in rows]


def test_of_type_is_indexed_once_and_follows_the_intake():
    """Intake.of_type answers from a per-type index (readers ask a dozen times per assessment): the same resources
    in intake order as a scan, a fresh list each time, and a rebuilt index when the list grows or is replaced."""
    from cds_hooks.decision.intake import Intake

    def scan(intake, *types):
        return [r for r in intake.resources if r.get("resourceType") in types]

    resources = [{"resourceType": t, "id": str(i)} for i, t in enumerate("ABACBA")] + [{"resourceType": ["x"]}, {}]
    intake = Intake(resources=resources)
    for types in (("A",), ("B",), ("C",), ("D",), ("A", "C")):
        assert intake.of_type(*types) == scan(intake, *types)
    intake.of_type("A").clear()
    assert len(intake.of_type("A")) == 3
    intake.resources.append({"resourceType": "A", "id": "late"})
    assert [r["id"] for r in intake.of_type("A")] == ["0", "2", "5", "late"]
    intake.resources = [{"resourceType": "C", "id": "only"}]
    assert intake.of_type("A") == [] and intake.of_type("C") == [{"resourceType": "C", "id": "only"}]
