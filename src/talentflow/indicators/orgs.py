"""Organization (model developer, chip owner, SEC filer) → country, from a curated, reviewable data file.

`org_countries.csv` maps every organization spelling found in the leaderboard and chip/capex files to a canonical
organization and the ISO2 country of its headquarters, with the source of that fact. Epoch's own
organization → country pairs (`derived_epoch_org_country_map.csv`) are the fallback for names the curated file
does not list. Matching is exact after case-folding and trimming: no fuzzy matching, because a wrong country is
worse than "unresolved". `org_report()` lists organizations left unmatched (with their frequency) and curated rows
never used, so the file stays honest.
"""

from __future__ import annotations

import csv
from functools import lru_cache
from pathlib import Path

ORGS_PATH = Path(__file__).with_name("org_countries.csv")
PREFIXES_PATH = Path(__file__).with_name("model_prefixes.csv")
ORG_COLUMNS = ["alias", "organization", "country", "source", "notes"]


def org_key(name: str | None) -> str:
    return " ".join((name or "").split()).casefold()


@lru_cache(maxsize=4)
def load_orgs(path: Path = ORGS_PATH) -> dict[str, dict]:
    import pycountry

    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != ORG_COLUMNS:
            raise ValueError(f"{path}: columns must be {ORG_COLUMNS}, found {reader.fieldnames}")
        rows = list(reader)
    out: dict[str, dict] = {}
    for i, r in enumerate(rows, start=2):
        k = org_key(r["alias"])
        if not k:
            raise ValueError(f"{path}: line {i}: empty alias")
        if k in out:
            raise ValueError(f"{path}: line {i}: duplicate alias {r['alias']!r}")
        if r["country"] and pycountry.countries.get(alpha_2=r["country"]) is None:
            raise ValueError(f"{path}: line {i}: {r['country']!r} is not an ISO 3166-1 alpha-2 code")
        if not r["source"].strip():
            raise ValueError(f"{path}: line {i}: every mapping needs a source")
        out[k] = r
    return out


@lru_cache(maxsize=4)
def load_prefixes(path: Path = PREFIXES_PATH) -> list[dict]:
    """Model-name prefix → organization alias, for leaderboard rows that name no organization. Every target must
    be an alias of org_countries.csv, so the country still comes from one reviewed place."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    orgs = load_orgs()
    seen = set()
    for i, r in enumerate(rows, start=2):
        p = r["prefix"].strip().lower()
        if not p or p in seen:
            raise ValueError(f"{path}: line {i}: empty or duplicate prefix {r['prefix']!r}")
        if org_key(r["organization"]) not in orgs:
            raise ValueError(f"{path}: line {i}: organization {r['organization']!r} is not an alias in {ORGS_PATH.name}")
        seen.add(p)
        r["prefix"] = p
    return rows


def org_table() -> list[dict]:
    """Rows for the SQL join table `_org_map(org_key, organization, country, alias)`; an empty country means
    "known, deliberately not attributed" (e.g. the label "Open Source")."""
    return [{"org_key": k, "organization": r["organization"], "country": r["country"] or None, "alias": r["alias"]}
            for k, r in load_orgs().items()]


def org_report(engine) -> dict:
    """Unmatched organizations by number of leaderboard rows, and curated aliases no data row uses.

    Reads the built tables (`leaderboard_entries`, `indicators`) and the staging table of organization names seen
    in every organization-bearing file (`indicator_org_names`)."""
    unmatched = engine.query_dicts(
        "SELECT organization_raw, count(*) AS n FROM leaderboard_entries "
        "WHERE organization_raw IS NOT NULL AND org_method IS NULL GROUP BY 1 ORDER BY n DESC, 1")
    total = engine.scalar("SELECT count(*) FROM leaderboard_entries WHERE organization_raw IS NOT NULL") or 0
    no_org = engine.scalar("SELECT count(*) FROM leaderboard_entries WHERE organization_raw IS NULL") or 0
    seen = {r[0] for r in engine.query("SELECT DISTINCT org_key FROM indicator_org_names")}
    unused = sorted(r["alias"] for k, r in load_orgs().items() if k not in seen)
    used_prefixes = {r[0] for r in engine.query(
        "SELECT DISTINCT model_prefix FROM leaderboard_entries WHERE model_prefix IS NOT NULL")}
    unused_prefixes = sorted(r["prefix"] for r in load_prefixes() if r["prefix"] not in used_prefixes)
    n_unmatched = sum(r["n"] for r in unmatched)
    return {"unmatched": unmatched, "unmatched_rows": n_unmatched, "rows_with_org": total,
            "unmatched_share": (n_unmatched / total) if total else 0.0, "rows_without_org": no_org,
            "unused": unused, "unused_prefixes": unused_prefixes}
