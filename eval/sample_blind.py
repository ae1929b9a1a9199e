"""Draw the blind evaluation sample of (affiliation, domain) pairs: venues beyond NeurIPS, years 2023-2026.

Reproducible: the counts depend only on the mirror files, the draw only on SEED (keys are md5 hashes, not a
stateful generator, so DuckDB's thread order cannot change the result). Run
    python eval/sample_blind.py --data DIR [--exclude eval/resolve_labels.tsv] [--out sample.tsv]
Output TSV: affiliation, domain, stratum, n_authorships, venue_year (labels are added by hand afterwards).

It differs from sample_affiliations.py on purpose: the draw is stratified by venue group (CVPR, ACL-family, CoRL,
ICRA/IROS, SIGGRAPH, other ML venues), limited to 2023-2026, includes the paper-level CVF/SIGGRAPH lists, and the
long tail is pairs seen at most TAIL_MAX times in the *whole* mirror (every venue and year).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sample_affiliations import write_tsv  # noqa: E402

SEED = 20270411
TAIL_MAX = 2  # long tail: pair seen in at most this many authorships over the whole mirror

# venue group -> (file-name pattern of its 2023-2026 per-author or paper-level sources, pairs per stratum)
GROUPS: dict[str, tuple[str, int]] = {
    "cvpr": (r"cvpr/cvpr202[3-6]\.json\.gz", 38),
    "acl": (r"(acl|emnlp|naacl)/(acl|emnlp|naacl)202[3-6]\.json\.gz", 38),
    "corl": (r"corl/corl202[3-6]\.json\.gz", 36),
    "icra_iros": (r"(icra|iros)/(icra|iros)202[3-6]\.json\.gz", 38),
    "siggraph": (r"(siggraph|siggraphasia)/(siggraph|siggraphasia)202[3-6]\.json\.gz", 36),
    "ml_other": (r"(icml/icml202[3-6]|iclr/iclr202[3-6]|aaai/aaai202[3-6]|ijcai/ijcai202[3-6])"
                 r"(\.authors)?\.json\.gz", 36),
}

# Families whose `aff` may be a paper-level list of unique affiliations rather than one entry per author.
_PAPER_LEVEL_FAMILY = re.compile(r"^(cvpr|iccv|eccv|wacv|siggraph|siggraphasia)/")
# A file of such a family is paper-level when most of its multi-entry records list every affiliation once; the
# mirror is bimodal (CVF/SIGGRAPH <= 2023: 87-100%; SIGGRAPH 2025, SIGGRAPH Asia 2024, WACV 2025: 1-8%).
_PAPER_LEVEL_DISTINCT_SHARE = 0.5
_ICLR_PAPER_LEVEL = re.compile(r"^iclr/iclr(2017|2018|2019|2020)\.json\.gz$")  # per-author: .emails files
_ECCV_MISLABELLED = {"eccv/eccv2018.json.gz", "eccv/eccv2020.json.gz"}  # contain ECCV 2022 papers again
_FIRSTINST_UNCOVERED = re.compile(r"^iclr/iclr(2024|2025|2026)\.chang_firstinst\.json\.gz$")
_SKIP = ("chang_authorids", "chang_firstinst", "sites_status", "lossfunk_author_country")

# Strip Unicode-ish surrounding whitespace (RE2 \s is ASCII only), keep everything else raw.
_STRIP = r"regexp_replace({x}, '^[\s\x{{00A0}}\x{{FEFF}}]+|[\s\x{{00A0}}\x{{FEFF}}]+$', '', 'g')"


def _strip(expr: str) -> str:
    return _STRIP.format(x=expr)


def conf_root(data: str) -> Path:
    root = Path(data)
    conf = root / "conferences" if (root / "conferences").is_dir() else root
    if not any(conf.glob("*/*.json.gz")):
        raise SystemExit(f"no conference files (*/*.json.gz) under {conf}")
    return conf


def classify(con: duckdb.DuckDBPyConnection, conf: Path) -> list[tuple[str, str]]:
    """(relative path, kind) for every file that carries affiliations, one source per conference-year."""
    files = sorted(p.relative_to(conf).as_posix() for p in conf.glob("*/*.json.gz"))
    names = set(files)
    out = []
    for rel in files:
        if rel in _ECCV_MISLABELLED:
            continue
        if _FIRSTINST_UNCOVERED.match(rel):
            out.append((rel, "firstinst"))  # ICLR 2024-2026: paper-level institutions, no per-author file
            continue
        if any(k in rel for k in _SKIP):
            continue
        if rel.endswith(".acceptedpapers.json.gz"):
            out.append((rel, "accepted"))
            continue
        if rel.endswith(".emails.json.gz"):
            out.append((rel, "emails"))
            continue
        stem = rel[: -len(".json.gz")]
        if "." not in stem.split("/")[-1] and (
            f"{stem}.authors.json.gz" in names or f"{stem}.openreview.json.gz" in names
        ):
            continue  # same papers as the richer sibling
        if _ICLR_PAPER_LEVEL.match(rel):
            out.append((rel, "paper_level"))
        elif _PAPER_LEVEL_FAMILY.match(rel):
            share = con.execute(
                f"""SELECT avg((len(list_distinct(l)) = len(l))::INT) FROM (
                      SELECT list_filter(list_transform(string_split(aff, ';'), lambda x: {_strip('x')}),
                                         lambda x: x <> '') AS l
                      FROM read_json(?, columns={{'aff': 'VARCHAR'}}, format='array')) WHERE len(l) > 1""",
                [str(conf / rel)],
            ).fetchone()[0]
            out.append((rel, "paper_level" if share is None or share >= _PAPER_LEVEL_DISTINCT_SHARE else "paired"))
        else:
            out.append((rel, "paired"))
    return out


def _records(p: str, *fields: str) -> str:
    """Records of a paperlists-style array, exact repeats kept once (SIGGRAPH 2025 lists a paper once per session:
    same id, title, authors and affiliations, only the session differs)."""
    cols = ", ".join(f"'{f}': 'VARCHAR'" for f in ("id", "title", "author", *fields))
    return f"(SELECT DISTINCT id, title, author, {', '.join(fields)} FROM read_json('{p}', columns={{{cols}}}, format='array'))"


def _occurrences_sql(path: str, kind: str) -> str:
    """SELECT aff, dom, n for one file: pair occurrences (authorships; one per paper for paper-level lists)."""
    p = path.replace("'", "''")
    if kind == "paired":
        # aff / aff_domain are ';'-joined per-author lists aligned with each other. Records whose two non-empty
        # lists differ in length are skipped (never padded or shifted).
        return f"""
        WITH r AS (
          SELECT list_transform(string_split(coalesce(aff, ''), ';'), lambda x: {_strip('x')}) AS a,
                 list_transform(string_split(coalesce(aff_domain, ''), ';'), lambda x: {_strip('x')}) AS d
          FROM {_records(p, 'aff', 'aff_domain')}),
        f AS (
          SELECT CASE WHEN len(list_filter(a, lambda x: x <> '')) = 0 THEN list_transform(d, lambda x: '') ELSE a END AS a,
                 CASE WHEN len(list_filter(d, lambda x: x <> '')) = 0 THEN list_transform(a, lambda x: '') ELSE d END AS d
          FROM r WHERE len(list_filter(a, lambda x: x <> '')) + len(list_filter(d, lambda x: x <> '')) > 0),
        e AS (SELECT a[i] AS aff, d[i] AS dom FROM (SELECT a, d, unnest(range(1, len(a) + 1)) AS i
                                                   FROM f WHERE len(a) = len(d)))
        SELECT aff, dom, count(*) AS n FROM e WHERE aff <> '' OR dom <> '' GROUP BY ALL"""
    if kind == "paper_level":
        return f"""
        WITH r AS (SELECT list_distinct(list_filter(list_transform(string_split(coalesce(aff, ''), ';'),
                                                                   lambda x: {_strip('x')}), lambda x: x <> '')) AS a
                   FROM {_records(p, 'aff')})
        SELECT aff, '' AS dom, count(*) AS n FROM (SELECT unnest(a) AS aff FROM r) GROUP BY ALL"""
    if kind == "firstinst":
        return f"""
        WITH r AS (SELECT unnest(records) AS rec
                   FROM read_json('{p}', columns={{'records': 'STRUCT(affiliations VARCHAR[])[]'}})),
        a AS (SELECT list_distinct(list_filter(list_transform(rec.affiliations, lambda x: {_strip('x')}),
                                               lambda x: x <> '')) AS a FROM r)
        SELECT aff, '' AS dom, count(*) AS n FROM (SELECT unnest(a) AS aff FROM a) GROUP BY ALL"""
    if kind == "accepted":
        # {title: {"authors": [[name, [aff, ...]], ...]}}: each affiliation listed for an author counts once.
        return f"""
        WITH m AS (SELECT json::MAP(VARCHAR, STRUCT(authors JSON[])) AS m
                   FROM read_json('{p}', format='unstructured', records=false)),
        au AS (SELECT unnest(e.value.authors) AS au FROM (SELECT unnest(map_entries(m)) AS e FROM m)),
        af AS (SELECT unnest(CAST(au -> 1 AS VARCHAR[])) AS aff FROM au WHERE json_type(au -> 1) = 'ARRAY')
        SELECT {_strip('aff')} AS aff, '' AS dom, count(*) AS n FROM af
        WHERE {_strip('aff')} <> '' GROUP BY ALL"""
    if kind == "emails":
        # authorids are '@domain' (local parts removed upstream of the mirror): domain-only pairs.
        return f"""
        WITH r AS (SELECT unnest(list_transform(string_split(coalesce(authorids, ''), ';'),
                                                lambda x: {_strip('x')})) AS id
                   FROM {_records(p, 'authorids')})
        SELECT '' AS aff, {_strip('substr(id, 2)')} AS dom, count(*) AS n FROM r
        WHERE starts_with(id, '@') AND len(id) > 1 GROUP BY ALL"""
    raise ValueError(f"unknown file kind {kind!r} for {path}")


def build(con: duckdb.DuckDBPyConnection, conf: Path, exclude: Path | None) -> dict[str, int]:
    sources = classify(con, conf)
    con.execute("CREATE TEMP TABLE occ (file VARCHAR, venue_year VARCHAR, aff VARCHAR, dom VARCHAR, n BIGINT)")
    for rel, kind in sources:
        vy = rel.split("/")[-1].split(".")[0]  # e.g. icml2025 for icml/icml2025.authors.json.gz
        con.execute(f"INSERT INTO occ SELECT ?, ?, aff, dom, n FROM ({_occurrences_sql(str(conf / rel), kind)})",
                    [rel, vy])
    # Whole-mirror count per pair, and the target pool: pairs of each venue group with their in-group count.
    con.execute("CREATE TEMP TABLE total AS SELECT aff, dom, sum(n)::BIGINT AS n FROM occ GROUP BY ALL")
    group_sql = " UNION ALL ".join(
        f"SELECT '{g}' AS grp, venue_year, aff, dom, n FROM occ WHERE regexp_full_match(file, '{pat}')"
        for g, (pat, _q) in GROUPS.items()
    )
    con.execute(f"CREATE TEMP TABLE pool_vy AS {group_sql}")
    con.execute("CREATE TEMP TABLE excluded (aff VARCHAR, dom VARCHAR)")
    if exclude is not None:
        # Only the first two columns of the existing labelled set are read: its pairs are not drawn again.
        con.execute(
            "INSERT INTO excluded SELECT coalesce(affiliation, ''), coalesce(domain, '') FROM read_csv(?, "
            "delim='\t', header=true, quote='\"', escape='\"', all_varchar=true) ",
            [str(exclude)],
        )
    con.execute(
        """CREATE TEMP TABLE pool AS
           SELECT grp, aff, dom, sum(n)::BIGINT AS n_group,
                  -- the venue-year where the pair is most frequent in the group; ties by name
                  arg_min(venue_year, (-n, venue_year)) AS venue_year
           FROM pool_vy ANTI JOIN excluded USING (aff, dom)
           GROUP BY ALL"""
    )
    return {
        "files": len(sources),
        "authorships": con.execute("SELECT sum(n) FROM total").fetchone()[0],
        "pairs": con.execute("SELECT count(*) FROM total").fetchone()[0],
        "tail_pairs": con.execute(f"SELECT count(*) FROM total WHERE n <= {TAIL_MAX}").fetchone()[0],
        "excluded": con.execute("SELECT count(*) FROM excluded").fetchone()[0],
    }


def draw(con: duckdb.DuckDBPyConnection, seed: int = SEED) -> list[tuple]:
    """Per group: an authorship-weighted draw without replacement, then a uniform draw from the whole-mirror tail."""
    # u in (0, 1) from md5(seed, stratum, group, pair): 53 bits, shifted off zero.
    u = "((md5_number_upper(concat_ws(chr(31), '{seed}', '{s}', grp, aff, dom)) >> 11)::DOUBLE + 0.5) / 9007199254740992"
    ranked = con.execute(
        f"""SELECT p.grp, p.aff, p.dom, t.n, p.venue_year,
                   -- Efraimidis-Spirakis: largest ln(u)/w is a weighted draw without replacement
                   ln({u.format(seed=seed, s='frequent')}) / p.n_group AS k_freq,
                   {u.format(seed=seed, s='longtail')} AS k_tail
            FROM pool p JOIN total t USING (aff, dom)
            ORDER BY p.grp, p.aff, p.dom"""
    ).fetchall()
    by_group: dict[str, list[tuple]] = {g: [] for g in GROUPS}
    for row in ranked:
        by_group[row[0]].append(row)
    taken: set[tuple[str, str]] = set()
    out: list[tuple] = []
    # A pair met in several groups is kept once: groups take turns in the fixed order of GROUPS.
    for stratum, key, keep in (("frequent", 5, lambda r: True), ("longtail", 6, lambda r: r[3] <= TAIL_MAX)):
        for g, (_pat, quota) in GROUPS.items():
            cands = sorted((r for r in by_group[g] if keep(r)), key=lambda r: (-r[key], r[1], r[2]))
            got = 0
            for _g, aff, dom, n, vy, _kf, _kt in cands:
                if got == quota:
                    break
                if (aff, dom) in taken:
                    continue
                taken.add((aff, dom))
                out.append((aff, dom, stratum, n, vy))
                got += 1
            if got < quota:
                raise SystemExit(f"group {g}: only {got} {stratum} pairs available, {quota} asked")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="mirror root (the folder holding conferences/)")
    ap.add_argument("--exclude", default=None, help="TSV whose affiliation/domain pairs must not be drawn")
    ap.add_argument("--out", default="-", help="output TSV (default stdout)")
    args = ap.parse_args(argv)
    con = duckdb.connect()
    stats = build(con, conf_root(args.data), Path(args.exclude) if args.exclude else None)
    rows = draw(con)
    print(f"{stats['files']} files, {stats['authorships']} authorships, {stats['pairs']} distinct pairs, "
          f"{stats['tail_pairs']} seen <= {TAIL_MAX} times; {stats['excluded']} pairs excluded; "
          f"{len(rows)} drawn", file=sys.stderr)
    write_tsv(args.out, ["affiliation", "domain", "stratum", "n_authorships", "venue_year"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
