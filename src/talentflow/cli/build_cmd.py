"""`talentflow build` and `talentflow export` (filled in with the ingest stage)."""
