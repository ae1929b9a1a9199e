"""Data-quality report: per conference-year and per dataset, what was loaded, joined, and quarantined, with a
check against the mirror's own COVERAGE.tsv where the data directory has it."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

UNIT_SQL = """
WITH a AS (
    SELECT a.unit_id, count(*) AS authorships, count(*) FILTER (WHERE p.accepted) AS acc_auth,
           count(*) FILTER (WHERE p.accepted AND a.affiliation_raw IS NOT NULL) AS with_aff,
           count(*) FILTER (WHERE p.accepted AND a.domain_raw IS NOT NULL) AS with_domain,
           count(*) FILTER (WHERE p.accepted AND a.person_id IS NOT NULL) AS with_pid,
           count(*) FILTER (WHERE p.accepted AND a.position_raw IS NOT NULL) AS with_pos
    FROM authorships a JOIN papers p USING (venue, year, paper_id) GROUP BY 1),
p AS (SELECT unit_id, any_value(venue) AS venue, any_value(year) AS year, count(*) AS papers,
             count(*) FILTER (WHERE accepted) AS accepted FROM papers GROUP BY 1),
q AS (SELECT unit_id, string_agg(problem || '=' || n, ', ' ORDER BY problem) AS quarantine, sum(n) AS quarantined
      FROM (SELECT unit_id, problem, count(*) AS n FROM quarantine GROUP BY 1, 2) GROUP BY 1),
pa AS (SELECT unit_id, count(DISTINCT paper_id) AS papers_with_paper_aff FROM paper_affiliations GROUP BY 1),
-- a conference-year without papers is listed with its reason (an empty file, every record quarantined)
nz AS (SELECT unit_id, min(raw_value) AS note FROM quarantine WHERE problem = 'no_papers' GROUP BY 1),
dv AS (SELECT unit_id, min(venue) AS venue, min(year) AS year FROM datasets WHERE unit_id IS NOT NULL GROUP BY 1)
SELECT iu.unit_id AS unit, coalesce(p.venue, dv.venue) AS venue, coalesce(p.year, dv.year) AS year, iu.shape, coalesce(p.papers, 0) AS papers,
       coalesce(p.accepted, 0) AS accepted, coalesce(a.authorships, 0) AS authorships,
       coalesce(a.acc_auth, 0) AS accepted_authorships,
       round(100.0 * a.with_aff / nullif(a.acc_auth, 0), 1) AS pct_aff,
       round(100.0 * a.with_domain / nullif(a.acc_auth, 0), 1) AS pct_domain,
       round(100.0 * a.with_pid / nullif(a.acc_auth, 0), 1) AS pct_person_id,
       round(100.0 * a.with_pos / nullif(a.acc_auth, 0), 1) AS pct_position,
       coalesce(pa.papers_with_paper_aff, 0) AS papers_with_paper_aff,
       coalesce(q.quarantined, 0) AS quarantined, coalesce(q.quarantine, '') AS quarantine_by_problem,
       coalesce(nz.note, '') AS note, iu.stats
