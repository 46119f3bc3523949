"""A deterministic synthetic patient population written as NDJSON, the way a Bulk Data ``$export`` writes it.

    python benchmarks/population.py --patients 10000 --out /tmp/population [--seed 1] [--breast-share 0.15]

Why synthetic, and how it stays realistic: no real population may be used here, so every patient is made from
the project's own FHIR fixtures (fictional people). A breast-cancer patient is a copy of one fixture bundle
(the mCODE example, the trimmed Synthea records and the curated cases), picked so that the receptor subtypes
follow their share among US female breast cancers (SEER 22, 2017-2021: HR+/HER2- 69.5%, triple-negative 10.5%,
HR+/HER2+ 9.6%, HR-/HER2+ 4.0%, unknown 6.1%; https://seer.cancer.gov/statfacts/html/breast-subtypes.html).
Every patient, with or without breast cancer, also gets a "background" record drawn from the whole Synthea
record in ``fixtures/large`` (vital signs, laboratory results, other conditions, procedures, medicines), so a
record looks like a chart and not like a test case. ``--breast-share`` is the fraction of patients with breast
cancer (default 0.15: a cancer centre's population, where breast cancer is one cancer among several).

Each copy gets new ids (``p000123`` for the patient, ``<fixture id>.p000123`` for its resources), references
rewritten to ``Type/id``, all its dates moved by one random offset (within a year), and a ``meta.source`` naming
one of a few source systems, so the audit report's data-quality-by-source section has something to show.
Output: one file per resource type (``Patient.ndjson``, ``Observation.ndjson``...) and ``manifest.json`` shaped
like a Bulk Data manifest, only with the types the audit asks for. The same ``--seed`` gives the same bytes.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import re
import sys
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.audit.scope import EXPORT_TYPES  # noqa: E402
from app.fixtures_loader import fixture_bundles  # noqa: E402
from cds_hooks.decision import DecisionConfig, assess  # noqa: E402
from cds_hooks.knowledge import codes  # noqa: E402

LARGE = ROOT / "fixtures" / "large" / "Emiko_Jones_6f867e8e.json"
SUBTYPE_SHARE = {   # SEER 22 2017-2021, percent of female breast cancer cases (see the module docstring)
    "HR+/HER2-": 69.5, "triple-negative": 10.5, "HR+/HER2+": 9.6, "HR-/HER2+": 4.0, "indeterminate": 6.1,
}
SOURCES = ("urn:example:source:main-ehr", "urn:example:source:pathology-lis", "urn:example:source:oncology-pharmacy")
TRANSACTION_TIME = "2026-11-01T00:00:00Z"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$")


def _resources(bundle: dict) -> list[tuple[str | None, dict]]:
    return [(e.get("fullUrl"), e["resource"]) for e in bundle.get("entry", []) if isinstance(e.get("resource"), dict)]


def _breast_related(resource: dict) -> bool:
    """True for anything the receptor rules might read: those stay out of the background record."""
    text = json.dumps(resource).lower()
    if any(word in text for word in ("breast", "neoplasm", "cancer", "tumor", "carcinoma", "her2", "estrogen")):
        return True
    for coding in _codings(resource.get("code")):
        key = (coding.get("system"), coding.get("code"))
        if key in codes.OBSERVATION_CODES or key in codes.CONDITION_CODES or key in codes.PROCEDURE_CODES:
            return True
    return False


def _codings(concept: Any) -> list[dict]:
    return [c for c in (concept or {}).get("coding", []) if isinstance(c, dict)] if isinstance(concept, dict) else []


def background_pool() -> dict[str, list[dict]]:
    """The whole Synthea record's resources of the exported types that say nothing about breast cancer."""
    bundle = json.loads(LARGE.read_text(encoding="utf-8"))
    pool: dict[str, list[dict]] = {}
    for _, resource in _resources(bundle):
        rtype = resource["resourceType"]
        if rtype == "Patient" or rtype not in EXPORT_TYPES or _breast_related(resource):
            continue
        pool.setdefault(rtype, []).append(resource)
    return pool


def breast_templates(today: date) -> dict[str, list[dict]]:
    """Fixture bundles with one Patient, grouped by the subtype the decision core gives them."""
    by_subtype: dict[str, list[dict]] = {}
    config = DecisionConfig(today=today)
    for _, bundle in fixture_bundles():
        patients = [r for _, r in _resources(bundle) if r.get("resourceType") == "Patient"]
        if len(patients) != 1:
            continue
        subtype = assess(bundle, config).subtype
        by_subtype.setdefault(subtype, []).append(bundle)
    return by_subtype


def _shift(value: str, days: int) -> str:
    """Move a FHIR date/dateTime by whole days, keeping its precision and time zone."""
    head, tail = value[:10], value[10:]
    try:
        moved = datetime.strptime(head, "%Y-%m-%d").date() + timedelta(days=days)
    except ValueError:
        return value
    return moved.isoformat() + tail


