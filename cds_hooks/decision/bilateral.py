"""Synchronous bilateral breast cancer: each breast's tumour classified on its own, and what that means for the rest.

Why: tumours of the left and the right breast are separate primaries (SEER Solid Tumor Rules, breast:
https://seer.cancer.gov/tools/solidtumor/), and each primary is tested for ER, PR and HER2 (ASCO/CAP ER/PR 2020,
HER2 2018). Treated as one tumour, two cancers found together were a "same tumour" discordance and got one merged
subtype. No guideline gives a rule for merging two primaries' receptors into one subtype, so none is invented here:

- each breast's samples are decided on their own with the same rules as any tumour (``selection.govern``) and
  classified (``subtype.classify``): ``Assessment.tumours``;
- when the two subtypes are the same, that is the subtype; when they differ, the patient-level subtype is
  "indeterminate" with both stated as the reason (never a merged one), a warning asks for the tumour board
  (pitfall ``bilateral-subtypes-differ``), and the options are those of both tumours, each marked with the tumour it
  is for (``options_for_tumours``);
- the patient-level ER, PR and HER2 findings stay the positive-on-any-sample call over both breasts, so a drug aimed
  at a receptor of either tumour has a target there and is not called a drug without a target.
Samples with no recorded side cannot be given to either tumour and are left out of the per-tumour calls.

Imports: the decision readers (er_pr, her2, subtype, options) and the model only.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable

from .config import DecisionConfig
from .er_pr import decide_receptor, hr_status
from .her2 import decide_her2
from .model import Assessment, DataQualityNote, Option, ReceptorResult, TumourCall
from .subtype import classify

SIDES = ("left", "right")
# Best first: when both tumours bring the same option, the more settled status is kept (each tumour's note says why).
_STATUS_ORDER = ("applicable", "depends-on-prior-therapy", "needs-test", "needs-review")


def tumour_calls(results: list[ReceptorResult], kinds: dict[str, str], metastatic: bool,
                 phase_of: Callable[[ReceptorResult], str],
                 earlier_phase_of: Callable[[ReceptorResult], str] | None) -> list[TumourCall]:
    """One call per breast with a sided sample: ER, PR and HER2 decided over that breast's samples only."""
    calls = []
    for side in SIDES:
        mine = [r for r in results if r.side == side and r.specimen != "metastasis"]
        if not mine:
            continue
        scratch: list[DataQualityNote] = []      # the patient-level pass already reported every data problem
        er, _ = decide_receptor("ER", mine, kinds, metastatic, phase_of, [], scratch, earlier_phase_of)
        pr, _ = decide_receptor("PR", mine, kinds, metastatic, phase_of, [], scratch, earlier_phase_of)
        hr, _ = hr_status(er, pr, [r for r in mine if r.analyte == "HR"])
        her2, reasons, _ = decide_her2(mine, metastatic, phase_of, [], scratch, earlier_phase_of)
        subtype, why, modifiers = classify(er, pr, hr, her2, reasons)
        calls.append(TumourCall(side=side, subtype=subtype, hr=hr, er=er, pr=pr, her2=her2,  # type: ignore[arg-type]
                                reasons=why, modifiers=modifiers))
    return calls


def differing(calls: list[TumourCall]) -> bool:
    """Two tumours whose subtypes are not the same (an unsettled one counts as different: it is not known to match)."""
    return len({c.subtype for c in calls}) > 1          # two different subtypes need two tumours


def describe(call: TumourCall) -> str:
    """'left breast tumour HR+/HER2-' (with its modifiers)."""
    extra = f" ({', '.join(call.modifiers)})" if call.modifiers else ""
    return f"{call.side} breast tumour {call.subtype}{extra}"


def options_for_tumours(assessment: Assessment, calls: list[TumourCall], config: DecisionConfig,
                        options_for: Callable[[Assessment, DecisionConfig], list[Option]]) -> list[Option]:
    """The options of every tumour, each marked with the tumour(s) it is for; an option both bring appears once with
    the more settled status. A tumour whose subtype is not settled brings none (its card reason says what is
    missing)."""
    merged: dict[str, Option] = {}
    whose: dict[str, list[str]] = {}
    for call in calls:
        view = replace(assessment, subtype=call.subtype, hr=call.hr, er=call.er, pr=call.pr, her2=call.her2,
                       modifiers=list(call.modifiers))
        for option in options_for(view, config):
            whose.setdefault(option.id, []).append(describe(call))
            kept = merged.get(option.id)
            if kept is None or _STATUS_ORDER.index(option.status) < _STATUS_ORDER.index(kept.status):
                if kept is not None:
                    option.notes = list(dict.fromkeys([*kept.notes, *option.notes]))
                merged[option.id] = option
            else:
                kept.notes = list(dict.fromkeys([*kept.notes, *option.notes]))
                if option.status == kept.status:      # equally settled: what either tumour still needs is asked for
                    kept.needs = list(dict.fromkeys([*kept.needs, *option.needs]))
    out = []
    for option_id, option in merged.items():
        tumours = whose[option_id]
        label = "both tumours" if len(tumours) > 1 else f"the {tumours[0]}"
        option.notes = [f"For {label}.", *option.notes]
        out.append(option)
    return out


__all__ = ["describe", "differing", "options_for_tumours", "tumour_calls"]
