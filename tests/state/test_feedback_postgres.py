"""Feedback on a real PostgreSQL (RECEPTOR_CDS_DATABASE_URL=postgresql+psycopg://...): the table is created at
start-up, resends are stored once, and a database that goes away is a 503 (nothing stored), never a 500."""
from __future__ import annotations

import uuid

import pytest

from cds_hooks.service.feedback import FeedbackStore
from cds_hooks.service.outcomes import ServiceError

from .servers import PostgresServer


def _feedback(card: str) -> dict:
    return {"feedback": [{"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-28T10:00:00Z",
                          "overrideReason": {"reason": {"system": "http://example.org/r", "code": "x",
                                                        "display": "X"}, "userComment": "free text"}}]}


def test_table_created_at_start_up_resends_stored_once_and_an_outage_is_a_503():
    server = PostgresServer()
    try:
        store = FeedbackStore(server.url())           # creates cds_feedback in an empty database
        store.ping()
        card = str(uuid.uuid4())
        assert store.record("receptor-assessment", _feedback(card), "https://ehr") == 1
        assert store.record("receptor-assessment", _feedback(card), "https://ehr") == 0
        rows = store.rows()
        assert [(r["card_uuid"], r["has_comment"]) for r in rows] == [(card, True)]
        assert "userComment" not in str(rows) and "free text" not in str(rows)
        FeedbackStore(server.url())                   # a second start-up finds the table and keeps the rows
        assert len(store.rows()) == 1
    finally:
        server.stop()
    with pytest.raises(ServiceError) as caught:
        store.record("receptor-assessment", _feedback(str(uuid.uuid4())), "https://ehr")
    assert caught.value.status == 503
    with pytest.raises(Exception):
        store.ping()
