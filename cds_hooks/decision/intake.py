"""Resource intake: turn whatever the caller hands us into validated, indexed resources.

Why a separate step: one broken resource must never cost the rest of the patient's
record (issue 2: "a malformed or unexpected resource is a data-quality finding in the
output, never an exception"). Each resource of a type we read is validated with the
``fhir.resources`` R4B models (the package's default import is R5 and silently drops R4
data); a failure becomes a ``DataQualityNote`` naming the resource and the problem.

Accepted input (``assess`` documents this): an iterable of resource dicts; Bundles found
in it (a whole Bundle passed by mistake, or a search/prefetch Bundle among the resources)
are unpacked one level, so a caller who hands over ``bundle`` instead of its entries still
gets an honest answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from ..knowledge import codes
from .model import DataQualityNote
from .reads import RESOURCE_TYPES
from .verdicts import VERDICTS

# The resource types the readers use (the core's one declaration, ``reads``); others are kept for
# reference resolution only.
VALIDATED_TYPES = RESOURCE_TYPES

# b.1: entered-in-error/cancelled are dropped (and said so); registered/preliminary are kept
# as provisional, never the sole basis of a recommendation.
DROPPED_STATUSES = {"entered-in-error": "dropped-entered-in-error", "cancelled": "dropped-cancelled"}
PROVISIONAL_STATUSES = frozenset({"registered", "preliminary"})
FINAL_STATUSES = frozenset({"final", "amended", "corrected"})


@dataclass
class Intake:
    """The patient's usable resources, indexed, plus what could not be used."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    by_ref: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[DataQualityNote] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)     # refs of dropped resources
    full_urls: dict[str, str | None] = field(default_factory=dict)
    # (code, resource, message) of every note, so a repeated note is found in constant time: a record of
    # thousands of broken or foreign resources must not cost time quadratic in their number.
    _noted: set[tuple[str, str | None, str]] = field(default_factory=set, repr=False, compare=False)
    # id(Specimen resource) -> (collected, kind, site, side): a Specimen's reading, shared by all results on it. The
    # resources live as long as the intake, so their ids cannot be reused meanwhile.
    specimen_sites: dict[int, tuple[Any, Any, Any, Any]] = field(default_factory=dict, repr=False, compare=False)
    # Each Observation with the OBSERVATION_CODES entry of its code (``context.coded_observations``), built on the
    # first ask: five readers go over every Observation by that code.
    coded_observations: list[tuple[dict[str, Any], Any]] | None = field(default=None, repr=False, compare=False)

    # resourceType -> its resources in intake order, for ``of_type``, and the list (held, so compared by identity)
    # and length it was built from: rebuilt when ``resources`` is another list or has grown (take_in appends,
    # then may replace the list).
    _by_type: dict[str | None, list[dict[str, Any]]] = field(default_factory=dict, repr=False, compare=False)
    _indexed: tuple[Any, int] = field(default=(None, -1), repr=False, compare=False)

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        """The resources of these types, in intake order (a new list). Indexed once: the readers ask a dozen
        times per assessment, and a whole-record Synthea intake holds about 3,000 resources."""
        indexed, length = self._indexed
        if indexed is not self.resources or length != len(self.resources):
            self._by_type = {}
            for resource in self.resources:
                rtype = resource.get("resourceType")
                self._by_type.setdefault(rtype if isinstance(rtype, str) else None, []).append(resource)
            self._indexed = (self.resources, len(self.resources))
        if len(types) == 1:
            return list(self._by_type.get(types[0], ()))
        return [r for r in self.resources if r.get("resourceType") in types]

    def resolve(self, reference: Any) -> dict[str, Any] | None:
        """The resource a Reference points to, if it is among the given resources."""
        if isinstance(reference, dict):
            reference = reference.get("reference")
        if not isinstance(reference, str) or not reference:
            return None
        ref = reference.strip()
        if ref in self.by_ref:
            return self.by_ref[ref]
        # Absolute URLs: match on the trailing Type/id.
        parts = ref.rstrip("/").split("/")
        if len(parts) >= 2:
            tail = "/".join(parts[-2:])
            if tail in self.by_ref:
                return self.by_ref[tail]
            if len(parts) >= 4 and parts[-2] == "_history":
                return self.by_ref.get("/".join(parts[-4:-2]))
        return None

    def note(self, code: str, message: str, resource: str | None = None) -> None:
        key = (code, resource, message)
        if key not in self._noted:
            self._noted.add(key)
            self.notes.append(DataQualityNote(code=code, message=message, resource=resource))


