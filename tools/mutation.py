"""Mutation testing of the decision core and the service's security checks (mutmut 3), with a score.

Why a wrapper: mutmut reads its configuration only from ``pyproject.toml``; this script runs it on a copy of
the checkout (so ``mutants/`` never lands in the work tree and two scopes can be measured side by side), with
the ``[tool.mutmut]`` table of ``pyproject.toml`` narrowed to the chosen scope, then turns mutmut's per-mutant
exit codes into a score and fails below the target.

Scopes:
- ``full``: everything ``[tool.mutmut]`` names (``cds_hooks/decision`` and ``service/{auth,issuers,prefetch}``),
  tested by the in-process tests of ``tests/decision`` and ``tests/service``. CPU-heavy: run it with
  ``nice -n 19`` on a shared machine.
- ``ci``: the cut-off functions of the HER2 and ER/PR readers (``her2.py``, ``er_pr.py``) against the readers' tests,
  the curated cases and the boundary table: the bounded slice
  CI runs.
- ``decision``: all of ``cds_hooks/decision`` against ``tests/decision``; ``security``: ``service/{auth,issuers,
  prefetch}`` against ``tests/service``. Each is several thousand mutants (13,352 and 1,326 at 95c6c71), hours of
  CPU on two cores, so ``--sample N`` measures a uniform random sample of N of them (``--seed`` makes it
  repeatable) and reports the score with its 95 % Wilson interval: an estimate of the whole scope's score.

Score = mutants killed (a test failed, timed out, or crashed) / mutants checked. "No tests" (no test reaches
the mutated function) counts as survived. Survivors are written to ``<workdir>/<scope>/survivors.txt`` and
their diffs to ``survivors.diff``; those judged equivalent are listed, one line of reasoning each, in
``docs/mutation-survivors.md``.

    python tools/mutation.py --scope ci --min-score 90
    nice -n 10 python tools/mutation.py --scope module --only cds_hooks/decision/subtype.py --jobs 2
    nice -n 19 python tools/mutation.py --scope full --min-score 90 --jobs 2
    nice -n 10 python tools/mutation.py --scope decision --sample 600 --seed 1 --jobs 2
"""
from __future__ import annotations

import argparse
import fnmatch
import io
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
import time
import tokenize
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SLICES = {
    # The readers' own tests, the curated cases and the boundary table: expectations written from ASCO/CAP.
    # (All of tests/decision takes about three times longer per surviving mutant, too slow for a CI step.)
    "ci": {"only_mutate": ["cds_hooks/decision/her2.py", "cds_hooks/decision/er_pr.py"],
           "pytest_add_cli_args_test_selection": ["tests/decision/test_readers_assess.py",
                                                  "tests/decision/test_readers_values.py",
                                                  "tests/decision/test_case_table.py",
                                                  "tests/decision/test_boundary_table.py"]},
    "full": {},
    "decision": {"only_mutate": ["cds_hooks/decision/*"], "pytest_add_cli_args_test_selection": ["tests/decision"]},
    "security": {"only_mutate": ["cds_hooks/service/auth.py", "cds_hooks/service/issuers.py",
                                 "cds_hooks/service/prefetch.py"],
                 "pytest_add_cli_args_test_selection": ["tests/service"]},
    # One or more files named with --only, against tests/decision: a decision module measured on its own.
    "module": {"pytest_add_cli_args_test_selection": ["tests/decision"]},
}
# Within the CI slice, the functions that apply the HER2 and ER/PR cut-offs (mutmut names, fnmatch patterns).
MUTANTS = {
    "ci": ["cds_hooks.decision.her2.x__ratio_side__*", "cds_hooks.decision.her2.x__copies_band__*",
           "cds_hooks.decision.her2.x__ish_groups__*", "cds_hooks.decision.her2.x__copies_without_ratio__*",
           "cds_hooks.decision.er_pr.x_percent_category__*",
           "cds_hooks.decision.er_pr.x_percent_status__*"],
    "full": [],
    "decision": [],
    "security": [],
    "module": [],
}
# A mutant name no module has: a run with it only generates the mutants and collects which tests reach which
# function (mutmut then stops, finding nothing to test), so that a sample can be drawn from the names.
_GENERATE_ONLY = "no.such.module.x_generate_only__mutmut_0"
# mutmut's exit-code meanings (mutmut/stats.py, 3.8): what counts as the mutant being detected.
KILLED = {1: "killed", 3: "killed", 36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          37: "caught by type check", -11: "segfault", -9: "segfault"}
SURVIVED = {0: "survived", 5: "no tests", 33: "no tests"}
NOT_RUN = {None: "not checked", 34: "skipped", 2: "interrupted"}


