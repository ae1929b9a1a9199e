"""The SQL that turns OpenAlex JSON lines into tables, written once with a handful of fragment functions.

The engine-specific spellings of the stage's SQL are in the fragment functions at the top (DuckDB's JSON path
functions, list helpers, regular expressions); the statements below and in links.py use only those, the
engine's `Dialect` (unnest with index, list length, accent stripping) and plain SQL with window functions. The
rest is in stage.py: `CREATE OR REPLACE TEMP TABLE` and the JSON column type of an empty staging table. A second
engine (Spark: `get_json_object`, `from_json`, `posexplode`, …) needs those and these functions; agreement.py (a
report, not a stage) uses DuckDB's list functions directly.
Field names are OpenAlex's own (work, authorship, dehydrated institution, author and institution objects)."""

from __future__ import annotations

# --- fragments (DuckDB) --------------------------------------------------------------------------------------


def jtext(expr: str, path: str) -> str:
    """Text of a JSON value at `path` ('$.a.b'); NULL when absent or JSON null."""
    return f"json_extract_string({expr}, '{path}')"


def jtype(expr: str, path: str) -> str:
    """'ARRAY', 'OBJECT', 'VARCHAR', 'BIGINT'/'UBIGINT', 'DOUBLE', 'BOOLEAN', 'NULL'; NULL when absent."""
    return f"json_type({expr}, '{path}')"


def jget(expr: str, path: str) -> str:
    """The JSON value at `path` (object, array, …)."""
    return f"json_extract({expr}, '{path}')"


def jitems(expr: str, path: str) -> str:
    """The elements of a JSON array at `path` as a list of JSON values (empty when not an array)."""
    return f"json_extract({expr}, '{path}[*]')"


def jstrings(expr: str, path: str) -> str:
    """A JSON array of strings as a text list, JSON nulls left out; NULL when `path` is not an array."""
    return (f"CASE WHEN {jtype(expr, path)} = 'ARRAY' THEN "
            f"list_filter(json_extract_string({expr}, '{path}[*]'), lambda x: x IS NOT NULL) END")


def jint(expr: str, path: str) -> str:
    """An integer JSON number at `path`, else NULL (a float or a string is not one: quarantined by the caller)."""
    return f"CASE WHEN {jtype(expr, path)} IN ('BIGINT', 'UBIGINT') THEN CAST({jtext(expr, path)} AS BIGINT) END"


def jbool(expr: str, path: str) -> str:
    return f"CASE WHEN {jtype(expr, path)} = 'BOOLEAN' THEN {jtext(expr, path)} = 'true' END"


def list_of(expr: str) -> str:
    """A one-element list."""
    return f"[{expr}]"


def matches(expr: str, pattern: str) -> str:
    """Whether `expr` matches the regular expression `pattern` (a quoted SQL string)."""
    return f"regexp_matches({expr}, {pattern})"


def short(expr: str) -> str:
    """`https://openalex.org/W123` → `W123` (ids are stored short; the URL prefix is the same for all)."""
    return f"regexp_replace({expr}, '^https://openalex\\.org/', '')"


def shorts(expr: str) -> str:
    return f"list_transform({expr}, lambda x: {short('x')})"


def norm_text(expr: str, strip_accents) -> str:
    """Lower case, accents removed, every run of non-alphanumerics one space: the title/name join key."""
    return f"trim(regexp_replace(lower({strip_accents(expr)}), '[^a-z0-9]+', ' ', 'g'))"


def sorted_tokens(expr: str) -> str:
    return f"list_sort(string_split({expr}, ' '))"


def read_lines(files_sql: str) -> str:
    """One row per line of gzip JSON Lines files: (filename, json)."""
    return (f"read_ndjson_objects({files_sql}, filename=true, maximum_object_size=268435456)")


# --- statements ----------------------------------------------------------------------------------------------

ISO2 = "'^[A-Z]{2}$'"


def works_staging(src: str) -> str:
    """`src`: a relation (file, dataset_id, origin, j) of work lines."""
    j = "j"
    return f"""
        SELECT file, dataset_id, origin,
               {jtext(j, '$.id')} AS id_raw,
               {short(jtext(j, '$.id'))} AS work_id,
               lower(regexp_replace({jtext(j, '$.doi')}, '^https?://(dx\\.)?doi\\.org/', '')) AS doi,
               coalesce({jtext(j, '$.title')}, {jtext(j, '$.display_name')}) AS title,
               {jint(j, '$.publication_year')} AS publication_year,
               {jtype(j, '$.publication_year')} AS year_type, {jtext(j, '$.publication_year')} AS year_raw,
               {jtext(j, '$.type')} AS type,
               {short(jtext(j, '$.primary_location.source.id'))} AS source_id,
               {jtext(j, '$.primary_location.source.display_name')} AS source_name,
               {jtext(j, '$.updated_date')} AS updated_date,
               {jtype(j, '$.authorships')} AS authorships_type,
               {jitems(j, '$.authorships')} AS authorships
        FROM {src}"""