FROM ingest_units iu LEFT JOIN p USING (unit_id) LEFT JOIN a USING (unit_id) LEFT JOIN q USING (unit_id)
LEFT JOIN pa USING (unit_id) LEFT JOIN nz USING (unit_id) LEFT JOIN dv USING (unit_id)
WHERE p.papers IS NOT NULL OR nz.note IS NOT NULL
ORDER BY venue, year
"""


def _joins(stats_json: str | None) -> str:
    import json

    st = json.loads(stats_json or "{}")
    parts = []
    for ds, j in (st.get("joins") or {}).items():
        how = j["how"] if isinstance(j["how"], str) else "+".join(f"{k} {v}" for k, v in sorted(j["how"].items()))
        parts.append(f"{ds} by {how}: {j['joined']}/{j['base_papers']}"
                     + (f" (+{j['enrichment_unjoined']} unjoined)" if j.get("enrichment_unjoined") else ""))
    for ds, n in (st.get("doubled_author_lists") or {}).items():
        parts.append(f"{ds}: {n} doubled author lists halved")
    return "; ".join(parts)


def load_coverage(data_dir: Path | None) -> dict[tuple[str, int], list[dict]]:
    if not data_dir:
        return {}
    p = data_dir / "conferences" / "COVERAGE.tsv"
    if not p.exists():
        return {}
    out: dict = {}
    with p.open(encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            try:
                out.setdefault((r["venue"], int(r["year"])), []).append(r)
            except ValueError:
                continue
    return out


def _coverage_row(rows: list[dict], unit: str, shape: str) -> dict | None:
    """The COVERAGE.tsv row describing the same paper source as our unit."""
    want = f"{unit}.chang_authorids.json" if shape == "chang" else (
        f"{unit}.emails.json" if shape == "emails" else f"{unit}.json")
    for r in rows:
        if r["source"].split(" ")[0] == want and r["papers"]:
            return r
    return None


def quality_rows(eng, data_dir: Path | None = None) -> list[dict]:
    cov = load_coverage(data_dir)
    rows = []
    for r in eng.query_dicts(UNIT_SQL):
        r["joins"] = _joins(r.pop("stats"))
        c = _coverage_row(cov.get((r["venue"], r["year"]), []), r["unit"], r["shape"])
        if c:
            exp_p, exp_a = int(c["papers"]), int(c["authorships"] or 0)
            r["coverage_papers"], r["coverage_authorships"] = exp_p, exp_a
            # COVERAGE counts accepted papers where the file has statuses
            got_a = r["accepted_authorships"]
            r["diff_pct"] = round(100.0 * (got_a - exp_a) / exp_a, 1) if exp_a else None
        else:
            r["coverage_papers"] = r["coverage_authorships"] = r["diff_pct"] = None
        rows.append(r)
    return rows


def dataset_rows(eng) -> list[dict]:
    return eng.query_dicts("""
        SELECT id, kind, venue, year, role, unit_id, aff_level, papers, accepted_papers, authorships, quarantined,
               coalesce(not_ingested_reason, '') AS not_ingested_reason, license, repo, commit
        FROM datasets WHERE "group" = 'conferences' ORDER BY venue, year, id""")


NOTES = """## How to read this

- **Accepted authorships** are authorships of papers whose status is accepted (`src/talentflow/ingest/status.toml`);
  COVERAGE.tsv counts the same thing, so the two should agree. Papers of every status are kept in `papers`.
- **list_length_mismatch**: a per-author list (`aff`, `aff_domain`, `position`, `authorids`) whose length matches
  neither the author count, nor (for OpenReview-derived files) the number of authors with a profile. The record's
  per-author fields are dropped for all its authors (names are kept); nothing is padded or shifted. One row per
  mismatched field, so one record can give up to four rows.
- **pct_aff below COVERAGE.tsv's `%authorships_with_aff`** (NeurIPS 2021/2022, ICML 2023/2024, ICLR 2021: ≈62%
  here against ≈80–89% there): in ≈28% of those records the affiliation list is shorter than both the author list
  and the list of authors with a profile (e.g. 6 authors, 6 profiles, 4 affiliations), so there is no way to
  know whose affiliation is missing. COVERAGE counts list entries; talentflow keeps only entries it can attribute
  to a named author and quarantines the rest (`list_length_mismatch`). People in these records are recovered by
  the careers stage from their other papers where they have a profile id.
- **or_profile_unaligned**: an author of an enrichment record whose profile id could not be matched to an
  `or_profile` entry (exact id, id stem, name tokens, or the single leftover pair); that author keeps no
  per-author fields.
- **duplicate_record**: an exact repeat of a record already read (same id or title key, same title, status,
  authors and affiliations) is kept once. SIGGRAPH 2025's file lists 304 papers more than once; COVERAGE.tsv counts
  every copy, which is the whole of its −33% difference. **duplicate_id**: different records sharing an id are
  all kept, the later ones as `id~2`, `id~3`. **empty_record**: records with neither title nor authors (e.g. 87 in
  SIGGRAPH Asia 2021) are not papers. **no_authors**: papers kept without any author name (e.g. NeurIPS 2022
  journal-track entries); they add no authorships.
