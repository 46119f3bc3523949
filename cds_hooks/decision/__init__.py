"""The pure decision core: FHIR resources in, an ``Assessment`` out. No Flask, no network.

Public API:
- ``assess(resources, config=DEFAULT_CONFIG) -> Assessment``: read ER/PR/HER2 and context
  from one patient's FHIR R4 resources (dicts), classify, list options, raise pitfalls.
- ``check_orders(assessment, orders, selections=None, config=DEFAULT_CONFIG) -> list[Alert]``:
  the pitfalls a set of draft orders (CDS Hooks ``draftOrders``) would raise for that patient.
"""
from .config import DEFAULT_CONFIG, DecisionConfig
from .model import (
    Alert,
    Assessment,
    Biomarker,
    ClinicalEvent,
    DataQualityNote,
    Her2Finding,
    MedicationUse,
    Option,
    ReceptorFinding,
    ReceptorResult,
    SettingFinding,
    SourceRef,
)

__all__ = [
    "DEFAULT_CONFIG", "DecisionConfig", "Alert", "Assessment", "Biomarker", "ClinicalEvent",
    "DataQualityNote", "Her2Finding", "MedicationUse", "Option", "ReceptorFinding",
    "ReceptorResult", "SettingFinding", "SourceRef", "assess", "check_orders",
]


def __getattr__(name: str):
    # Imported lazily so the model can be used while the rule modules load their tables.
    if name == "assess":
        from .assess import assess
        return assess
    if name == "check_orders":
        from .orders import check_orders
        return check_orders
    raise AttributeError(name)
