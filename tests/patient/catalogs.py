"""The patient page's message catalogs: what they must hold, and how to rebuild them.

Every sentence the page can show is a gettext message: the statements of the patient-content table
(``cds_hooks/knowledge/patient_content.py``), the ``_()`` strings of ``app/patient`` and its
templates. ``expected_catalog()`` extracts them with Babel; the tests compare it with the committed
template (``messages.pot``), the English catalog (``en/.../receptor_patient.po``) and its compiled
form (``.mo``, committed so a non-editable install has it). After changing any sentence run::

    python -m tests.patient.catalogs

which rewrites the template, the English catalog (English first: every msgstr is its msgid) and
the compiled catalog. A translator copies the template to ``<lang>/LC_MESSAGES/receptor_patient.po``.
"""
from __future__ import annotations

from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from cds_hooks.knowledge.patient_content import PATIENT_STATEMENTS_TABLE

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "app" / "patient"
LOCALE = PACKAGE / "locale"
DOMAIN = "receptor_patient"
POT = LOCALE / f"{DOMAIN}.pot"
EN_PO = LOCALE / "en" / "LC_MESSAGES" / f"{DOMAIN}.po"
EN_MO = LOCALE / "en" / "LC_MESSAGES" / f"{DOMAIN}.mo"
# Fixed header dates: the compiled catalog must be byte-for-byte reproducible.
FIXED = {"creation_date": datetime(2026, 1, 1, tzinfo=timezone.utc),
         "revision_date": datetime(2026, 1, 1, tzinfo=timezone.utc)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true"}}


def expected_catalog(locale: str | None = None) -> Catalog:
    """Every message of the page, from the statements table, the package's code and its templates."""
    catalog = Catalog(locale=locale, domain=DOMAIN, project="receptor-cds", fuzzy=False, **FIXED)
    for s in PATIENT_STATEMENTS_TABLE:
        catalog.add(s.text, auto_comments=[f"statement {s.id}; sources: {', '.join(s.sources)}"],
                    flags=("python-brace-format",) if "{" in s.text else ())
    for filename, lineno, message, comments, _context in extract_from_dir(
            str(PACKAGE), method_map=METHODS, options_map=OPTIONS):
        if isinstance(message, tuple):          # plural forms are not used by the page
            message = message[0]
        catalog.add(message, locations=[(f"app/patient/{filename}", lineno)], auto_comments=comments)
    return catalog


def english(catalog: Catalog) -> Catalog:
    """English first: the English catalog translates every message to itself."""
    en = Catalog(locale="en", domain=DOMAIN, project="receptor-cds", fuzzy=False, **FIXED)
    for message in catalog:
        if message.id:
            en.add(message.id, message.id, locations=message.locations, auto_comments=message.auto_comments,
                   flags=message.flags)
    return en


def po_bytes(catalog: Catalog) -> bytes:
    out = BytesIO()
    write_po(out, catalog, omit_header=True, sort_output=True, width=100)
    return out.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    out = BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def read_catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain=DOMAIN)


def main() -> None:
    catalog = expected_catalog()
    EN_PO.parent.mkdir(parents=True, exist_ok=True)
    POT.write_bytes(po_bytes(catalog))
    en = english(catalog)
    EN_PO.write_bytes(po_bytes(en))
    EN_MO.write_bytes(mo_bytes(en))
    print(f"{len([m for m in catalog if m.id])} messages -> {POT.relative_to(ROOT)}, {EN_PO.relative_to(ROOT)}, "
          f"{EN_MO.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