- **wrong_type**: a value of the wrong JSON type (a file that passes its checksum can still change shape
  upstream): an array element that is not an object (`field = record`), or a field that is not a string
  (`author` given as a list, an `id` given as a number, …). The value is dropped, never coerced to text; the
  `raw_value` says what was expected and found (`expected string, found array: ["A","B"]`). The rest of the record
  is kept if it still has a title or authors. Records without id and title are keyed by a hash of their content
  (`r…`). **no_papers**: a conference-year whose paper file yields no papers (an empty list, or every record
  quarantined); the year stays in this report with that reason (`note`).
- **unknown_status**: a status not listed in `status.toml` (none at present; a test keeps it so).
- **Enrichment joins** (`joins` column): NeurIPS 2023, ICLR 2022/2023 join by OpenReview id; NeurIPS 2024 and
  ICML 2025, whose paper lists carry site ids, join by the author-name list in three passes (exact normalised
  names; first+last token of each name; surnames), each requiring a key unique on both sides. Papers left unjoined
  keep their author names without affiliations (`join_method = names_only`). The mirror's own note gives ≈92–96%
  for this join; talentflow joins ≈88–90% because it refuses ambiguous keys instead of guessing.
- **papers_with_paper_aff**: papers whose affiliations are only known as a paper-level list (CVPR, ICCV, ECCV,
  WACV ≤ 2024, SIGGRAPH, ICLR 2017–2020 venue files, ICLR first-institution files). These are kept in
  `paper_affiliations` and never assigned to individual authors.
"""


def quality_markdown(eng, data_dir: Path | None = None) -> str:
    rows = quality_rows(eng, data_dir)
    tot = eng.query_dicts("""SELECT (SELECT count(*) FROM papers) AS papers,
        (SELECT count(*) FROM papers WHERE accepted) AS accepted,
        (SELECT count(*) FROM authorships) AS authorships, (SELECT count(*) FROM quarantine) AS quarantined""")[0]
    probs = eng.query("SELECT problem, field, count(*) FROM quarantine GROUP BY 1, 2 ORDER BY 3 DESC")
    lines = ["# Data quality", "",
             "Generated by `talentflow data report --format markdown`; do not edit by hand.", "",
             f"{tot['papers']:,} papers ({tot['accepted']:,} accepted), {tot['authorships']:,} authorships, "
             f"{tot['quarantined']:,} quarantine rows.", "", "## Quarantine by problem", "",
             "| problem | field | rows |", "|---|---|---:|"]
    lines += [f"| {p} | {f} | {n:,} |" for p, f, n in probs]
    off = [r for r in rows if r["diff_pct"] is not None and abs(r["diff_pct"]) > 2]
    lines += ["", "## Agreement with the mirror's COVERAGE.tsv", "",
              f"{sum(r['diff_pct'] is not None for r in rows)} conference-years compared (accepted authorships); "
              f"{len(off)} differ by more than 2%:", ""]
    lines += [f"- {r['unit']}: {r['accepted_authorships']:,} vs {r['coverage_authorships']:,} ({r['diff_pct']:+.1f}%)"
              for r in off] or ["- none"]
    cols = ["unit", "shape", "papers", "accepted", "accepted_authorships", "pct_aff", "pct_domain", "pct_person_id",
            "pct_position", "papers_with_paper_aff", "quarantined", "coverage_authorships", "diff_pct", "joins"]
    empty = [r for r in rows if r["note"]]
    lines += ["", "## Conference-years without papers", ""]
    lines += [f"- {r['unit']}: {r['note']}" for r in empty] or ["- none"]
    uncompared = [r["unit"] for r in rows if r["diff_pct"] is None]
    lines += ["", f"Not compared ({len(uncompared)}): {', '.join(uncompared) or 'none'} — COVERAGE.tsv gives no "
              "authorship count for these.", "", NOTES]
    lines += ["", "## Per conference-year", "", "Percentages are of accepted authorships.", "",
              "| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        lines.append("| " + " | ".join("" if r[c] is None else str(r[c]) for c in cols) + " |")
    return "\n".join(lines) + "\n"
