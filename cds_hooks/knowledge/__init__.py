"""Clinical knowledge as reviewable data: drugs, sources, options, pitfalls.

Kept apart from control flow so a clinician can review the tables without reading the rules.
``KNOWLEDGE_VERSION`` names the state of these tables; it travels in every Assessment and card,
so a decision can always be traced to the knowledge it was made with. Bump it on any change to
a table (format YEAR.MONTH.N).
"""

KNOWLEDGE_VERSION = "2026.11.8"

__all__ = ["KNOWLEDGE_VERSION"]
