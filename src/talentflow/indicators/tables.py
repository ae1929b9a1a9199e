"""Readers for country-by-year indicator files (NCSES, OWID, Epoch chip counts, SEC capex, CSET patents).

Each reader returns one SELECT producing the staging columns below from a file; `stage.py` runs it, attaches the
dataset id and licence, quarantines cells that are not numbers and resolves countries. Readers never drop a row:
missing-value tokens (NA, D…) are counted by the stage.
"""

from __future__ import annotations

from pathlib import Path

from .sqlutil import field_case, q, read_csv

# Staging columns every reader yields (value still text; parsed by the stage).
RAW_COLUMNS = ("indicator", "entity_raw", "code_raw", "entity_type", "year", "date", "period", "raw_value",
               "unit", "notes", "record_key")

NCSES_FIELDS = {
    "All fields": "all", "S&E fields": "se", "All S&E": "se", "Science and engineering": "se",
    "Non-science and engineering": "non_se", "Engineering": "eng", "Computer sciences": "cs",
    "Physical and biological sciences and mathematics and statistics": "natsci_math",
    "Agricultural sciences": "agri", "Social and behavioral sciences": "social_behav",
}


def _select(indicator: str, entity: str, year: str, raw_value: str, unit: str, notes: str, record_key: str,
            code: str = "NULL", entity_type: str = "'place'", date: str = "NULL", period: str = "NULL",
            src: str = "t") -> str:
    return (f"SELECT {indicator} AS indicator, {entity} AS entity_raw, {code} AS code_raw, "
            f"{entity_type} AS entity_type, CAST({year} AS INTEGER) AS year, CAST({date} AS DATE) AS date, "
            f"{period} AS period, {raw_value} AS raw_value, {q(unit)} AS unit, {notes} AS notes, "
            f"{record_key} AS record_key FROM {src}")


FIELD_COLS = "COLUMNS('^field_')"


def _unpivot(src: str, cols: str) -> str:
    """Wide value columns → (col, val) rows. INCLUDE NULLS keeps empty cells so the stage counts them as missing
    instead of losing them."""
    return f"(SELECT * FROM ({src}) UNPIVOT INCLUDE NULLS (val FOR col IN ({cols})))"


def _parts(path_col: str) -> str:
    # NCSES hierarchy labels: "China<sup>a</sup> -> All fields -> S&E fields"; footnote markers removed.
    cleaned = f"regexp_replace({path_col}, '<sup>[^<]*</sup>', '', 'g')"
    return f"list_transform(string_split({cleaned}, ' -> '), lambda x: trim(x))"


def ncses_country_field(path: Path, prefix: str, unit: str, note: str) -> str:
    """NCSES row-hierarchical tables `Country -> All fields -> S&E fields -> Engineering` × field_YYYY columns
    (SHED-11/12, S2-15/16): one indicator per field path, e.g. first_degrees.se.eng."""
    slug = field_case("x", NCSES_FIELDS)
    ind = (f"{q(prefix)} || '.' || CASE WHEN len(parts) <= 2 THEN 'all' ELSE "
           f"array_to_string(list_transform(parts[3:], lambda x: {slug}), '.') END")
    src = (f"(SELECT *, {_parts('region_country_or_economy_and_field_full_path')} AS parts FROM "
           f"{_unpivot(f'SELECT * FROM {read_csv(path)}', FIELD_COLS)}) t")
    return _select(ind, "parts[1]", "regexp_extract(col, '(\\d{4})', 1)", "val", unit, q(note),
                   "row_id || ':' || col", src=src) + " WHERE len(parts) >= 2"


def ncses_sed_origin(path: Path, unit: str, note: str) -> str:
    """SED 7-7: top countries of citizenship of temporary-visa holders earning US research doctorates."""
    slug = field_case("parts[2]", NCSES_FIELDS)
    ind = f"'us_doctorates_temp_visa.' || CASE WHEN len(parts) = 1 THEN 'all' ELSE {slug} END"
    src = (f"(SELECT *, {_parts('_b_country_or_economy_and_field_b_full_path')} AS parts FROM "
           f"{_unpivot(f'SELECT * FROM {read_csv(path)}', FIELD_COLS)}) t")
    return _select(ind, "parts[1]", "regexp_extract(col, '(\\d{4})', 1)", "val", unit, q(note),
                   "row_id || ':' || col", src=src)