def authorships_select(unnest_with_index) -> str:
    """One row per authorship of the kept works (`_oa_works_kept`), in list order (author_order from 1)."""
    a = "a"
    return f"""
        WITH x AS (SELECT work_id, dataset_id, {unnest_with_index('authorships', 'a', 'author_order')}
                   FROM _oa_works_kept)
        SELECT work_id, CAST(author_order AS INTEGER) AS author_order,
               {jtext(a, '$.author_position')} AS author_position,
               {short(jtext(a, '$.author.id'))} AS author_id,
               {jtext(a, '$.author.display_name')} AS author_name,
               {jtext(a, '$.raw_author_name')} AS raw_author_name,
               regexp_replace({jtext(a, '$.author.orcid')}, '^https?://orcid\\.org/', '') AS orcid,
               {jbool(a, '$.is_corresponding')} AS is_corresponding,
               -- raw_affiliation_strings (list); older releases had one raw_affiliation_string
               coalesce({jstrings(a, '$.raw_affiliation_strings')},
                        CASE WHEN {jtext(a, '$.raw_affiliation_string')} IS NOT NULL
                             THEN {list_of(jtext(a, '$.raw_affiliation_string'))} END) AS raw_affiliation_strings,
               {jstrings(a, '$.countries')} AS countries,
               {jtype(a, '$.institutions')} AS institutions_type,
               {jitems(a, '$.institutions')} AS institutions,
               dataset_id
        FROM x"""


def dehydrated_institution(i: str) -> str:
    """The columns of a dehydrated Institution object (`id, ror, display_name, country_code, type, lineage`)."""
    cc = jtext(i, '$.country_code')
    return f"""{short(jtext(i, '$.id'))} AS institution_id, {jtext(i, '$.ror')} AS ror,
               {jtext(i, '$.display_name')} AS institution_name,
               CASE WHEN {matches(cc, ISO2)} THEN {cc} END AS country_code, {cc} AS country_code_raw,
               lower({jtext(i, '$.type')}) AS type,
               {shorts(jstrings(i, '$.lineage'))} AS lineage, {jtype(i, '$.lineage')} AS lineage_type"""


def authorship_institutions_select(unnest_with_index) -> str:
    return f"""
        WITH x AS (SELECT work_id, author_order, dataset_id,
                          {unnest_with_index('institutions', 'i', 'inst_order')} FROM _oa_authorships_raw)
        SELECT work_id, author_order, CAST(inst_order AS INTEGER) AS inst_order, {dehydrated_institution('i')},
               dataset_id
        FROM x"""


def institutions_staging(src: str) -> str:
    j = "j"
    geo = jtext(j, '$.geo.country_code')
    return f"""
        SELECT file, dataset_id, {short(jtext(j, '$.id'))} AS institution_id, {jtext(j, '$.ror')} AS ror,
               {jtext(j, '$.display_name')} AS display_name,
               CASE WHEN {matches(geo, ISO2)} THEN {geo} END AS country_code, {geo} AS country_code_raw,
               lower({jtext(j, '$.type')}) AS type,
               {shorts(jstrings(j, '$.lineage'))} AS lineage, {jtext(j, '$.updated_date')} AS updated_date
        FROM {src}"""


def authors_staging(src: str) -> str:
    j = "j"
    return f"""
        SELECT file, dataset_id, {short(jtext(j, '$.id'))} AS author_id,
               {jtext(j, '$.display_name')} AS display_name,
               regexp_replace({jtext(j, '$.orcid')}, '^https?://orcid\\.org/', '') AS orcid,
               {jint(j, '$.works_count')} AS works_count, {jtext(j, '$.updated_date')} AS updated_date,
               {jtype(j, '$.affiliations')} AS affiliations_type, {jitems(j, '$.affiliations')} AS affiliations
        FROM {src}"""


def author_affiliations_select(unnest_with_index) -> str:
    """One row per (author, affiliation, year) of the kept authors' `affiliations[] {institution, years[]}`."""
    return f"""
        WITH f AS (SELECT author_id, dataset_id, {unnest_with_index('affiliations', 'f', 'aff_order')}
                   FROM _oa_authors_kept),
             y AS (SELECT author_id, dataset_id, aff_order, f, {unnest_with_index(jitems('f', '$.years'), 'y',
                                                                                  'year_order')}
                   FROM f)
        SELECT author_id, CAST(aff_order AS INTEGER) AS aff_order, {dehydrated_institution(jget('f', '$.institution'))},
               {jint('y', '$')} AS year, {jtext('y', '$')} AS year_raw, dataset_id
        FROM y"""
