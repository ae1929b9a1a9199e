"""Readers: one function per unit shape, each filling the per-unit staging tables

- `u_papers(paper_id, title, status_raw, track, keywords, primary_area, abstract, dataset_id)`
- `u_recs(paper_id, dataset_id, join_method, names[], ids[], orp[], aff[], dom[], pos[])` — per-author lists,
  exploded and aligned by explode.py
- `u_paffs(paper_id, aff_order, affiliation_raw, dataset_id)` — paper-level affiliation lists

and returning join statistics. All work is SQL over the files; nothing is parsed row by row in Python.
"""

from __future__ import annotations

from pathlib import Path

from .jsontypes import (bad_fields, field, load_records, not_string_array, problem, quarantine_wrong,
                        scrape_authors_ok, string_array, strings)
from .sqlparts import author_list, norm_names, norm_names_loose, norm_title, q, scrub_emails, semi_list, txt
from .units import Unit

PAPER_COLS = "paper_id, title, status_raw, track, keywords, primary_area, abstract, dataset_id"
REC_COLS = "paper_id, dataset_id, join_method, names, ids, orp, aff, dom, pos"


def reset(eng) -> None:
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE u_papers (paper_id VARCHAR, title VARCHAR, status_raw VARCHAR, track VARCHAR,
            keywords VARCHAR, primary_area VARCHAR, abstract VARCHAR, dataset_id VARCHAR);
        CREATE OR REPLACE TEMP TABLE u_recs (paper_id VARCHAR, dataset_id VARCHAR, join_method VARCHAR,
            names VARCHAR[], ids VARCHAR[], orp VARCHAR[], aff VARCHAR[], dom VARCHAR[], pos VARCHAR[]);
        CREATE OR REPLACE TEMP TABLE u_paffs (paper_id VARCHAR, aff_order INTEGER, affiliation_raw VARCHAR,
            dataset_id VARCHAR);
        CREATE OR REPLACE TEMP TABLE u_quar_read (dataset_id VARCHAR, record_key VARCHAR, field VARCHAR,
            problem VARCHAR, raw_value VARCHAR);""")


# Fields of a paperlists record, all JSON strings (per-author lists are ';'-joined strings).
FIELDS = ("id", "title", "status", "track", "keywords", "primary_area", "abstract", "author", "authors",
          "authorids", "or_profile", "aff", "aff_domain", "position")


def _load_paperlists(eng, files: list[tuple[Path, str]], name: str) -> None:
    """Paperlists-format arrays (one scan for all `files`: [(path, dataset_id)]) → temp table `name` with typed
    columns and a stable paper_id. Records without an id get one from their normalised title; repeated ids in
    one file get a suffix (counted as duplicates). Array elements that are not objects, and fields that are not
    strings, are quarantined as wrong_type."""
    ds = " UNION ALL ".join(f"SELECT {q(str(p))} AS fn, {q(d)} AS dataset_id" for p, d in files)
    types, values = strings("j", FIELDS)

    def f(n: str) -> str:
        return field(FIELDS, n)

    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name}_raw AS
        SELECT {txt(f('id'))} AS raw_id, {txt(f('title'))} AS title,
               {txt(f('status'))} AS status_raw, {txt(f('track'))} AS track,
               {txt(f('keywords'))} AS keywords, {txt(f('primary_area'))} AS primary_area,
               {scrub_emails(txt(f('abstract')))} AS abstract,
               {author_list(f"coalesce({f('author')}, {f('authors')})")} AS names,
               {semi_list(f('authorids'))} AS ids, {semi_list(f('or_profile'))} AS orp,
               {semi_list(f('aff'))} AS aff, {semi_list(f('aff_domain'))} AS dom,
               {semi_list(f('position'))} AS pos, dataset_id, top, {bad_fields('t', 's', FIELDS)} AS bad,
               -- content key, for records with neither id nor title and for elements that are not objects
               CASE WHEN top <> 'OBJECT' OR ({txt(f('id'))} IS NULL AND {txt(f('title'))} IS NULL)
                    THEN 'r' || substr(md5(j), 1, 12) END AS rkey,
               CASE WHEN top <> 'OBJECT' THEN j END AS bad_j
        FROM (SELECT j, f.dataset_id, json_type(j) AS top, {types} AS t, {values} AS s
              FROM {eng.json_objects([str(p) for p, _ in files], "array", filename=True)} t(j, filename)
              JOIN ({ds}) f ON f.fn = t.filename)""")
    eng.execute(f"""
        INSERT INTO u_quar_read
        SELECT dataset_id, rkey, 'record', 'wrong_type', {problem('object', 'top', 'bad_j')}
        FROM {name}_raw WHERE top <> 'OBJECT'""")
    # Record identity: the id (or title key) plus the record's content. Exact repeats of a record (some site
    # scrapes list a paper several times) are kept once; different records sharing an id are all kept, the later
    # ones with a '~n' suffix. Records with neither title nor authors are not papers. All three are counted.
    # A title without letters or digits (normalised to '') is keyed by its lower-case text, so such titles never
    # share the key of the empty string.
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name}_keyed AS
        SELECT *, dense_rank() OVER (PARTITION BY dataset_id, pid0 ORDER BY ckey) AS rn,
               row_number() OVER (PARTITION BY dataset_id, pid0, ckey) AS copy
        FROM (SELECT * EXCLUDE (top, rkey, bad_j),
                     coalesce(raw_id, CASE WHEN title IS NULL THEN rkey
                                           WHEN {norm_title('title')} = '' THEN 't' || substr(md5(lower(title)), 1, 12)
                                           ELSE 't' || substr(md5({norm_title('title')}), 1, 12) END) AS pid0,
                     md5(concat_ws('|', title, status_raw, track, array_to_string(names, ';'),
                                   array_to_string(ids, ';'), array_to_string(aff, ';'))) AS ckey
              FROM {name}_raw WHERE top = 'OBJECT');
        INSERT INTO u_quar_read
        SELECT dataset_id, CASE WHEN rn = 1 THEN pid0 ELSE pid0 || '~' || rn END, b.field, 'wrong_type',
               {problem('string', 'b.t', 'b.raw')}
        FROM (SELECT dataset_id, pid0, rn, unnest(bad) AS b FROM {name}_keyed WHERE copy = 1 AND len(bad) > 0);
        INSERT INTO u_quar_read
        SELECT dataset_id, pid0, 'record',
               CASE WHEN title IS NULL AND names IS NULL THEN 'empty_record'
                    WHEN copy > 1 THEN 'duplicate_record' ELSE 'duplicate_id' END,
               CASE WHEN title IS NULL AND names IS NULL THEN NULL
                    WHEN copy > 1 THEN 'copy ' || copy || ' of this record (dropped)'
                    ELSE 'record ' || rn || ' with this id (kept as ' || pid0 || '~' || rn || ')' END
        FROM {name}_keyed WHERE (title IS NULL AND names IS NULL) OR copy > 1 OR rn > 1;
        CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT * EXCLUDE (pid0, ckey, rn, copy, bad), CASE WHEN rn = 1 THEN pid0 ELSE pid0 || '~' || rn END AS paper_id,
               rn > 1 AS dup
        FROM {name}_keyed WHERE copy = 1 AND NOT (title IS NULL AND names IS NULL)""")


def _papers_from(eng, name: str) -> None:
    eng.execute(f"INSERT INTO u_papers SELECT {PAPER_COLS} FROM {name}")


def _aff_levels(eng, name: str) -> dict[str, str]:
    """Per dataset: 'author' when per-author affiliation lists line up with the author lists, 'paper' when the
    file lists each paper's unique affiliations (CVF files), 'none' without affiliations. Decided from the data."""
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name}_lvl AS
        SELECT dataset_id, CASE WHEN with_aff = 0 THEN 'none'
                                -- per-author domains only exist in per-author files
                                WHEN with_dom > 0 OR aligned >= 0.5 * with_aff THEN 'author'
                                ELSE 'paper' END AS level
        FROM (SELECT dataset_id, count(*) FILTER (WHERE aff IS NOT NULL) AS with_aff,
                     count(*) FILTER (WHERE dom IS NOT NULL) AS with_dom,
                     count(*) FILTER (WHERE aff IS NOT NULL AND (len(aff) = len(names)
                         OR (len(names) % 2 = 0 AND len(aff) * 2 = len(names)))) AS aligned
              FROM {name} WHERE names IS NOT NULL GROUP BY dataset_id)""")
    return dict(eng.query(f"SELECT dataset_id, level FROM {name}_lvl"))


def _paper_affs_from(eng, name: str) -> None:
    eng.execute(f"""
        INSERT INTO u_paffs
        SELECT paper_id, a.i, a.v, dataset_id FROM (
            SELECT paper_id, dataset_id, unnest(aff) AS v, generate_subscripts(aff, 1) AS i
            FROM {name} WHERE aff IS NOT NULL) a
        WHERE nullif(a.v, '') IS NOT NULL""")


def read_paperlists_batch(eng, units: list[Unit], data: Path) -> dict[str, dict]:
    """All plain paperlists units in one scan. Returns stats per unit id."""
    if not units:
        return {}
    files = [(u.roles["base"].local(data), u.roles["base"].id) for u in units]
    _load_paperlists(eng, files, "b")
    _papers_from(eng, "b")
    levels = _aff_levels(eng, "b")
    eng.execute("CREATE OR REPLACE TEMP TABLE bp AS SELECT * FROM b WHERE dataset_id IN "
                "(SELECT dataset_id FROM b_lvl WHERE level = 'paper')")
    _paper_affs_from(eng, "bp")
    eng.execute("""
        INSERT INTO u_recs SELECT paper_id, dataset_id,
            CASE WHEN l.level = 'paper' THEN 'paper_level_aff' ELSE 'record' END, names, ids, orp,
            CASE WHEN l.level = 'paper' THEN NULL ELSE aff END, dom, pos
        FROM b LEFT JOIN b_lvl l USING (dataset_id)""")
    dups = dict(eng.query("SELECT dataset_id, count(*) FILTER (WHERE dup) FROM b GROUP BY 1"))
    return {u.id: {"aff_level": {u.roles["base"].id: levels.get(u.roles["base"].id, "none")},
                   "duplicate_ids": {u.roles["base"].id: dups.get(u.roles["base"].id, 0)}} for u in units}


def read_enrichment(eng, unit: Unit, data: Path) -> dict:
    """Status/paper file + OpenReview author enrichment, joined by id or (site_ ids) by normalised author list."""
    base, enr = unit.roles["base"], unit.roles["enrichment"]
    _load_paperlists(eng, [(base.local(data), base.id)], "b")
    _load_paperlists(eng, [(enr.local(data), enr.id)], "e")
    _papers_from(eng, "b")
    site = eng.scalar("SELECT count(*) FILTER (WHERE raw_id LIKE 'site\\_%' ESCAPE '\\') > count(*) / 2 FROM b")
    if site:
        # Passes from strict to loose author-list keys; at each pass a key must be unique among the papers still
        # unjoined on both sides, so an ambiguous list is never guessed (left unjoined and counted).
        eng.execute("CREATE OR REPLACE TEMP TABLE pairs (b_id VARCHAR, e_id VARCHAR, how VARCHAR)")
        for how, key in (("author_list", norm_names("names")), ("author_list_firstlast", norm_names_loose("names", "firstlast")),
                         ("author_list_surnames", norm_names_loose("names", "surnames"))):
            eng.execute(f"""
                CREATE OR REPLACE TEMP TABLE bk AS SELECT paper_id, {key} AS k FROM b
                    WHERE names IS NOT NULL AND paper_id NOT IN (SELECT b_id FROM pairs);
                CREATE OR REPLACE TEMP TABLE ek AS SELECT paper_id, {key} AS k FROM e
                    WHERE names IS NOT NULL AND paper_id NOT IN (SELECT e_id FROM pairs);
                INSERT INTO pairs
                SELECT bk.paper_id, ek.paper_id, '{how}' FROM bk JOIN ek USING (k)
                WHERE k IN (SELECT k FROM bk GROUP BY k HAVING count(*) = 1)
                  AND k IN (SELECT k FROM ek GROUP BY k HAVING count(*) = 1);""")
    else:
        eng.execute("CREATE OR REPLACE TEMP TABLE pairs AS SELECT b.paper_id AS b_id, e.paper_id AS e_id, 'id' AS how "
                    "FROM b JOIN e ON b.raw_id = e.raw_id")
    eng.execute(f"""
        INSERT INTO u_recs SELECT p.b_id, e.dataset_id, 'enrichment_by_' || p.how, e.names, e.ids, e.orp, e.aff, e.dom, e.pos
        FROM pairs p JOIN e ON e.paper_id = p.e_id;
        INSERT INTO u_recs SELECT paper_id, dataset_id, 'names_only', names, ids, orp, aff, dom, pos
        FROM b WHERE paper_id NOT IN (SELECT b_id FROM pairs);""")
    n_b, n_e, n_pairs = eng.query("SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM e), (SELECT count(*) FROM pairs)")[0]
    how = dict(eng.query("SELECT how, count(*) FROM pairs GROUP BY 1")) if site else "id"
    return {"joins": {enr.id: {"how": how, "base_papers": n_b, "enrichment_records": n_e, "joined": n_pairs,
                               "base_unjoined": n_b - n_pairs, "enrichment_unjoined": n_e - n_pairs}},
            "aff_level": {enr.id: "author"}}


def read_openreview(eng, unit: Unit, data: Path) -> dict:
    """nips2022: papers and status from the venue file; authors from the OpenReview export by id; export-only
    records (rejected submissions) become papers with the export's own status."""
    base, orv = unit.roles["base"], unit.roles["openreview"]
    _load_paperlists(eng, [(base.local(data), base.id)], "b")
    _load_paperlists(eng, [(orv.local(data), orv.id)], "o")
    _papers_from(eng, "b")
    eng.execute(f"""
        INSERT INTO u_papers SELECT {PAPER_COLS} FROM o WHERE raw_id NOT IN (SELECT raw_id FROM b WHERE raw_id IS NOT NULL);
        INSERT INTO u_recs SELECT b.paper_id, o.dataset_id, 'openreview_by_id', o.names, o.ids, o.orp, o.aff, o.dom, o.pos
        FROM b JOIN o ON b.raw_id = o.raw_id;
        INSERT INTO u_recs SELECT paper_id, dataset_id, 'names_only', names, ids, orp, aff, dom, pos
        FROM b WHERE raw_id NOT IN (SELECT raw_id FROM o WHERE raw_id IS NOT NULL);
        INSERT INTO u_recs SELECT paper_id, dataset_id, 'record', names, ids, orp, aff, dom, pos
        FROM o WHERE raw_id NOT IN (SELECT raw_id FROM b WHERE raw_id IS NOT NULL);""")
    n_b, n_o, joined = eng.query("SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM o), "
                                 "(SELECT count(*) FROM b JOIN o USING (raw_id))")[0]
    return {"joins": {orv.id: {"how": "id", "base_papers": n_b, "enrichment_records": n_o, "joined": joined,
                               "base_unjoined": n_b - joined, "enrichment_unjoined": n_o - joined}},
            "aff_level": {orv.id: "author"}}