def _toml_table(name: str, values: dict) -> str:
    lines = [f"[{name}]"]
    for key, value in values.items():
        lines.append(f"{key} = {json.dumps(value)}")
    return "\n".join(lines) + "\n"


def prepare(scope: str, workdir: Path, only: list[str] | None = None) -> Path:
    """A fresh copy of the checkout under ``workdir/scope`` whose ``[tool.mutmut]`` is narrowed to the scope
    (and, for ``module``, to the files in ``only``)."""
    target = workdir / (scope if not only else f"{scope}-" + "-".join(Path(f).stem for f in only))
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    # The files git tracks, as they are in the work tree (uncommitted edits included).
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    config = {**tomllib.loads(text)["tool"]["mutmut"], **SLICES[scope], **({"only_mutate": only} if only else {})}
    # The table's own header line (a comment may name it too); the tables after it are kept.
    start = re.search(r"^\[tool\.mutmut\]\s*$", text, re.MULTILINE)
    assert start is not None, "pyproject.toml has no [tool.mutmut] table"
    following = re.search(r"^\[", text[start.end():], re.MULTILINE)
    tail = text[start.end() + following.start():] if following else ""
    narrowed = text[: start.start()] + _toml_table("tool.mutmut", config) + ("\n" + tail if tail else "")
    (target / "pyproject.toml").write_text(narrowed, encoding="utf-8")
    return target


def run_mutmut(target: Path, jobs: int, log: Path, mutants: list[str]) -> int:
    env = dict(os.environ, HYPOTHESIS_PROFILE="mutation", PYTHONDONTWRITEBYTECODE="1")
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run([mutmut, "run", "--max-children", str(jobs), *mutants], cwd=target, env=env,
                              stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode


def draw_sample(target: Path, jobs: int, log: Path, size: int, seed: int, patterns: list[str]) -> list[str]:
    """Generate the scope's mutants, then pick ``size`` of their names uniformly at random (seeded)."""
    run_mutmut(target, jobs, log.with_name("generate.log"), [_GENERATE_ONLY])
    names = sorted(results(target))
    if patterns:
        names = [n for n in names if any(fnmatch.fnmatch(n, p) for p in patterns)]
    if not names:
        raise SystemExit(f"no mutants were generated; see {log.with_name('generate.log')}")
    return sorted(random.Random(seed).sample(names, min(size, len(names))))


def wilson(killed: int, checked: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion, in percent: how far a sample's score can be from the
    score of every mutant of the scope."""
    if not checked:
        return (0.0, 100.0)
    p = killed / checked
    centre = (p + z * z / (2 * checked)) / (1 + z * z / checked)
    half = z * math.sqrt(p * (1 - p) / checked + z * z / (4 * checked * checked)) / (1 + z * z / checked)
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def results(target: Path) -> dict[str, int | None]:
    """Exit code by mutant name, from mutmut's ``.meta`` files."""
    found: dict[str, int | None] = {}
    for meta in sorted((target / "mutants").rglob("*.py.meta")):
        found.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return found


_DEF = re.compile(r"^(\s*)(?:async\s+)?def\s+(\S+__mutmut_(?:orig|\d+))\(")
_COMPARED = re.compile(r"==|!=|\bin\b|startswith|endswith|\.get\(|(?<=[\w)\]])\[")   # comparisons, lookups, subscripts
_STRING = re.compile(r"(?:[rbfu]{0,2})(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')", re.IGNORECASE)


def _tokens(source: str) -> list[tuple[int, str]]:
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT)]