def ref_of(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType', '?')}/{resource.get('id', '?')}"


def _flatten(items: Any, intake: Intake, depth: int = 0) -> list[Any]:
    if isinstance(items, dict):
        items = [items]
    flat: list[Any] = []
    if isinstance(items, (str, bytes)):
        intake.note("invalid-input", "resources must be a list of FHIR resources, got text")
        return flat
    try:
        iterator = iter(items)
    except TypeError:
        intake.note("invalid-input", f"resources must be a list of FHIR resources, got {type(items).__name__}")
        return flat
    for item in iterator:
        if isinstance(item, dict) and item.get("resourceType") == "Bundle" and depth < 2:
            entries = item.get("entry")
            if not isinstance(entries, list):
                continue
            for entry in entries:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                if isinstance(resource, dict) and resource.get("resourceType") == "Bundle":
                    flat.extend(_flatten(resource, intake, depth + 1))     # e.g. a batch of searchsets
                elif isinstance(resource, dict):
                    if "id" not in resource and isinstance(entry.get("fullUrl"), str):
                        resource = {**resource, "id": entry["fullUrl"].rsplit(":", 1)[-1].rsplit("/", 1)[-1]}
                    flat.append((resource, entry.get("fullUrl")))
                else:
                    intake.note("invalid-resource", "a Bundle entry without a resource was skipped")
        else:
            flat.append((item, None))
    return flat


def _validate(resource: dict[str, Any]) -> str | None:
    """None when the R4B model accepts the resource, else a short description of the problem.

    The verdict depends on the resource's content only, so it is remembered by content (``verdicts``):
    a resent history is validated once, by the same models, and never judged by anything else."""
    return VERDICTS.checked("fhir-r4b", resource, _validate_in_full)


def load_validators() -> None:
    """Import the R4B model of every validated type now rather than on the first call that needs it.

    For servers: done before the workers start (and before ``gc.freeze()``), the models are built once,
    shared by the forked workers, and never walked by the garbage collector again."""
    for rtype in VALIDATED_TYPES:
        get_fhir_model_class(rtype)


def _validate_in_full(resource: dict[str, Any]) -> str | None:
    model = get_fhir_model_class(resource["resourceType"])
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        problems = []
        for err in exc.errors()[:3]:
            where = ".".join(str(p) for p in err.get("loc", ()))
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        more = "" if exc.error_count() <= 3 else f" (+{exc.error_count() - 3} more)"
        return "; ".join(problems) + more
    except (ValueError, TypeError) as exc:   # the models raise these for some malformed primitives
        return str(exc)[:200]
    return None


def _plain_codings(concept: Any) -> list[tuple[str, str]] | None:
    """(system, code) pairs of a well-formed CodeableConcept; None when its shape is not plain."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding", []), list):
        return None
    pairs = []
    for coding in concept.get("coding", []):
        if not isinstance(coding, dict) or not isinstance(coding.get("system"), str) or not isinstance(coding.get("code"), str):
            return None
        pairs.append((coding["system"], coding["code"].strip()))
    return pairs


def _codes_we_read(pairs: list[tuple[str, str]], table: dict) -> bool:
    """Whether a reader uses one of these codes, or reports it as invalid for its system."""
    for system, code in pairs:
        if (system, code) in table or (system, code) in codes.KNOWN_WRONG_SYSTEM:
            return True
        if system in (codes.LNC, codes.SCT) and not codes.code_fits_system(system, code):
            return True
    return False


def _never_read(resource: dict[str, Any]) -> bool:
    """True only when a resource is positively one the readers ignore (e.g. a vital sign, a dental
    procedure), so validating it would cost time and change nothing: on a whole Synthea record that is
    most of the 1,300 Observations. Anything whose code we cannot read plainly is validated."""
    rtype = resource.get("resourceType")
    if rtype not in ("Observation", "Procedure"):
        return False
    pairs = _plain_codings(resource.get("code"))
    if not pairs:
        return False
    if rtype == "Procedure":
        return not _codes_we_read(pairs, codes.PROCEDURE_CODES)
    if _codes_we_read(pairs, codes.OBSERVATION_CODES):
        return False
    components = resource.get("component", [])
    if not isinstance(components, list):
        return False
    for component in components:
        inner = _plain_codings(component.get("code")) if isinstance(component, dict) else None
        if inner is None or _codes_we_read(inner, codes.COMPONENT_CODES):
            return False
    return True


def take_in(resources: Iterable[dict[str, Any]] | dict[str, Any]) -> Intake:
    """Validate and index one patient's resources; never raises on bad data."""
    intake = Intake()
    for position, (resource, full_url) in enumerate(_flatten(resources, intake)):
        if not isinstance(resource, dict):
            intake.note("invalid-resource", f"item {position} is not a FHIR resource (got {type(resource).__name__})")
            continue
        rtype = resource.get("resourceType")
        if not isinstance(rtype, str) or not rtype:
            intake.note("invalid-resource", f"item {position} has no resourceType")
            continue
        rid = resource.get("id")
        if not isinstance(rid, str) or not rid:
            resource = {**resource, "id": f"item-{position}"}
        ref = ref_of(resource)
        if intake.by_ref.get(ref) == resource:
            continue     # the same resource twice (two searches whose results overlap): read it once
        if rtype in VALIDATED_TYPES and not _never_read(resource):
            problem = _validate(resource)
            if problem is not None:
                intake.note("invalid-resource", f"{ref} does not conform to FHIR R4 and was not used: {problem}", ref)
                intake.dropped.add(ref)
                continue
        status = resource.get("status") if isinstance(resource.get("status"), str) else None
        if rtype in ("Observation", "DiagnosticReport", "MedicationRequest", "MedicationStatement",
                     "MedicationAdministration", "Procedure") and status in DROPPED_STATUSES:
            intake.note(DROPPED_STATUSES[status], f"{ref} has status '{status}' and was not used", ref)
            intake.dropped.add(ref)
            continue
        if rtype == "Condition" and _coded(resource.get("verificationStatus")) & {"entered-in-error", "refuted"}:
            intake.note("dropped-entered-in-error", f"{ref} is entered-in-error or refuted and was not used", ref)
            intake.dropped.add(ref)
            continue
        intake.resources.append(resource)
        intake.full_urls[ref] = full_url if isinstance(full_url, str) else None
        intake.by_ref.setdefault(ref, resource)
        intake.by_ref.setdefault(f"urn:uuid:{resource['id']}", resource)
        if isinstance(full_url, str):
            intake.by_ref.setdefault(full_url, resource)
    _drop_other_patients(intake)
    return intake


def _drop_other_patients(intake: Intake) -> None:
    """Resources about another patient than the one Patient given are dropped (never mixed into a card)."""
    patients = [r for r in intake.resources if r.get("resourceType") == "Patient"]
    if len(patients) != 1:
        return
    me = patients[0]
    mine = {f"Patient/{me['id']}", f"urn:uuid:{me['id']}"}
    if intake.full_urls.get(ref_of(me)):
        mine.add(intake.full_urls[ref_of(me)])
    kept, foreign = [], []
    for resource in intake.resources:
        target = None
        for key in ("subject", "patient"):
            value = resource.get(key)
            if isinstance(value, dict) and isinstance(value.get("reference"), str):
                # A version-specific reference (FHIR R4 §2.3.0 References: "Patient/123/_history/2") names
                # the same patient as "Patient/123": the version is cut off before comparing.
                target = value["reference"].strip().split("/_history/", 1)[0]
                break
        if target is None or target in mine or not ("Patient/" in target or target.startswith("urn:uuid:")):
            kept.append(resource)
            continue
        tail = "/".join(target.rstrip("/").split("/")[-2:])
        if tail in mine:
            kept.append(resource)
            continue
        ref = ref_of(resource)
        intake.note("other-patient", f"{ref} is about {target}, not Patient/{me['id']}; not used", ref)
        intake.dropped.add(ref)
        foreign.append(resource)
    if foreign:                     # one pass over the index, whatever the number of foreign resources
        gone = {id(r) for r in foreign}
        intake.by_ref = {k: v for k, v in intake.by_ref.items() if id(v) not in gone}
    intake.resources = kept


def _coded(concept: Any) -> set[str]:
    if not isinstance(concept, dict):
        return set()
    coding = concept.get("coding")   # R4B models accept "coding": null, so check the type here
    if not isinstance(coding, list):
        return set()
    return {c.get("code") for c in coding if isinstance(c, dict) and isinstance(c.get("code"), str)}