def ncses_sed_stay(path: Path, unit: str, note: str) -> str:
    """SED 2-8: US doctorates to temporary-visa holders and % intending to stay, by citizenship, 2017-23.
    Columns field_YYYY_number / field_YYYY_staying, plus field_2017_23_* period totals (year = 2023)."""
    measure = "CASE WHEN col LIKE '%_staying' THEN 'pct_intend_stay' ELSE 'n' END"
    ind = f"'us_doctorates_temp_visa_stay.' || {measure}"
    unit_expr = f"CASE WHEN col LIKE '%_staying' THEN 'percent' ELSE {q(unit)} END"
    is_period = "col LIKE 'field_2017_23_%'"
    src = (f"(SELECT *, {_parts('_b_region_and_country_or_economy_of_citizenship_b_full_path')} AS parts FROM "
           f"{_unpivot(f'SELECT * FROM {read_csv(path)}', FIELD_COLS)}) t")
    year = f"CASE WHEN {is_period} THEN '2023' ELSE regexp_extract(col, '(\\d{{4}})', 1) END"
    sql = _select(ind, "parts[len(parts)]", year,
                  "val", unit, q(note), "row_id || ':' || col",
                  period=f"CASE WHEN {is_period} THEN '2017-2023' END", src=src)
    return sql.replace(f"{q(unit)} AS unit", f"{unit_expr} AS unit")


def ncses_last_segment(path: Path, indicator: str, path_col: str, unit: str, note: str,
                       period: str | None = None, year: str | None = None) -> str:
    """NCSES tables whose entity is the last segment of a region path: SKTI-21 (field_YYYY columns) or a single
    `value` column (SINV-17, cumulative)."""
    if period:  # one value per entity, no year columns (the extract lost them)
        src = f"(SELECT *, {_parts(path_col)} AS parts, value AS val, 'value' AS col FROM {read_csv(path)}) t"
        yr = year
    else:
        src = (f"(SELECT *, {_parts(path_col)} AS parts FROM "
               f"{_unpivot(f'SELECT * FROM {read_csv(path)}', FIELD_COLS)}) t")
        yr = "regexp_extract(col, '(\\d{4})', 1)"
    return _select(q(indicator), "parts[len(parts)]", yr, "val", unit, q(note), "row_id || ':' || col",
                   period=q(period) if period else "NULL", src=src)


def ncses_vc_counts(path: Path, unit: str, note: str) -> str:
    """NCSES 6-4: AI companies / deals financed by venture capital, China vs US."""
    ind = "'ai_vc_' || lower(parts[1])"
    src = (f"(SELECT *, {_parts('companies_or_deals_full_path')} AS parts FROM "
           f"{_unpivot(f'SELECT * FROM {read_csv(path)}', FIELD_COLS)}) t")
    return _select(ind, "parts[2]", "regexp_extract(col, '(\\d{4})', 1)", "val", unit, q(note),
                   "row_id || ':' || col", src=src) + " WHERE len(parts) = 2"


def ncses_patent_categories(path: Path, unit: str, note: str) -> str:
    """NCSES SINV-18: granted AI patents 2000-22 by category; countries are columns (field_united_states…)."""
    slug = "trim(regexp_replace(lower(parts[len(parts)]), '[^a-z0-9]+', '_', 'g'), '_')"
    ind = f"'granted_ai_patents_cumulative.' || {slug}"
    src = (f"(SELECT *, {_parts('category_full_path')} AS parts FROM "
           f"{_unpivot(f'SELECT * FROM {read_csv(path)}', FIELD_COLS)}) t")
    entity = "replace(substr(col, 7), '_', ' ')"
    return _select(ind, entity, "2022", "val", unit, q(note), "row_id || ':' || col", period="'2000-2022'",
                   src=src) + " WHERE len(parts) = 2"


def ncses_articles_raw(path: Path, unit: str, note: str) -> str:
    """NCSES APBS-1 extract: `time_period` holds the entity and the year labels were lost; rows come in blocks of
    20 consecutive years per entity (2003-22), so year = 2003 + position in the block (the derived file's rule)."""
    src = f"(SELECT *, CAST(substr(row_id, 2) AS INTEGER) AS n FROM {read_csv(path)}) t"
    return _select("'ai_articles_scopus'", f"trim(({_parts('time_period')})[-1])", "2003 + (n - 1) % 20", "value",
                   unit, q(note), "row_id", src=src)


def ncses_articles_totals(path: Path, unit: str, note: str) -> str:
    """NCSES SPBS-91: AI articles 2003-22 totals by country, several counting columns."""
    cols = {"number_of_papers_whole_": "whole", "number_of_papers_fractional_": "fractional",
            "papers_involving_multiple_institutions_whole_": "multi_institution_whole",
            "papers_involving_only_domestic_institutions_whole_": "domestic_only_whole",
            "papers_involving_international_institutions_whole_": "international_whole"}
    ind = "'ai_articles_scopus_cumulative.' || " + field_case("col", cols)
    src = _unpivot(f"SELECT * EXCLUDE (rank, region) FROM {read_csv(path)}",
                   "COLUMNS(* EXCLUDE (table_id, row_id, region_country_or_economy))") + " t"
    return _select(ind, "region_country_or_economy", "2022", "val", unit, q(note), "row_id || ':' || col",
                   period="'2003-2022'", src=src)


