"""RECEPTOR_CDS_REGION reaches the decision core (issue 13 section 4: atezolizumab has no US indication)."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from app.config import Settings
from cds_hooks.decision import DecisionConfig, assess

CASE = Path(__file__).resolve().parents[1] / "fixtures" / "cases" / "atezolizumab-listed-outside-the-us-without-cps.json"


def test_region_is_read_from_the_environment():
    settings = Settings.from_env({"RECEPTOR_CDS_PUBLIC_URL": "https://cds.example.org", "RECEPTOR_CDS_REGION": " us "})
    assert settings.region == "US"
    assert Settings.from_env({"RECEPTOR_CDS_PUBLIC_URL": "https://cds.example.org"}).region == ""


def test_us_region_leaves_out_atezolizumab():
    case = json.loads(CASE.read_text(encoding="utf-8"))
    resources = [e["resource"] for e in case["bundle"]["entry"]]
    today = date.fromisoformat(case["today"])
    anywhere = {o.id for o in assess(resources, DecisionConfig(today=today)).options}
    us = {o.id for o in assess(resources, DecisionConfig(today=today, region="US")).options}
    assert "met-tnbc-atezolizumab" in anywhere and "met-tnbc-atezolizumab" not in us