def read_scrape(eng, unit: Unit, data: Path) -> dict:
    """nips2019/2020: status file + neurips.cc scrape {title: {authors: [[name, [aff, …]]]}} joined by title.
    Several affiliations of one author are joined with ' + ' (the resolver splits them)."""
    base, scr = unit.roles["base"], unit.roles["scrape"]
    _load_paperlists(eng, [(base.local(data), base.id)], "b")
    _papers_from(eng, "b")
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE s_top AS SELECT j, json_type(j) AS top FROM {eng.json_objects(str(scr.local(data)), 'object')} t(j);
        INSERT INTO u_quar_read SELECT {q(scr.id)}, {q(scr.path)}, 'file', 'wrong_type', {problem('object', 'top', 'j')}
        FROM s_top WHERE top <> 'OBJECT';""")
    entries = eng.json_entries("SELECT j FROM s_top WHERE top = 'OBJECT'")
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE s0 AS SELECT key, value, {scrape_authors_ok('value')} AS ok FROM ({entries});
        INSERT INTO u_quar_read SELECT {q(scr.id)}, left(key, 200), 'authors', 'wrong_type',
            {problem('array of [name, [affiliation, …]] pairs', "json_type(value, '$.authors')", "(value -> 'authors')")}
        FROM s0 WHERE NOT ok;
        CREATE OR REPLACE TEMP TABLE s AS
        SELECT key AS title, {norm_title('key')} AS k,
               list_transform(CAST(json_extract(value, '$.authors') AS JSON[]), lambda a: trim(a ->> 0)) AS names,
               list_transform(CAST(json_extract(value, '$.authors') AS JSON[]),
                   lambda a: nullif(array_to_string(list_filter(list_transform(CAST(a -> 1 AS VARCHAR[]), lambda x: trim(x)),
                                                           lambda x: x <> ''), ' + '), '')) AS aff
        FROM s0 WHERE ok;
        CREATE OR REPLACE TEMP TABLE pairs AS
        SELECT b.paper_id AS b_id, s.k FROM b JOIN s ON {norm_title('b.title')} = s.k
        WHERE s.k <> '' AND s.k IN (SELECT k FROM s GROUP BY k HAVING count(*) = 1)
          AND s.k IN (SELECT {norm_title('title')} FROM b GROUP BY 1 HAVING count(*) = 1);
        INSERT INTO u_recs SELECT p.b_id, {q(scr.id)}, 'scrape_by_title', s.names, NULL, NULL, s.aff, NULL, NULL
        FROM pairs p JOIN s USING (k);
        INSERT INTO u_recs SELECT paper_id, dataset_id, 'names_only', names, ids, orp, aff, dom, pos
        FROM b WHERE paper_id NOT IN (SELECT b_id FROM pairs);""")
    n_b, n_s, joined = eng.query("SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM s), (SELECT count(*) FROM pairs)")[0]
    return {"joins": {scr.id: {"how": "title", "base_papers": n_b, "enrichment_records": n_s, "joined": joined,
                               "base_unjoined": n_b - joined, "enrichment_unjoined": n_s - joined}},
            "aff_level": {scr.id: "author"}}