def owid(path: Path, columns: dict[str, str], unit: str, note: str) -> str:
    """OWID grapher export: Entity, Code, Year, one or more value columns (each named in `columns`)."""
    ind = "CASE col " + " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in columns.items()) + " END"
    src = _unpivot(f"SELECT * FROM {read_csv(path)}", "COLUMNS(* EXCLUDE (Entity, Code, Year))") + " t"
    return _select(ind, "Entity", "Year", "val", unit, q(note), "Entity || ':' || Year || ':' || col",
                   code="Code", src=src)


def owid_columns_check(engine, path: Path, columns: dict[str, str]) -> list[str]:
    """Value columns in the file that the reader does not know (schema drift → error in the stage)."""
    cols = engine.columns(f"SELECT * FROM {read_csv(path)}")
    return [c for c in cols if c not in ("Entity", "Code", "Year") and c not in columns]


def epoch_chips(engine, path: Path, indicator: str, note: str, owner_col: bool = True) -> str:
    """Epoch AI chip counts: stock (cumulative) or quarterly additions in H100-equivalents, by owner. Owners are
    companies (attributed to their headquarters country through org_countries.csv) or the category 'China'."""
    h100 = '"Compute estimate in H100e (median)"'
    lo = '"H100e (5th percentile)"' if owner_col else '"Compute estimate in H100e (5th percentile)"'
    hi = '"H100e (95th percentile)"' if owner_col else '"Compute estimate in H100e (95th percentile)"'
    owner = '"Owner"' if owner_col else "'World'"
    cols = engine.columns(f"SELECT * FROM {read_csv(path)}")
    inc = ("CASE WHEN coalesce(\"Incomplete\", '') <> '' THEN '; incomplete last quarter' ELSE '' END"
           if "Incomplete" in cols else "''")
    notes = f"{q(note)} || '; 90% interval ' || coalesce({lo}, '?') || '-' || coalesce({hi}, '?') || ' H100e' || {inc}"
    src = f"(SELECT * FROM {read_csv(path)}) t"
    date = "strptime(\"End date\", '%m/%d/%Y')"
    etype = "CASE WHEN \"Owner\" = 'China' THEN 'place' ELSE 'org' END" if owner_col else "'place'"
    return _select(q(indicator), owner, f"year({date})", h100, "H100e", notes, '"Name"',
                   entity_type=etype, date=date, src=src)


def epoch_chips_quarters(path: Path, indicator: str, note: str) -> str:
    h100 = '"Compute estimate in H100e (median)"'
    date = "strptime(\"End date\", '%m/%d/%Y')"
    etype = "CASE WHEN \"Owner\" = 'China' THEN 'place' ELSE 'org' END"
    return _select(q(indicator), '"Owner"', f"year({date})", h100, "H100e", q(note), '"Name"',
                   entity_type=etype, date=date, src=f"(SELECT * FROM {read_csv(path)}) t")


def sec_capex(path: Path, note: str) -> str:
    """SEC XBRL capex: quarter 0 rows are annual totals (fiscal years; calendar and fiscal quarters mixed)."""
    ind = "CASE WHEN quarter = '0' THEN 'capex_annual' ELSE 'capex_quarterly' END"
    notes = f"{q(note)} || CASE WHEN quarter = '0' THEN '; annual total' ELSE '; quarter ' || quarter END"
    return _select(ind, "ticker", "year", "payments_usd", "USD", notes,
                   "ticker || ':' || year || ':Q' || quarter", entity_type="'org'",
                   period="CASE WHEN quarter = '0' THEN NULL ELSE year || '-Q' || quarter END",
                   src=f"(SELECT * FROM {read_csv(path)}) t")


def cset_office_year(path: Path, note: str) -> str:
    """Derived CSET/1790 counts: AI patent documents per issuing office (ISO2 code or EP/WO…) and priority year."""
    src = _unpivot(f"SELECT * FROM {read_csv(path)}", "documents, granted_documents") + " t"
    ind = "CASE col WHEN 'documents' THEN 'ai_patent_documents_by_office' ELSE 'ai_patent_granted_documents_by_office' END"
    return _select(ind, "Publication_country", "Priority_Year", "val", "documents", q(note),
                   "Publication_country || ':' || Priority_Year || ':' || col", code="Publication_country",
                   entity_type="'office'", src=src)
