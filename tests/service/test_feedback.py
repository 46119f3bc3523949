"""Feedback endpoint (CH §Feedback; checklist 1H)."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import create_engine, select

from cds_hooks.service.feedback import feedback_table

PATH = "/cds-services/receptor-assessment/feedback"
CARD = "9b0f4b2e-8d1c-4a5e-9f7e-0d3c2b1a0f99"
ACCEPTED = {"card": CARD, "outcome": "accepted", "acceptedSuggestions": [{"id": "s-1"}],
            "outcomeTimestamp": "2026-11-01T10:15:00Z"}
# Like the sandbox's dismissal: reason as code/system only, no display (checklist 1K).
OVERRIDDEN = {"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-11-01T10:16:00.123+01:00",
              "overrideReason": {"reason": {"system": "urn:receptor-cds:override-reason", "code": "chart-outdated"},
                                 "userComment": "Jane Doe MRN 12345 had a repeat biopsy"}}


def _rows(cds):
    return cds.app.blueprints["cds_hooks"].feedback_store.rows()


def test_valid_feedback_is_stored_and_answered_with_an_empty_200(cds):
    """Accepted and overridden feedback return 200 with an empty body and are stored."""
    response = cds.post(PATH, {"feedback": [ACCEPTED, OVERRIDDEN]})
    assert response.status_code == 200 and response.data == b""
    rows = _rows(cds)
    assert [(r["outcome"], r["card_uuid"]) for r in rows] == [("accepted", CARD), ("overridden", CARD)]
    assert rows[0]["accepted_suggestions"] == '["s-1"]'
    assert (rows[1]["override_code"], rows[1]["override_display"]) == ("chart-outdated", None)
    assert rows[1]["client_iss"] == "https://sandbox.cds-hooks.test"


def test_repeated_feedback_is_stored_once(cds):
    """The same card, outcome and timestamp sent three times is one row (idempotent)."""
    for _ in range(3):
        assert cds.post(PATH, {"feedback": [ACCEPTED]}).status_code == 200
    assert len(_rows(cds)) == 1


def test_free_text_comment_is_neither_stored_nor_logged(cds, caplog):
    """userComment can hold patient data: only the fact that one was given is kept, and it never reaches the log."""
    with caplog.at_level(logging.DEBUG):
        cds.post(PATH, {"feedback": [OVERRIDDEN]})
    row = _rows(cds)[0]
    assert row["has_comment"] is True
    assert "Jane Doe" not in " ".join(str(v) for v in row.values())
    assert "Jane Doe" not in caplog.text


def test_feedback_table_has_no_column_for_patient_data():
    """The store's schema holds card and outcome facts only (no patient, user or comment columns)."""
    assert set(feedback_table.c.keys()) == {
        "id", "service_id", "card_uuid", "outcome", "outcome_timestamp", "accepted_suggestions", "override_system",
        "override_code", "override_display", "has_comment", "client_iss", "received_at"}


INVALID = {
    "no feedback array": {"cards": []},
    "empty feedback array": {"feedback": []},
    "accepted without acceptedSuggestions": {"feedback": [{**ACCEPTED, "acceptedSuggestions": None}]},
    "unknown outcome": {"feedback": [{**ACCEPTED, "outcome": "ignored"}]},
    "missing card": {"feedback": [{k: v for k, v in ACCEPTED.items() if k != "card"}]},
    "timestamp without zone": {"feedback": [{**ACCEPTED, "outcomeTimestamp": "2026-11-01T10:15:00"}]},
    "timestamp not a date": {"feedback": [{**ACCEPTED, "outcomeTimestamp": "2026-13-45T10:15:00Z"}]},
    "reason without code": {"feedback": [{**OVERRIDDEN, "overrideReason": {"reason": {"system": "x"}}}]},
    "card id longer than its column": {"feedback": [{**ACCEPTED, "card": "c" * 129}]},
    "reason code longer than its column": {"feedback": [{**OVERRIDDEN, "overrideReason": {"reason": {
        "system": "urn:x", "code": "c" * 129}}}]},
    "timestamp with endless fraction": {"feedback": [{**ACCEPTED, "outcomeTimestamp": "2026-11-01T10:15:00." + "1" * 80 + "Z"}]},
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_feedback_is_a_400_with_a_specific_message(cds, case):
    """Malformed feedback is refused with an OperationOutcome naming the problem, and nothing is stored."""
    body = INVALID[case]
    body = {"feedback": [{k: v for k, v in i.items() if v is not None} for i in body["feedback"]]} \
        if "feedback" in body else body
    response = cds.post(PATH, body)
    assert response.status_code == 400
    assert "invalid feedback" in response.get_json()["issue"][0]["diagnostics"]
    assert _rows(cds) == []


def test_feedback_for_unknown_service_is_404(cds):
    """Feedback names a service; an unknown one is a 404."""
    assert cds.post("/cds-services/nope/feedback", {"feedback": [ACCEPTED]}).status_code == 404


def test_feedback_needs_a_token_with_the_feedback_audience(cds, signer):
    """A token minted for the service URL is not good for its feedback URL."""
    token = signer.sandbox("/cds-services/receptor-assessment")
    assert cds.post(PATH, {"feedback": [ACCEPTED]}, token=token).status_code == 401


def test_feedback_store_survives_a_restart(make_cds):
    """Rows are in the configured database, not in memory: a new app on the same URL sees them."""
    first = make_cds()
    first.post(PATH, {"feedback": [ACCEPTED]})
    second = make_cds()
    assert len(_rows(second)) == 1
    second.post(PATH, {"feedback": [ACCEPTED]})
    assert len(_rows(second)) == 1


@pytest.mark.parametrize("url,expected", [
    ("nosuch://x", "not a usable SQLAlchemy URL"),
    ("sqlite:////nonexistent-dir/feedback.sqlite", "cannot open the feedback database"),
    ("not a url at all", "not a usable SQLAlchemy URL"),
])
def test_unusable_database_url_stops_start_up_with_a_sentence(url, expected):
    """A bad RECEPTOR_CDS_DATABASE_URL is a ValueError naming the setting (the CLI prints it and exits), not a traceback."""
    from cds_hooks.service.feedback import FeedbackStore, FeedbackStoreError
    with pytest.raises(FeedbackStoreError, match=expected) as info:
        FeedbackStore(url)
    assert "RECEPTOR_CDS_DATABASE_URL" in str(info.value)


def test_database_password_is_not_shown_in_the_error():
    """The message names the database without its password."""
    from cds_hooks.service.feedback import FeedbackStore, FeedbackStoreError
    with pytest.raises(FeedbackStoreError) as info:
        FeedbackStore("nosuch://user:s3cret-pw@db.example/feedback")
    assert "s3cret-pw" not in str(info.value)