def read_emails(eng, unit: Unit, data: Path) -> dict:
    """ICLR 2017–2020: the e-mail file is the full submission list (authorids = '@domain' per author); the small
    venue file carries paper-level affiliation strings, joined by id."""
    em, base = unit.roles["emails"], unit.roles.get("base")
    _load_paperlists(eng, [(em.local(data), em.id)], "m")
    _papers_from(eng, "m")
    eng.execute("INSERT INTO u_recs SELECT paper_id, dataset_id, 'email_domains', names, ids, NULL, NULL, NULL, NULL FROM m")
    stats: dict = {"aff_level": {em.id: "none"}}
    if base is not None:
        _load_paperlists(eng, [(base.local(data), base.id)], "b")
        eng.execute("CREATE OR REPLACE TEMP TABLE bb AS SELECT m.paper_id, b.dataset_id, b.aff FROM b JOIN m USING (raw_id)")
        _paper_affs_from(eng, "bb")
        stats["aff_level"][base.id] = "paper"
        stats["joins"] = {base.id: dict(zip(("how", "base_papers", "enrichment_records", "joined"),
                                            ("id", *eng.query("SELECT (SELECT count(*) FROM m), (SELECT count(*) FROM b), "
                                                              "(SELECT count(*) FROM bb)")[0])))}
    return stats


