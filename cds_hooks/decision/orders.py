"""Order checks: the pitfalls a set of draft orders (CDS Hooks ``draftOrders``) would raise.

Parsing is lenient on purpose (issue 3): real clients omit ``Bundle.type`` and ``fullUrl``, send a
bare list, or reference the drug through a contained or sibling ``Medication``. An order we cannot
read is skipped (it cannot be judged), never a crash; an order whose code is not in our drug table
is unknown, not a conflict.

Drugs are matched by RxNorm at ingredient level through ``cds_hooks.knowledge.drugs`` (products and
brands roll up; no network). ``ServiceRequest`` drafts are not drug orders and are ignored: a pending
test order does not change what the current results say.

With ``selections`` (order-select) only the selected orders are judged, but every draft and every
active chart drug still counts as context (an endocrine draft selected next to a chemotherapy draft
is concurrent use, P11).
"""
from __future__ import annotations

from typing import Any, Iterable

from ..knowledge.drugs import classify_medication
from .config import DEFAULT_CONFIG, DecisionConfig
from .model import Alert, Assessment, MedicationUse
from .pitfalls import is_active_medication, medication_alerts

DRUG_ORDER_TYPES = ("MedicationRequest", "MedicationOrder", "MedicationStatement", "MedicationAdministration")


def _entries(orders: Any) -> list[tuple[str | None, dict]]:
    """Flatten what a client sent as draftOrders into (fullUrl, resource) pairs.

    The fullUrl is kept because an order may name its drug by another entry's fullUrl (``urn:uuid:...`` or an
    absolute URL; FHIR R4 Bundle, resolving references in Bundles)."""
    def entry(item: Any) -> list[tuple[str | None, Any]]:
        if not isinstance(item, dict):
            return []
        resource = item.get("resource")
        if isinstance(resource, dict) and isinstance(resource.get("entry"), list):
            return _entries(resource)        # a Bundle nested in an entry: its Medications may be referenced
        url = item.get("fullUrl")
        return [(url if isinstance(url, str) else None, resource)]

    pairs: list[tuple[str | None, Any]] = []
    if isinstance(orders, dict):
        if orders.get("resourceType") == "Bundle" or "entry" in orders:
            entries = orders.get("entry") if isinstance(orders.get("entry"), list) else []
            for item in entries:
                pairs.extend(entry(item))
        else:
            pairs = [(None, orders)]
    elif isinstance(orders, Iterable) and not isinstance(orders, (str, bytes)):
        for item in orders:
            if isinstance(item, dict) and (item.get("resourceType") == "Bundle" or "entry" in item):
                pairs.extend(_entries(item))
            elif isinstance(item, dict) and "resource" in item and "resourceType" not in item:
                pairs.extend(entry(item))
            else:
                pairs.append((None, item))
    return [(url, r) for url, r in pairs if isinstance(r, dict) and isinstance(r.get("resourceType"), str)]


def _resources(orders: Any) -> list[dict]:
    """The resources of what a client sent as draftOrders, in order."""
    return [resource for _, resource in _entries(orders)]


def _codings(concept: Any) -> list[dict]:
    if not isinstance(concept, dict):
        return []
    coding = concept.get("coding")
    return [c for c in coding if isinstance(c, dict)] if isinstance(coding, list) else []


def _medication_concept(order: dict, siblings: dict[str, dict]) -> dict | None:
    concept = order.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        return concept
    ref = order.get("medicationReference")
    target = ref.get("reference") if isinstance(ref, dict) else None
    if not isinstance(target, str):
        return None
    if target.startswith("#"):
        for contained in order.get("contained") or []:
            if isinstance(contained, dict) and contained.get("resourceType") == "Medication" \
                    and contained.get("id") == target[1:]:
                return contained.get("code")
        return None
    medication = siblings.get(target) or siblings.get(target.split("/_history")[0])
    return medication.get("code") if medication else None


def order_reference(order: dict) -> str:
    rid = order.get("id")
    return f"{order.get('resourceType')}/{rid}" if rid else f"{order.get('resourceType')}/(no id)"


def draft_medications(orders: Any) -> list[MedicationUse]:
    """Draft drug orders as MedicationUse facts (draft=True); unreadable ones are skipped."""
    entries = _entries(orders)
    resources = [resource for _, resource in entries]
    siblings = {f"Medication/{r.get('id')}": r for r in resources if r.get("resourceType") == "Medication"}
    siblings.update({url: r for url, r in entries if url and r.get("resourceType") == "Medication"})
    uses: list[MedicationUse] = []
    for order in resources:
        if order.get("resourceType") not in DRUG_ORDER_TYPES:
            continue
        concept = _medication_concept(order, siblings)
        classified = None
        code_text = None
        for coding in _codings(concept):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                code_text = code_text or f"{system}|{code}"
                classified = classify_medication(system, code)
                if classified:
                    code_text = f"{system}|{code}"
                    break
        display = None
        if isinstance(concept, dict):
            display = concept.get("text") or next((c.get("display") for c in _codings(concept) if c.get("display")), None)
        period = (order.get("dispenseRequest") or {}).get("validityPeriod") if isinstance(
            order.get("dispenseRequest"), dict) else None
        start = period.get("start") if isinstance(period, dict) else None
        end = period.get("end") if isinstance(period, dict) else None
        uses.append(MedicationUse(
            resource=order_reference(order),
            ingredient=classified[0] if classified else None,
            ingredient_rxcui=classified[1] if classified else None,
            drug_class=classified[2] if classified else None,
            status=str(order.get("status") or "draft"),
            code=code_text, display=display if isinstance(display, str) else None,
            start=start if isinstance(start, str) else None, end=end if isinstance(end, str) else None,
            draft=True,
        ))
    return uses


def check_orders(assessment: Assessment, orders: list[dict], selections: list[str] | None = None,
                 config: DecisionConfig = DEFAULT_CONFIG) -> list[Alert]:
    """Alerts the draft orders raise for this patient (order-conflict codes and P11/P14/P16/P20)."""
    drafts = draft_medications(orders)
    chart = [m for m in assessment.medications if not m.draft and is_active_medication(m)]
    context = [*chart, *drafts]
    focus = drafts
    if selections:
        # An empty list is treated like None (judge every draft): a client that sends order-sign with
        # "selections": [] must not silence the check. "MedicationRequest/103", possibly absolute or versioned: compare on "Type/id".
        wanted = {"/".join(s.split("/_history")[0].rstrip("/").split("/")[-2:]) for s in selections if isinstance(s, str)}
        focus = [d for d in drafts if d.resource in wanted]
    alerts: list[Alert] = []
    seen: set[tuple] = set()
    for draft in focus:
        for alert in medication_alerts(assessment, draft, context):
            key = (alert.code, alert.order, alert.title)
            if key not in seen:
                seen.add(key)
                alerts.append(alert)
    return alerts


__all__ = ["check_orders", "draft_medications"]
