"""Regenerate ``source_shingles.json``: hashed 8-word runs of the seeds and of the reference's wording.

Why a hash file and not the texts: the product's text must be in our own words ("facts may be taken
from the seeds; their sentences may not", issue 2 / team brief), and tests must never read
``../shared`` at run time. So a developer re-runs this script by hand whenever the seeds or the
reference change; it READS /work/shared/seeds/*.txt and /work/shared/reference/clinical-knowledge.md
(paths can be given as arguments) and writes only hashes (sha1 of the normalised 8-word run,
first 10 hex digits) next to itself. ``tests/decision/test_own_words.py`` compares the product's
strings against them.

What is taken from the reference: its quotations in sections b-d (guideline and label wording) and
the "Alert text / action" column of the pitfall table (section d). Section a's quotes are code
displays (LOINC long names), which the product must keep verbatim, so they are left out.

Usage:  python tests/decision/data/make_shingles.py [SEEDS_DIR] [REFERENCE_MD]
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

N = 8
HEX = 10
HERE = Path(__file__).resolve().parent
OUT = HERE / "source_shingles.json"


def normalise(text: str) -> list[str]:
    """Lower-case words with punctuation removed (the same rule the test applies to product text)."""
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).split()


def shingle_hashes(text: str) -> set[str]:
    words = normalise(text)
    return {hashlib.sha1(" ".join(words[i:i + N]).encode()).hexdigest()[:HEX] for i in range(len(words) - N + 1)}


def reference_parts(markdown: str) -> dict[str, str]:
    start = markdown.find("## (b)")
    body = markdown[start:] if start >= 0 else markdown
    quotes = re.findall(r'"([^"\n]+)"|“([^”\n]+)”', body)
    quoted = "\n".join(a or b for a, b in quotes)
    alert_cells = []
    section_d = markdown[markdown.find("## (d)"):] if "## (d)" in markdown else ""
    for line in section_d.splitlines():
        if re.match(r"\|\s*P\d+\s*\|", line):
            cells = line.split("|")
            if len(cells) >= 6:
                alert_cells.append(cells[4])
    return {"reference-quotes": quoted, "reference-alert-text": "\n".join(alert_cells)}


def main(argv: list[str]) -> None:
    seeds_dir = Path(argv[1]) if len(argv) > 1 else Path("/work/shared/seeds")
    reference = Path(argv[2]) if len(argv) > 2 else Path("/work/shared/reference/clinical-knowledge.md")
    sets: dict[str, list[str]] = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        sets[f"seed-{path.name[:3]}"] = sorted(shingle_hashes(path.read_text(encoding="utf-8")))
    if not sets:
        raise SystemExit(f"no seeds found in {seeds_dir}")
    for name, text in reference_parts(reference.read_text(encoding="utf-8")).items():
        if not text.strip():
            raise SystemExit(f"{name}: nothing extracted from {reference}")
        sets[name] = sorted(shingle_hashes(text))
    data = {"n": N, "hash": f"sha1[:{HEX}] of the normalised {N}-word run", "generator": Path(__file__).name,
            "sets": {name: " ".join(hashes) for name, hashes in sets.items()}}
    OUT.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({', '.join(f'{k}: {len(v)}' for k, v in sets.items())})")


if __name__ == "__main__":
    main(sys.argv)
