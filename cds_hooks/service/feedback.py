"""Card feedback (CH §Feedback): validated, stored once, and free of patient data.

What is stored: service id, card uuid, outcome, accepted suggestion uuids, the override reason
Coding (system/code/display), the outcome timestamp, when we received it, and the calling
EHR's ``iss``. Card uuids are random per call, so nothing here links back to a patient.

Deliberately *not* stored: ``overrideReason.userComment``. It is free text typed in the EHR and
can hold names, findings or anything else about the patient; we record only that a comment was
given (``has_comment``), and never log it. Unknown members and ``extension`` are dropped for
the same reason.

Idempotent (checklist 1H.46): the same (service, card, outcome, outcomeTimestamp) is stored once,
however often the EHR resends it.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (Boolean, Column, DateTime, Integer, MetaData, String, Table, Text, UniqueConstraint,
                        create_engine, insert, select, text)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (ArgumentError, IntegrityError, InterfaceError, NoSuchModuleError, OperationalError,
                            SQLAlchemyError)

from .outcomes import ServiceError
from .schemas import first_error

log = logging.getLogger(__name__)

# Any constant shared by every instance: the PostgreSQL advisory lock that serialises schema creation.
_SCHEMA_LOCK_KEY = 0x52454350   # "RECP"

metadata = MetaData()

feedback_table = Table(
    "cds_feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service_id", String(128), nullable=False),
    Column("card_uuid", String(128), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("outcome_timestamp", String(64), nullable=False),
    Column("accepted_suggestions", Text, nullable=True),   # JSON array of suggestion uuids
    Column("override_system", String(256), nullable=True),
    Column("override_code", String(128), nullable=True),
    Column("override_display", String(256), nullable=True),
    Column("has_comment", Boolean, nullable=False, default=False),
    Column("client_iss", String(512), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("service_id", "card_uuid", "outcome", "outcome_timestamp", name="uq_feedback_once"),
)


def _parse_timestamp(value: str) -> datetime:
    """RFC 3339 §5.6 date-time (the schema checked the shape; this checks the calendar)."""
    try:
        return datetime.fromisoformat(value.replace("z", "Z").replace("t", "T").replace("Z", "+00:00"))
    except ValueError as exc:
        raise ServiceError(400, f"invalid feedback: outcomeTimestamp {value!r} is not an RFC 3339 date-time: {exc}")


class FeedbackStoreError(ValueError):
    """The feedback database cannot be used; raised at start-up with a message for the operator."""


def _shown(database_url: str) -> str:
    try:
        return make_url(database_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparseable URL)"


class FeedbackStore:
    """Feedback rows behind a SQLAlchemy URL (SQLite by default)."""

    def __init__(self, database_url: str) -> None:
        # A bad RECEPTOR_CDS_DATABASE_URL stops start-up with a sentence, not a SQLAlchemy traceback
        # (the CLI reports ValueErrors as configuration errors); the password is never shown.
        try:
            # pool_pre_ping: a connection dropped by a database restart is replaced, not handed to a request.
            self.engine: Engine = create_engine(database_url, future=True, pool_pre_ping=True)
            self._create_schema()
        except (ArgumentError, NoSuchModuleError) as exc:
            raise FeedbackStoreError(f"RECEPTOR_CDS_DATABASE_URL {_shown(database_url)} is not a usable "
                                     f"SQLAlchemy URL: {exc}") from None
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise FeedbackStoreError(f"cannot open the feedback database {_shown(database_url)} "
                                     f"(RECEPTOR_CDS_DATABASE_URL): {reason}") from None

    def _create_schema(self) -> None:
        """Create the table once, even when several instances start against one database at the same moment.

        ``CREATE TABLE`` after a "does it exist" check is not atomic: two PostgreSQL servers starting side by
        side both saw no table and the second failed start-up on the catalogue's unique index. A transaction-
        scoped advisory lock makes the check and the creation one step per database; SQLite's own write lock
        already does.
        """
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SCHEMA_LOCK_KEY})
            metadata.create_all(conn)

    def record(self, service_id: str, body: Any, client_iss: str | None) -> int:
        """Validate and store; returns how many entries were new. Raises ServiceError(400) when invalid."""
        if not isinstance(body, dict):
            raise ServiceError(400, "feedback body must be a JSON object with a 'feedback' array")
        problem = first_error("feedback", body)
        if problem:
            raise ServiceError(400, f"invalid feedback: {problem}")
        rows = []
        for item in body["feedback"]:
            _parse_timestamp(item["outcomeTimestamp"])
            reason = (item.get("overrideReason") or {}).get("reason") or {}
            accepted = [s["id"] for s in item.get("acceptedSuggestions") or []]
            rows.append({
                "service_id": service_id, "card_uuid": item["card"], "outcome": item["outcome"],
                "outcome_timestamp": item["outcomeTimestamp"],
                "accepted_suggestions": json.dumps(accepted) if accepted else None,
                "override_system": reason.get("system"), "override_code": reason.get("code"),
                "override_display": reason.get("display") or None,
                "has_comment": bool((item.get("overrideReason") or {}).get("userComment")),
                "client_iss": client_iss, "received_at": datetime.now(timezone.utc),
            })
        try:
            return self._insert_new(rows)
        except (OperationalError, InterfaceError) as exc:
            # The database is down or unreachable: nothing was stored; the EHR may resend (stored once).
            log.error("feedback not stored: database unavailable (%s)", type(exc.orig or exc).__name__)
            raise ServiceError(503, "feedback database unavailable; nothing was stored, send it again later",
                               code="transient") from None

    def _insert_new(self, rows: list[dict[str, Any]]) -> int:
        new = 0
        with self.engine.begin() as conn:
            for row in rows:
                exists = conn.execute(select(feedback_table.c.id).where(
                    feedback_table.c.service_id == row["service_id"], feedback_table.c.card_uuid == row["card_uuid"],
                    feedback_table.c.outcome == row["outcome"],
                    feedback_table.c.outcome_timestamp == row["outcome_timestamp"])).first()
                if exists:
                    continue
                try:
                    with conn.begin_nested():
                        conn.execute(insert(feedback_table).values(**row))
                    new += 1
                except IntegrityError:
                    pass   # a concurrent identical resend won the race: still stored exactly once
        return new

    def ping(self) -> None:
        """One cheap round trip (``SELECT 1``), for readiness checks; raises when the database is unreachable."""
        with self.engine.connect() as conn:
            conn.execute(select(1))

    def rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(feedback_table).order_by(feedback_table.c.id))]
