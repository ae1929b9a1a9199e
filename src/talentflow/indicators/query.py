"""Library queries over the built indicator tables (the CLI and the report call these with an engine)."""

from __future__ import annotations

import difflib
from pathlib import Path

from ..errors import NotBuilt, UnknownValue
from ..limits import check_int

ROW_COLUMNS = ("indicator", "country", "entity_raw", "year", "date", "period", "value", "unit", "source",
               "license", "notes", "record_key")


def open_built(settings):
    """Read-only engine on the built database; NotBuilt when the file or the indicators tables are absent."""
    from ..engine import connect

    db = Path(settings.db_path)
    if not db.exists():
        raise NotBuilt(f"No database at {db}.")
    eng = connect(settings, db, read_only=True)
    if not eng.table_exists("indicators"):
        eng.close()
        raise NotBuilt(f"{db} has no indicators table: the indicators stage has not run.")
    return eng


def indicator_ids(engine) -> list[dict]:
    return engine.query_dicts(
        "SELECT indicator, any_value(unit) AS unit, count(*) AS rows, count(DISTINCT country) AS countries, "
        "min(year) AS first_year, max(year) AS last_year, string_agg(DISTINCT source_dataset, ' | ') AS sources "
        "FROM indicators GROUP BY 1 ORDER BY 1")


def _check_indicators(engine, indicators: list[str]) -> None:
    known = [r[0] for r in engine.query("SELECT DISTINCT indicator FROM indicators")]
    families = {k.split(".")[0] for k in known}
    for ind in indicators:
        if ind not in known and ind not in families and not any(k.startswith(ind + ".") for k in known):
            raise UnknownValue("indicator", ind, sorted(known))


def _check_countries(engine, countries: list[str]) -> None:
    known = [r[0] for r in engine.query("SELECT DISTINCT country FROM indicators WHERE country IS NOT NULL")]
    for c in countries:
        if c not in known:
            close = difflib.get_close_matches(c, known, n=3)
            raise UnknownValue("country (ISO 3166-1 alpha-2)", c, sorted(known) if not close else close + sorted(known))


def indicator_rows(engine, countries: list[str] | None = None, indicators: list[str] | None = None,
                   year: int | None = None, latest: bool = False, limit: int | None = None) -> list[dict]:
    """Rows of `indicators` filtered by ISO2 countries and indicator ids (an id also selects its sub-indicators:
    `first_degrees` → first_degrees.se, first_degrees.se.eng…). `latest` keeps the most recent year/date per
    indicator, country and source."""
    if limit is not None:
        check_int("limit", limit, 1, 10_000_000)  # 0 or a negative LIMIT was a SQL error (or every row)
    countries = [c.strip().upper() for c in countries or [] if c.strip()]
    indicators = [i.strip() for i in indicators or [] if i.strip()]
    if countries:
        _check_countries(engine, countries)
    if indicators:
        _check_indicators(engine, indicators)
    where, params = ["1=1"], []
    if countries:
        where.append(f"country IN ({', '.join('?' for _ in countries)})")
        params += countries
    if indicators:
        where.append("(" + " OR ".join("indicator = ? OR indicator LIKE ? || '.%'" for _ in indicators) + ")")
        for i in indicators:
            params += [i, i]
    if year is not None:
        where.append("year = ?")
        params.append(year)
    sql = (f"SELECT indicator, country, entity_raw, year, date, period, value, unit, source_dataset AS source, "
           f"license, notes, record_key FROM indicators WHERE {' AND '.join(where)}")
    if latest:
        cols = ", ".join(ROW_COLUMNS)
        sql = (f"SELECT {cols} FROM (SELECT *, row_number() OVER (PARTITION BY indicator, country, entity_raw, "
               f"source ORDER BY year DESC NULLS LAST, date DESC NULLS LAST) AS rn FROM ({sql}) x) y WHERE rn = 1")
    sql += " ORDER BY indicator, country NULLS LAST, entity_raw, year, date, source"
    if limit:
        sql += f" LIMIT {int(limit)}"
    rows = engine.query_dicts(sql, params)
    for r in rows:
        if r["date"] is not None:
            r["date"] = str(r["date"])
    return rows
