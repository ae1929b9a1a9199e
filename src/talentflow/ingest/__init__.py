"""Ingest: conference files → `papers`, `authorships`, `paper_affiliations`, `quarantine`, `datasets` tables."""
