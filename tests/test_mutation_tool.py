"""tools/mutation.py: the sample's interval and the wording class, which decide the score the README reports."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location("mutation_tool", Path(__file__).resolve().parents[1] / "tools" / "mutation.py")
mutation = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(mutation)

_MUTANTS = '''
def x_check__mutmut_orig(a):
    if a.status == "suppressed":
        return Check("fits", "Ovarian function is suppressed.")
    return Check("unknown", "Menopausal status is not recorded.")
def x_check__mutmut_1(a):
    if a.status == "suppressed":
        return Check("fits", "XXOvarian function is suppressed.XX")
    return Check("unknown", "Menopausal status is not recorded.")
def x_check__mutmut_2(a):
    if a.status == "SUPPRESSED":
        return Check("fits", "Ovarian function is suppressed.")
    return Check("unknown", "Menopausal status is not recorded.")
def x_check__mutmut_3(a):
    if a.status == "suppressed":
        return Check("XXfitsXX", "Ovarian function is suppressed.")
    return Check("unknown", "Menopausal status is not recorded.")
def x_check__mutmut_4(a):
    if a.status == "suppressed":
        return Check("fits", None)
    return Check("unknown", "Menopausal status is not recorded.")
def x_label__mutmut_orig(r):
    return r.label.endswith(": the low band")
def x_label__mutmut_1(r):
    return r.label.endswith("XX: the low bandXX")
def x_note__mutmut_orig(ref):
    return Note("kind", "The result was taken in the early episode.", [ref])
def x_note__mutmut_1(ref):
    return Note("kind", "THE RESULT WAS TAKEN IN THE EARLY EPISODE.", [ref])
def x_note__mutmut_2(ref):
    return Note("kind", "The result was taken in the early episode.", refs[0])
class Finding:
    def xǁFindingǁtext__mutmut_orig(self):
        return "The result was read again."
    def xǁFindingǁtext__mutmut_1(self):
        return "the result was read again."
'''


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "mutants" / "cds_hooks" / "decision" / "demo.py"
    path.parent.mkdir(parents=True)
    path.write_text(_MUTANTS, encoding="utf-8")
    return tmp_path


def test_only_a_changed_sentence_is_wording(target):
    """A sentence a clinician reads, changed, is wording; a compared code, a status, a sentence the code compares,
    or a sentence removed is behaviour."""
    names = [f"cds_hooks.decision.demo.x_check__mutmut_{n}" for n in (1, 2, 3, 4)]
    names += ["cds_hooks.decision.demo.x_label__mutmut_1", "cds_hooks.decision.demo.xǁFindingǁtext__mutmut_1",
              "cds_hooks.decision.demo.x_note__mutmut_1", "cds_hooks.decision.demo.x_note__mutmut_2"]
    # A sentence that itself says "in", on a line that builds a list, is still only a sentence.
    assert mutation.wording_mutants(target, names) == {"cds_hooks.decision.demo.x_check__mutmut_1",
                                                       "cds_hooks.decision.demo.xǁFindingǁtext__mutmut_1",
                                                       "cds_hooks.decision.demo.x_note__mutmut_1"}


def test_wording_mutants_are_counted_apart_not_dropped():
    """The overall score still counts a surviving wording mutant; the score without wording leaves it out."""
    codes = {"m.x_a__mutmut_1": 1, "m.x_a__mutmut_2": 0, "m.x_a__mutmut_3": 0, "m.x_a__mutmut_4": 1}
    summary = mutation.summarise(codes, {"m.x_a__mutmut_3"})
    row = summary["modules"]["m"]
    assert row["killed_checked_score"] == (2, 4, 50.0)
    assert row["without_wording"][:2] == (2, 3)
    assert summary["wording_survivors"] == ["m.x_a__mutmut_3"]


@pytest.mark.parametrize("killed, checked, low, high", [(85, 100, 76.7, 90.7), (540, 600, 87.34, 92.15),
                                                       (0, 10, 0.0, 27.8), (10, 10, 72.2, 100.0)])
def test_wilson_interval(killed, checked, low, high):
    """The 95 % Wilson score interval, checked against values computed by hand from its formula."""
    got = mutation.wilson(killed, checked)
    assert got == pytest.approx((low, high), abs=0.05)
