"""`Footers`: the source line of a response (`provenance.footer(provenance.origins(eng, f))`) from the `datasets`
rows read once when the server starts, instead of a query per request. The table is small (a few hundred
files) and the server's database does not change while it runs; tests/test_web_api.py checks the lines against
the SQL for every venue and year."""

from __future__ import annotations

from ..report import provenance
from ..report.source import Filters


class Footers:
    def __init__(self, eng, groups: tuple[str, ...] = provenance.METRIC_GROUPS):
        self.rows: list[tuple] = []
        if eng.table_exists("datasets"):
            marks = ", ".join("?" for _ in groups)
            self.rows = eng.query(f"""
                SELECT "group", coalesce(nullif(repo, ''), '(local)'), left(coalesce("commit", ''), 10),
                       coalesce(nullif(license, ''), 'not stated'), venue, year
                FROM datasets WHERE "group" IN ({marks}) AND coalesce(not_ingested_reason, '') = ''""",
                                  list(groups))

    def origins(self, f: Filters | None) -> list[dict]:
        """provenance.origins' rows (without their ids): count per group, repository, commit and licence, in
        its order (group, count descending, repository)."""
        lo, hi = ((f.year, f.year) if f.year else f.years) if f is not None and (f.year or f.years) else (None, None)
        venue = f.venue if f is not None else None
        counts: dict[tuple, int] = {}
        for group, repo, commit, lic, v, y in self.rows:
            if group == "conferences":
                if venue and v != venue:
                    continue
                if lo is not None and (y is None or not lo <= y <= hi):
                    continue
            key = (group, repo, commit, lic)
            counts[key] = counts.get(key, 0) + 1
        out = [{"group": g, "repo": r, "commit": c, "license": li, "datasets": n}
               for (g, r, c, li), n in counts.items()]
        return sorted(out, key=lambda r: (r["group"], -r["datasets"], r["repo"]))

    def footer(self, f: Filters | None) -> str:
        return provenance.footer(self.origins(f))
