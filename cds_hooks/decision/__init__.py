"""The pure decision core: FHIR resources in, an ``Assessment`` out. No Flask, no network.

Public API:
- ``assess(resources, config=DEFAULT_CONFIG) -> Assessment``: read ER/PR/HER2 and context
  from one patient's FHIR R4 resources (dicts), classify, list options, raise pitfalls.
- ``check_orders(assessment, orders, selections=None, config=DEFAULT_CONFIG) -> list[Alert]``:
  the pitfalls a set of draft orders (CDS Hooks ``draftOrders``) would raise for that patient.
"""
from .assess import assess
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
from .orders import check_orders

__all__ = [
    "DEFAULT_CONFIG", "DecisionConfig", "Alert", "Assessment", "Biomarker", "ClinicalEvent",
    "DataQualityNote", "Her2Finding", "MedicationUse", "Option", "ReceptorFinding",
    "ReceptorResult", "SettingFinding", "SourceRef", "assess", "check_orders",
]