def _functions(path: Path) -> dict[str, str]:
    """The source of every mutant and original function in one of mutmut's mutated files, dedented, by name.

    Why not ``ast``: the mutated files are megabytes (every mutant is a copy of its function); a scan of the
    lines for ``def ...__mutmut_`` is a hundred times faster and enough to cut them apart."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    found: dict[str, str] = {}
    starts = [(i, m) for i, line in enumerate(lines) if (m := _DEF.match(line))]
    for i, match in starts:
        indent, end = len(match.group(1)), i + 1
        while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
            end += 1
        found[match.group(2)] = textwrap.dedent("".join(lines[i:end]))
    return found


def wording_mutants(target: Path, names: list[str]) -> set[str]:
    """Mutants whose only change is inside a sentence a clinician reads, not in anything the code compares.

    Why: mutmut changes every string literal (case, or wrapped in ``XX``); a changed sentence on an alert or an
    option note changes no decision, and pinning every sentence in a test would only freeze the wording. Such a
    mutant is counted apart (``wording``), so the score of the decisions is not hidden behind it; it is not
    called equivalent. The test: the mutated function's tokens equal the original's except string literals of
    three words or more, on lines that compare nothing (no ``==``, ``in``, ``startswith``, indexing...).
    """
    found: set[str] = set()
    cache: dict[Path, dict[str, str]] = {}
    for name in names:
        module, _, function = name.rpartition(".x")
        path = target / "mutants" / Path(*module.split(".")).with_suffix(".py")
        if not path.is_file():
            continue
        functions = cache.setdefault(path, _functions(path))
        mutant = functions.get("x" + function)
        original = functions.get(re.sub(r"__mutmut_\d+$", "__mutmut_orig", "x" + function))
        if not mutant or not original:
            continue
        try:
            before, after = _tokens(original), _tokens(mutant)
        except (tokenize.TokenError, SyntaxError):
            continue
        if len(before) != len(after):
            continue
        changed = [(b, a) for b, a in zip(before[3:], after[3:]) if b != a]    # [3:]: the function's own name
        lines = {line for line in original.splitlines() for (_, text), _ in changed if text in line}
        if changed and all(b[0] == a[0] == tokenize.STRING and b[1].count(" ") >= 2 for b, a in changed) \
                and not any(_COMPARED.search(_STRING.sub('""', line)) for line in lines):
            found.add(name)
    return found


def status(code: int | None) -> str:
    return KILLED.get(code) or SURVIVED.get(code) or NOT_RUN.get(code) or "suspicious"  # type: ignore[arg-type]


def module_of(mutant: str) -> str:
    return mutant.split(".x_")[0].split(".xǁ")[0]


def summarise(codes: dict[str, int | None], wording: set[str] = frozenset()) -> dict:
    by_module: dict[str, Counter] = defaultdict(Counter)
    for name, code in codes.items():
        by_module[module_of(name)][status(code)] += 1
        if name in wording:
            by_module[module_of(name)]["wording " + ("survived" if status(code) in SURVIVED.values() else "killed")] += 1

    def score(counter: Counter) -> tuple[int, int, float | None]:
        killed = sum(counter[s] for s in set(KILLED.values()))
        checked = killed + sum(counter[s] for s in set(SURVIVED.values())) + counter["suspicious"]
        return killed, checked, (100.0 * killed / checked) if checked else None

    def behaviour(counter: Counter) -> tuple[int, int, float | None]:
        killed, checked, _ = score(counter)
        killed -= counter["wording killed"]
        checked -= counter["wording killed"] + counter["wording survived"]
        return killed, checked, (100.0 * killed / checked) if checked else None

    areas: dict[str, Counter] = defaultdict(Counter)
    for module, counter in by_module.items():
        areas["decision" if module.startswith("cds_hooks.decision") else "service"] += counter
    return {
        "modules": {m: {"counts": dict(c), "killed_checked_score": score(c), "without_wording": behaviour(c)}
                    for m, c in sorted(by_module.items())},
        "areas": {a: {"counts": dict(c), "killed_checked_score": score(c), "without_wording": behaviour(c)}
                  for a, c in sorted(areas.items())},
        "wording_survivors": sorted(n for n in wording if status(codes[n]) in SURVIVED.values()),
        "survivors": sorted(n for n, c in codes.items() if status(c) in set(SURVIVED.values()) | {"suspicious"}),
        "not_checked": sorted(n for n, c in codes.items() if status(c) in set(NOT_RUN.values())),
    }


def write_survivor_diffs(target: Path, survivors: list[str]) -> None:
    (target / "survivors.txt").write_text("".join(f"{s}\n" for s in survivors), encoding="utf-8")
    mutmut = shutil.which("mutmut", path=str(Path(sys.executable).parent)) or "mutmut"
    with (target / "survivors.diff").open("w", encoding="utf-8") as out:
        for name in survivors:
            shown = subprocess.run([mutmut, "show", name], cwd=target, capture_output=True, text=True)
            out.write(f"### {name}\n{shown.stdout}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scope", choices=sorted(SLICES), default="ci")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="mutants tested in parallel")
    parser.add_argument("--min-score", type=float, default=90.0,
                        help="fail when the decision core's score (percent killed) is below this")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".mutation")
    parser.add_argument("--mutants", action="append", default=[],
                        help="with --scope module: only mutants whose mutmut name matches this glob (repeatable), "
                             "e.g. 'cds_hooks.decision.selection.x_govern__*'")
    parser.add_argument("--only", action="append", default=[],
                        help="with --scope module: a file to mutate (repeatable), e.g. cds_hooks/decision/subtype.py")
    parser.add_argument("--sample", type=int, default=0,
                        help="test a uniform random sample of this many of the scope's mutants (an estimate)")
    parser.add_argument("--seed", type=int, default=1, help="with --sample: the random seed")
    args = parser.parse_args(argv)
    if (args.scope == "module") != bool(args.only):
        parser.error("--only goes with --scope module, and --scope module needs --only")

    started = time.monotonic()
    target = prepare(args.scope, args.workdir, args.only)
    log = target / "mutmut.log"
    patterns = MUTANTS[args.scope] + (args.mutants if args.scope == "module" else [])
    sample: list[str] = []
    if args.sample:
        sample = draw_sample(target, args.jobs, log, args.sample, args.seed, patterns)
    code = run_mutmut(target, args.jobs, log, sample or patterns)
    codes = results(target)
    if sample:
        chosen = set(sample)
        codes = {n: c for n, c in codes.items() if n in chosen}
    elif patterns:
        codes = {n: c for n, c in codes.items() if any(fnmatch.fnmatch(n, p) for p in patterns)}
    if code != 0 or not codes:
        print(f"mutmut failed (exit {code}); see {log}", file=sys.stderr)
        print(log.read_text(encoding="utf-8", errors="replace")[-3000:], file=sys.stderr)
        return 1
    summary = summarise(codes, wording_mutants(target, sorted(codes)))
    summary["scope"], summary["seconds"] = args.scope, round(time.monotonic() - started)
    if sample:
        summary["sample"] = {"size": len(sample), "seed": args.seed, "of": len(results(target))}
    (target / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    write_survivor_diffs(target, summary["survivors"])

    drawn = summary.get("sample")
    print(f"mutation testing, scope {args.scope}, {summary['seconds']} s"
          + (f", a random sample of {drawn['size']} of {drawn['of']} mutants (seed {drawn['seed']})" if drawn else ""))
    print(f"  {'module':45} {'killed/checked':>14} {'score':>8}   without wording mutants")
    for module, row in summary["modules"].items():
        killed, checked, score = row["killed_checked_score"]
        k2, c2, s2 = row["without_wording"]
        print(f"  {module:45} {killed:6}/{checked:<7} {score:6.1f} %   {k2:5}/{c2:<5} "
              + (f"{s2:6.1f} %" if s2 is not None else "") if score is not None else f"  {module:45} no mutants checked")
    for area, row in summary["areas"].items():
        killed, checked, score = row["killed_checked_score"]
        k2, c2, s2 = row["without_wording"]
        interval = " (95 %% interval %.1f-%.1f %%)" % wilson(killed, checked) if drawn else ""
        interval2 = " (95 %% interval %.1f-%.1f %%)" % wilson(k2, c2) if drawn and c2 else ""
        print(f"{area:47} {killed:6}/{checked:<7} {score:6.1f} %{interval}")
        if s2 is not None:
            print(f"{area + ', without wording mutants':47} {k2:6}/{c2:<7} {s2:6.1f} %{interval2}")
    print(f"wording mutants that survived: {len(summary['wording_survivors'])} (counted as survivors above)")
    print(f"survivors: {len(summary['survivors'])} (list: {target / 'survivors.txt'}, diffs: {target / 'survivors.diff'})")
    if summary["not_checked"]:
        print(f"{len(summary['not_checked'])} mutants were not checked", file=sys.stderr)
        return 1
    if args.scope == "security":
        return 0    # the target is the decision core's; the security checks' score is reported, not gated
    decision = summary["areas"].get("decision", {}).get("killed_checked_score", (0, 0, None))[2]
    if decision is None or decision < args.min_score:
        print(f"decision core score {decision} % is below the target of {args.min_score} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