CHANG_FIELDS = ("paper_url", "paper_id", "title")


def _chang_key(fields: tuple[str, ...] = CHANG_FIELDS) -> str:
    """A chang record's paper id: the OpenReview id in its URL, else its paper_id, else a hash of its content."""
    url, pid = field(fields, "paper_url"), field(fields, "paper_id")
    return (f"coalesce(nullif(regexp_extract({url}, 'id=([^&]+)', 1), ''), {txt(pid)}, "
            f"'r' || substr(md5(r), 1, 12))")


def read_chang(eng, unit: Unit, data: Path) -> dict:
    """ICLR 2024–2026: accepted papers with OpenReview ids (no names, no per-author affiliation). Status by title
    from iclr.cc where available; otherwise the list is of accepted papers with the tier unknown."""
    ch = unit.roles["chang"]
    load_records(eng, eng.json_objects(str(ch.local(data)), "object"), ch.id, ch.path, "cr", CHANG_FIELDS)
    quarantine_wrong(eng, "cr", _chang_key(), CHANG_FIELDS, ch.id)
    eng.execute(f"""
        INSERT INTO u_quar_read
        SELECT {q(ch.id)}, {_chang_key()}, 'authorids', 'wrong_type', {problem('array of strings', "json_type((r -> 'authorids'))", "(r -> 'authorids')")}
        FROM cr WHERE {not_string_array("(r -> 'authorids')")};
        CREATE OR REPLACE TEMP TABLE c AS
        SELECT {_chang_key()} AS paper_id, {txt(field(CHANG_FIELDS, 'title'))} AS title,
               {string_array("(r -> 'authorids')")} AS ids
        FROM cr""")
    stats: dict = {"aff_level": {ch.id: "none"}}
    st = unit.roles.get("site_status")
    if st is not None:
        sf = ("title", "status", "track")
        eng.execute(f"""
            CREATE OR REPLACE TEMP TABLE ss0 AS
            SELECT j, json_type(j) AS top, {strings('j', sf)[0]} AS t, {strings('j', sf)[1]} AS s
            FROM {eng.json_objects(str(st.local(data)))} t(j);
            INSERT INTO u_quar_read
            SELECT {q(st.id)}, 'r' || substr(md5(j), 1, 12), 'record', 'wrong_type', {problem('object', 'top', 'j')}
            FROM ss0 WHERE top <> 'OBJECT';""")
        quarantine_wrong(eng, "(SELECT * FROM ss0 WHERE top = 'OBJECT')", "'r' || substr(md5(j), 1, 12)", sf, st.id)
        eng.execute(f"""
            CREATE OR REPLACE TEMP TABLE ss AS
            SELECT {norm_title(txt(field(sf, 'title')))} AS k, {txt(field(sf, 'status'))} AS status_raw,
                   {txt(field(sf, 'track'))} AS track
            FROM ss0 WHERE top = 'OBJECT';
            CREATE OR REPLACE TEMP TABLE ssu AS SELECT * FROM ss WHERE k <> '' AND k IN (SELECT k FROM ss GROUP BY k HAVING count(*) = 1);""")
        eng.execute(f"""INSERT INTO u_papers SELECT c.paper_id, c.title, ssu.status_raw, ssu.track, NULL, NULL, NULL, {q(ch.id)}
                        FROM c LEFT JOIN ssu ON {norm_title('c.title')} = ssu.k""")
        joined, n_s = eng.query(f"SELECT count(*) FILTER (WHERE k IN (SELECT k FROM ssu)), (SELECT count(*) FROM ss) "
                                f"FROM (SELECT {norm_title('title')} AS k FROM c)")[0]
        stats["joins"] = {st.id: {"how": "title", "base_papers": eng.scalar("SELECT count(*) FROM c"),
                                  "enrichment_records": n_s, "joined": joined}}
    else:
        eng.execute(f"INSERT INTO u_papers SELECT paper_id, title, NULL, NULL, NULL, NULL, NULL, {q(ch.id)} FROM c")
    # display names derived from the profile id (~Jane_Doe1 → Jane Doe): the only name these files carry
    eng.execute(f"""INSERT INTO u_recs SELECT paper_id, {q(ch.id)}, 'authorids_only',
                    list_transform(ids, lambda x: replace(regexp_replace(ltrim(x, '~'), '[0-9]+$', ''), '_', ' ')),
                    ids, NULL, NULL, NULL, NULL FROM c""")
    return stats


