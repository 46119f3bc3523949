"""Instances starting side by side on one new PostgreSQL database all open the feedback store.

Found by CI: two servers started together both saw no ``cds_feedback`` table, both created it, and the second
stopped at start-up on PostgreSQL's catalogue index ("duplicate key value violates unique constraint
pg_type_typname_nsp_index").
"""
from __future__ import annotations

import threading
import uuid

from sqlalchemy import create_engine, inspect, text

from cds_hooks.service.feedback import FeedbackStore


def _fresh_database(server) -> str:
    name = f"race_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server.url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return server.url().rsplit("/", 1)[0] + f"/{name}"


def test_eight_stores_opened_at_once_on_a_new_database_all_start(postgres_server):
    for _ in range(3):   # the race is a window, not a certainty: three fresh databases
        url = _fresh_database(postgres_server)
        barrier, errors, stores = threading.Barrier(8), [], []

        def open_store() -> None:
            barrier.wait(timeout=60)
            try:
                stores.append(FeedbackStore(url))
            except Exception as exc:   # noqa: BLE001 - collected and shown by the assertion
                errors.append(str(exc))

        threads = [threading.Thread(target=open_store) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert errors == [] and len(stores) == 8
        assert inspect(stores[0].engine).get_table_names() == ["cds_feedback"]
        for store in stores:
            store.engine.dispose()
