"""The population audit: every breast-cancer patient of a FHIR server, through Bulk Data, on Dask.

``receptor-cds audit`` (``command.py``) exports the data (``cds_hooks.bulk``) or reads an export already on
disk, then runs a thin pipeline on ``dask.distributed`` (``pipeline.py``): read the NDJSON in partitions, key
each resource by its patient, shuffle (P2P) so one patient's resources meet in one partition, assess each patient
once with the decision core (``partitions.py``), and turn the assessment into a worklist row through the CDS
service's own card builder (``rows.py``), so a row says what the patient-view cards say. The client writes
``worklist.ndjson``, ``worklist.csv`` and ``report.html`` (``outputs.py``, ``report.py``).

May import: ``cds_hooks`` (decision, knowledge, service.cards, bulk, fhir_client), ``dask`` (bag, dataframe),
``distributed``, ``tqdm``, the standard library. Nothing in ``cds_hooks`` imports this package.
"""
