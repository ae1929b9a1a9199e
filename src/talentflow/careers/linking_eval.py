"""Measuring person linking on ids the linker never sees (tools/eval_linking.py writes the figures into
docs/linking.md).

Masked profile ids: on a copy of a built database, the OpenReview ids of every authorship up to a cut year are
hidden (`person_id` and the raw author id set to NULL), the linker runs as in a build, and its `person_links`
are compared with the hidden ids. The masked authorships then stand where NeurIPS 2019 stands in the real data:
id-less records to be linked to each other and to the profiles of later, id-bearing years.

Scores are over pairs of authorships that both carry a known id, at least one of them masked (pairs of two
visible authorships are decided by their ids and say nothing about the linker): a pair is a true match when the
ids agree, predicted when the person keys agree. Every score is reported for two halves of the names — a hash of
the normalised name — so that choices made while looking at one half can be checked on the other; a pair whose
two names fall in different halves (a person under two names) is left out of both.

Independent ids: ICRA/IROS authorships carry IEEE Xplore author ids, ACL/EMNLP/NAACL/COLING ones ACL Anthology
person ids. The linker reads neither, so they check the built links directly, in venues and years without
OpenReview. IEEE gives one person several ids often enough (Ning Xi, Masayuki Inaba…) that pairs it calls
different are not reliable: IEEE ids measure recall only.
"""

from __future__ import annotations

from .linking import name_norm_sql

HALF = "(('0x' || left(md5({}), 8))::BIGINT % 2)"
INDEPENDENT = {
    "ieee": "a.venue IN ('icra', 'iros') AND regexp_matches(a.authorid_raw, '^/[0-9]+$')",
    "acl_anthology": "a.venue IN ('acl', 'emnlp', 'naacl', 'coling') AND regexp_matches(a.authorid_raw, '^/[a-z]/.+/$')",
}


def mask_profile_ids(engine, last_year: int) -> dict:
    """Hide the profile ids of every authorship in a year ≤ last_year; the truth goes to `_lk_truth`."""
    nn = name_norm_sql("author_name", engine.dialect)
    engine.execute(f"""CREATE OR REPLACE TABLE _lk_truth AS
        SELECT venue, year, paper_id, author_order, person_id AS truth_id, year <= ? AS masked, {nn} AS name_norm,
               {HALF.format(nn)} AS half
        FROM authorships WHERE person_id IS NOT NULL""", [last_year])
    engine.execute("""UPDATE authorships SET person_id = NULL,
                          authorid_raw = CASE WHEN starts_with(authorid_raw, '~') THEN NULL ELSE authorid_raw END
                      WHERE year <= ? AND person_id IS NOT NULL""", [last_year])
    return dict(zip(("ids", "masked", "profiles_masked"), engine.query(
        "SELECT count(*), count(*) FILTER (masked), count(DISTINCT truth_id) FILTER (masked) FROM _lk_truth")[0]))


def _pair_counts(engine, where: str, by: str) -> tuple[int, int, int]:
    """(truth-same, predicted-same, both) pairs with at least one masked member, pairs within `by` cells."""
    def pairs(group: str) -> str:
        return (f"SELECT coalesce(sum(n * (n - 1) / 2 - (n - m) * (n - m - 1) / 2), 0) FROM "
                f"(SELECT count(*) AS n, count(*) FILTER (masked) AS m FROM _lk_scored WHERE {where} "
                f"GROUP BY {by}, {group})")
    return tuple(int(engine.scalar(pairs(g))) for g in ("truth_id", "person_key", "truth_id, person_key"))


def score_masked(engine) -> list[dict]:
    """Pair and record scores of `person_links` against `_lk_truth`, per half of the names and in total."""
    engine.execute("""CREATE OR REPLACE TEMP TABLE _lk_scored AS
        SELECT t.*, l.person_key, l.link_method FROM _lk_truth t
        JOIN person_links l USING (venue, year, paper_id, author_order)""")
    out = []
    for label, where in (("tune (names half 0)", "half = 0"), ("holdout (names half 1)", "half = 1"),
                         ("all", "true")):
        row = {"part": label}
        for kind, by in (("all", "half"), ("same_name", "half, name_norm")):
            t, p, tp = _pair_counts(engine, where, by)
            row[kind] = {"tp": tp, "fp": p - tp, "fn": t - tp, "precision": tp / p if p else None,
                         "recall": tp / t if t else None}
        # Per masked authorship whose person has visible (unmasked) authorships: attached to that profile, to
        # another one, or to none.
        own, other, none, n = engine.query(f"""
            WITH vis AS (SELECT DISTINCT truth_id FROM _lk_truth WHERE NOT masked)
            SELECT count(*) FILTER (person_key = truth_id), count(*) FILTER (person_key <> truth_id
                   AND starts_with(person_key, '~')), count(*) FILTER (NOT starts_with(person_key, '~')), count(*)
            FROM _lk_scored s WHERE masked AND {where} AND truth_id IN (SELECT truth_id FROM vis)""")[0]
        row["records"] = {"n": n, "own_profile": own, "other_profile": other, "no_profile": none}
        # ... and whose person has none: any profile it is attached to is someone else's.
        n_orphan, wrong = engine.query(f"""
            WITH vis AS (SELECT DISTINCT truth_id FROM _lk_truth WHERE NOT masked)
            SELECT count(*), count(*) FILTER (starts_with(person_key, '~'))
            FROM _lk_scored s WHERE masked AND {where} AND truth_id NOT IN (SELECT truth_id FROM vis)""")[0]
        row["orphans"] = {"n": n_orphan, "other_profile": wrong}
        out.append(row)
    engine.execute("DROP TABLE IF EXISTS _lk_scored")
    return out


def score_independent(engine) -> dict:
    """Pairs of same-name authorships that both carry an IEEE or ACL Anthology id, against the built links."""
    nn = name_norm_sql("a.author_name", engine.dialect)
    out = {}
    for src, cond in INDEPENDENT.items():
        engine.execute(f"""CREATE OR REPLACE TEMP TABLE _lk_ind AS
            SELECT a.authorid_raw AS truth_id, l.person_key, {nn} AS name_norm, TRUE AS masked
            FROM authorships a JOIN person_links l USING (venue, year, paper_id, author_order)
            WHERE {cond}
              AND a.person_id IS NULL""")
        engine.execute("CREATE OR REPLACE TEMP TABLE _lk_scored AS SELECT * FROM _lk_ind")
        t, p, tp = _pair_counts(engine, "true", "name_norm")
        out[src] = {"tp": tp, "fp": p - tp, "fn": t - tp, "precision": tp / p if p else None,
                    "recall": tp / t if t else None}
        engine.execute("DROP TABLE IF EXISTS _lk_ind")
        engine.execute("DROP TABLE IF EXISTS _lk_scored")
    return out
