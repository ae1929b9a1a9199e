"""JSON type checks for the readers, in canonical SQL: a value of the wrong JSON type is never coerced (a list read as text
becomes one author named '["A","B"]', an array element read as an object becomes an empty record), it is
dropped and quarantined as `wrong_type` naming the field, the expected and the found type (docs/data-quality.md).

DuckDB's `json_type` names: OBJECT, ARRAY, VARCHAR, BOOLEAN, NULL, and BIGINT/UBIGINT/DOUBLE for numbers; a
missing key gives SQL NULL. A JSON `null` counts as absent, like a missing key.
"""

from __future__ import annotations

from .sqlparts import q

RAW_CHARS = 300  # of the offending value kept in quarantine.raw_value


def type_name(t: str) -> str:
    """DuckDB's json_type → the JSON name users know (object, array, string, number, boolean, null)."""
    return (f"CASE WHEN {t} IS NULL THEN 'nothing' WHEN {t} = 'OBJECT' THEN 'object' WHEN {t} = 'ARRAY' THEN 'array' "
            f"WHEN {t} = 'VARCHAR' THEN 'string' WHEN {t} = 'BOOLEAN' THEN 'boolean' WHEN {t} = 'NULL' THEN 'null' "
            f"ELSE 'number' END")


def is_wrong(t: str, expected: str) -> str:
    """True when a present, non-null value (json_type `t`) is not of the `expected` json_type."""
    return f"({t} IS NOT NULL AND {t} NOT IN ('NULL', {q(expected)}))"


def problem(expected: str, t: str, raw: str) -> str:
    """raw_value of a wrong_type row: 'expected string, found array: ["A","B"]' (e-mail local parts removed)."""
    return (f"'expected {expected}, found ' || {type_name(t)} || "
            f"coalesce(': ' || left(regexp_replace({raw}, '[A-Za-z0-9._%+\\-]+@', '@', 'g'), {RAW_CHARS}), '')")


def strings(j: str, fields: tuple[str, ...]) -> tuple[str, str]:
    """(types, values) list expressions for top-level `fields` of object `j`, each parsing `j` once."""
    paths = "[" + ", ".join(q("$." + f) for f in fields) + "]"
    return f"json_type({j}, {paths})", f"json_extract_string({j}, {paths})"


def bad_fields(types: str, values: str, fields: tuple[str, ...], expected: str = "VARCHAR") -> str:
    """List of {field, t, raw} for the fields whose type is wrong (usually empty): one CASE per field, so no
    lambda captures the values column (that would copy every record's texts once per field)."""
    items = ", ".join(f"CASE WHEN {is_wrong(f'{types}[{i}]', expected)} THEN "
                      f"{{'field': {q(f)}, 't': {types}[{i}], 'raw': {values}[{i}]}} END"
                      for i, f in enumerate(fields, 1))
    return f"list_filter([{items}], lambda x: x IS NOT NULL)"


def _all_strings(v: str) -> str:
    """Every item of JSON array `v` is a string (true for an empty array); only evaluated for arrays."""
    # a JSON null item is SQL NULL after the cast: not a string either
    return (f"coalesce(list_bool_and(list_transform(CAST({v} AS JSON[]), "
            f"lambda x: coalesce(json_type(x) = 'VARCHAR', false))), true)")


def string_array(v: str) -> str:
    """A JSON value that must be an array of strings → VARCHAR[] (NULL when absent or of any other shape)."""
    return f"CASE WHEN json_type({v}) = 'ARRAY' THEN CASE WHEN {_all_strings(v)} THEN CAST({v} AS VARCHAR[]) END END"


def not_string_array(v: str) -> str:
    """True when a present, non-null value is not an array of strings."""
    return (f"CASE WHEN json_type({v}) = 'ARRAY' THEN NOT {_all_strings(v)} "
            f"ELSE {is_wrong(f'json_type({v})', 'ARRAY')} END")


def scrape_authors_ok(v: str) -> str:
    """`v` (a scrape entry) has `authors` as an array of [name, [affiliation, …]] pairs (affiliations optional)."""
    a1 = "json_type(a, '$[1]')"
    author = (f"CASE WHEN json_type(a) = 'ARRAY' AND json_type(a, '$[0]') = 'VARCHAR' THEN "
              f"CASE WHEN coalesce({a1}, 'NULL') = 'NULL' THEN true WHEN {a1} = 'ARRAY' THEN {_all_strings('(a -> 1)')} "
              f"ELSE false END ELSE false END")
    return (f"CASE WHEN json_type({v}, '$.authors') = 'ARRAY' THEN coalesce(list_bool_and(list_transform("
            f"CAST({v} -> 'authors' AS JSON[]), lambda a: {author})), true) ELSE false END")


def quarantine_wrong(eng, table: str, key: str, fields: tuple[str, ...], dataset_id: str | None = None) -> None:
    """u_quar_read rows for the string `fields` of `table` (columns t, s from `strings`) of the wrong type."""
    ds = q(dataset_id) if dataset_id is not None else "dataset_id"
    eng.execute(f"""
        INSERT INTO u_quar_read
        SELECT {ds}, k, b.field, 'wrong_type', {problem('string', 'b.t', 'b.raw')}
        FROM (SELECT {ds} AS dataset_id, {key} AS k, unnest({bad_fields('t', 's', fields)}) AS b FROM {table})""")


def load_records(eng, source: str, dataset_id: str, path: str, name: str, fields: tuple[str, ...]) -> None:
    """The `records` array of a `{…, "records": [...]}` file (`source`: a read_json_objects call) → temp table
    `name` (r, t, s): one row per record that is an object, with the types and texts of its string `fields`.
    A top level that is not an object with a `records` array, and records that are not objects, are
    quarantined as wrong_type (the first keyed by the file's path, the others by a hash of their content)."""
    types, values = strings("r", fields)
    eng.execute(f"""
        CREATE OR REPLACE TEMP TABLE {name}_top AS
        SELECT j, json_type(j) AS top, json_type(j, '$.records') AS rt FROM {source} t(j);
        INSERT INTO u_quar_read
        SELECT {q(dataset_id)}, {q(path)}, 'records', 'wrong_type',
               {problem('object with a records array', "CASE WHEN top = 'OBJECT' THEN rt ELSE top END",
                        "CASE WHEN top = 'OBJECT' THEN j -> 'records' ELSE j END")}
        FROM {name}_top WHERE top <> 'OBJECT' OR rt IS DISTINCT FROM 'ARRAY';
        CREATE OR REPLACE TEMP TABLE {name}_all AS
        -- a JSON null in the array comes out of the cast as SQL NULL
        SELECT coalesce(r, 'null') AS r, coalesce(json_type(r), 'NULL') AS top
        FROM (SELECT unnest(CAST(j -> 'records' AS JSON[])) AS r FROM {name}_top WHERE top = 'OBJECT' AND rt = 'ARRAY');
        INSERT INTO u_quar_read
        SELECT {q(dataset_id)}, 'r' || substr(md5(r), 1, 12), 'record', 'wrong_type', {problem('object', 'top', 'r')}
        FROM {name}_all WHERE top <> 'OBJECT';
        CREATE OR REPLACE TEMP TABLE {name} AS
        SELECT r, {types} AS t, {values} AS s FROM {name}_all WHERE top = 'OBJECT';
        DROP TABLE {name}_top; DROP TABLE {name}_all;""")


def field(fields: tuple[str, ...], name: str) -> str:
    """A string field's text from columns t, s: NULL unless the value is a JSON string."""
    i = fields.index(name) + 1
    return f"CASE WHEN t[{i}] = 'VARCHAR' THEN s[{i}] END"