def _rewrite(node: Any, refs: dict[str, str], days: int) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                out[key] = refs.get(value, value)
            else:
                out[key] = _rewrite(value, refs, days)
        return out
    if isinstance(node, list):
        return [_rewrite(v, refs, days) for v in node]
    if isinstance(node, str) and _DATE.match(node):
        return _shift(node, days)
    return node


class Population:
    """Patients one at a time (never the whole population in memory), each as a list of resources."""

    def __init__(self, patients: int, seed: int = 1, breast_share: float = 0.15, today: date = date(2026, 11, 1)):
        self.patients = patients
        self.seed = seed
        self.breast_share = breast_share
        pool = background_pool()
        # Drawn in the proportions of the real record (mostly Observations), not one type at a time.
        self.background = [resource for rtype in sorted(pool) for resource in pool[rtype]]
        self.templates = breast_templates(today)
        self.subtypes = [s for s in SUBTYPE_SHARE if self.templates.get(s)]
        self.weights = [SUBTYPE_SHARE[s] for s in self.subtypes]

    def __iter__(self) -> Iterator[list[dict]]:
        rng = random.Random(self.seed)
        for n in range(self.patients):
            yield self._patient(n, rng)

    def _patient(self, n: int, rng: random.Random) -> list[dict]:
        pid = f"p{n:06d}"
        days = rng.randint(-365, 0)
        source = rng.choice(SOURCES)
        if rng.random() < self.breast_share:
            subtype = rng.choices(self.subtypes, self.weights)[0]
            items = _resources(rng.choice(self.templates[subtype]))
        else:
            female = rng.random() < 0.55
            items = [(None, {"resourceType": "Patient", "id": "background",
                             "gender": "female" if female else "male",
                             "birthDate": f"{rng.randint(1935, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"})]
        count = min(200, int(rng.expovariate(1 / 15)) + 3)     # background resources: mean ~18, long tail
        background = [rng.choice(self.background) for _ in range(count)]
        refs: dict[str, str] = {}
        new_ids: list[str] = []
        for index, (full_url, resource) in enumerate(items):
            rtype, rid = resource["resourceType"], resource.get("id")
            new_ids.append(pid if rtype == "Patient" else f"{rid or index}.{pid}")
            for old in filter(None, (full_url, rid and f"{rtype}/{rid}", rid and f"urn:uuid:{rid}")):
                refs[old] = f"{rtype}/{new_ids[-1]}"
        patient_ref = f"Patient/{pid}"
        out = []
        for index, (_, resource) in enumerate(items + [(None, r) for r in background]):
            if index < len(items):
                new_id = new_ids[index]
            else:                          # background: owned by this patient, its own id
                new_id = f"bg{index}.{pid}"
                resource = {k: v for k, v in resource.items()
                            if k not in ("encounter", "context", "result", "hasMember", "basedOn", "partOf")}
                for key in ("subject", "patient"):
                    if key in resource:
                        resource[key] = {"reference": patient_ref}
            copied = _rewrite(copy.deepcopy(resource), refs, days)
            copied["id"] = new_id
            copied["meta"] = {"lastUpdated": "2026-10-31T12:00:00Z", "source": source}
            if copied["resourceType"] not in ("Patient", "Medication"):
                for key in ("subject", "patient"):
                    ref = copied.get(key)
                    if isinstance(ref, dict) and isinstance(ref.get("reference"), str) and \
                            ref["reference"].startswith("urn:uuid:"):
                        copied[key] = {"reference": patient_ref}
            out.append(copied)
        return out


def write(population: Population, out: Path) -> Counter:
    """Write one NDJSON file per resource type and a Bulk-Data-shaped manifest; returns counts by type."""
    out.mkdir(parents=True, exist_ok=True)
    handles: dict[str, Any] = {}
    counts: Counter = Counter()
    try:
        for resources in population:
            for resource in resources:
                rtype = resource["resourceType"]
                if rtype not in EXPORT_TYPES:
                    continue
                if rtype not in handles:
                    handles[rtype] = (out / f"{rtype}.ndjson").open("w", encoding="utf-8")
                handles[rtype].write(json.dumps(resource, separators=(",", ":"), sort_keys=True) + "\n")
                counts[rtype] += 1
    finally:
        for handle in handles.values():
            handle.close()
    manifest = {"transactionTime": TRANSACTION_TIME, "request": f"synthetic population, seed {population.seed}",
                "requiresAccessToken": False, "error": [],
                "output": [{"type": t, "url": f"{t}.ndjson", "count": counts[t]} for t in sorted(counts)]}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--breast-share", type=float, default=0.15)
    args = parser.parse_args(argv)
    counts = write(Population(args.patients, args.seed, args.breast_share), args.out)
    size = sum(p.stat().st_size for p in args.out.glob("*.ndjson"))
    print(f"{args.patients} patients, {sum(counts.values())} resources ({dict(sorted(counts.items()))}), "
          f"{size / 1e6:.1f} MB in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