def read_firstinst(eng, unit: Unit, data: Path) -> None:
    fi = unit.roles.get("firstinst")
    if fi is None:
        return
    load_records(eng, eng.json_objects(str(fi.local(data)), "object"), fi.id, fi.path, "fr", CHANG_FIELDS[:2])
    key = _chang_key(CHANG_FIELDS[:2])
    quarantine_wrong(eng, "fr", key, CHANG_FIELDS[:2], fi.id)
    eng.execute(f"""
        INSERT INTO u_quar_read
        SELECT {q(fi.id)}, {key}, 'affiliations', 'wrong_type',
               {problem('array of strings', "json_type((r -> 'affiliations'))", "(r -> 'affiliations')")}
        FROM fr WHERE {not_string_array("(r -> 'affiliations')")};
        INSERT INTO u_paffs
        SELECT pid, i, trim(v), {q(fi.id)} FROM (
            SELECT pid, unnest(affs) AS v, generate_subscripts(affs, 1) AS i
            FROM (SELECT {key} AS pid, {string_array("(r -> 'affiliations')")} AS affs FROM fr))
        WHERE nullif(trim(v), '') IS NOT NULL""")


SHAPES = {
    "enrichment": read_enrichment,
    "openreview": read_openreview,
    "scrape": read_scrape,
    "emails": read_emails,
    "chang": read_chang,
}
