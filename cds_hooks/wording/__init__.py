"""How the product says things to a clinician: values as measured, dates, specimens, statuses, settings.

Pure functions over the decision core's model (``cds_hooks.decision.model``) and the knowledge
tables; no Flask, no network. The CDS cards (``cds_hooks.service.cards``) and the SMART page
(``app.smart``) both render through here, so a value reads the same on a card and on the page:
``<1%`` stays ``<1%``, a ratio reported as "less than 1.8" stays ``< 1.8``, a date is a date,
a specimen is "left breast", never an enum value or a SNOMED display with its semantic tag.

May import: ``cds_hooks.decision.model``, ``cds_hooks.knowledge``. Nothing imports it from below.
"""
from .display import (
    analyte_text,
    data_quality_items,
    event_kind_text,
    date_text,
    finding_specimen_text,
    finding_value_text,
    her2_expression_text,
    her2_status_text,
    ish_text,
    option_status_text,
    receptor_status_text,
    result_specimen_text,
    result_value_text,
    setting_text,
    site_text,
    sources_for_patient,
    specimen_text,
    status_text,
    orderable_test_text,
)
from .grouping import AlertGroup, group_alerts

__all__ = [
    "AlertGroup", "analyte_text", "data_quality_items", "date_text", "event_kind_text", "finding_specimen_text",
    "finding_value_text", "group_alerts", "her2_expression_text", "her2_status_text", "ish_text",
    "option_status_text", "orderable_test_text", "receptor_status_text", "result_specimen_text",
    "result_value_text", "setting_text", "site_text", "sources_for_patient",
    "specimen_text", "status_text",
]
