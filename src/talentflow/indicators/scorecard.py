"""The US–China scorecard: for each indicator family, the latest value per country, the US:CN ratio, the trend,
the source dataset and the year — computed from the built tables, never typed in.

`scorecard(engine)` returns long rows (one per indicator and country) that the CLI, the report and the claims
document share. Which series represents a family, and up to which year it is complete, is declared in `SPECS`
below (reviewable): e.g. model counts stop at the last full year before the list's snapshot date.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import NotBuilt, UnknownValue

FAMILIES = ("stem_graduates", "tertiary_education", "ai_patents", "ai_models", "training_compute_cost",
            "leaderboards", "ai_investment", "compute_holdings", "ai_publications")


@dataclass(frozen=True)
class Spec:
    family: str
    indicator: str
    label: str
    datasets: tuple[str, ...] = ()  # preference order when several files give the same indicator-year
    max_year: int | None = None  # last complete year (later years are partial or projections)
    trend_years: int = 5
    sum_entities: bool = False  # several entities per country (chip owners, SEC filers): sum them
    coverage: str | None = None  # indicator giving the number of observations behind the value (same year)
    note: str = ""


_N = "indicators/stem_graduates/"
SPECS: tuple[Spec, ...] = (
    Spec("stem_graduates", "first_degrees.se", "S&E first university degrees",
         (_N + "ncses_SHED-11_5785.csv", _N + "ncses_S2-15_1571.csv"),
         note="NSB: S&E includes social and behavioural sciences, excludes health; latest public year 2018"),
    Spec("stem_graduates", "first_degrees.se.eng", "Engineering first university degrees",
         (_N + "ncses_SHED-11_5785.csv", _N + "ncses_S2-15_1571.csv")),
    Spec("stem_graduates", "first_degrees.all", "First university degrees, all fields",
         (_N + "ncses_SHED-11_5785.csv", _N + "ncses_S2-15_1571.csv")),
    Spec("stem_graduates", "doctorates.se", "S&E doctoral degrees",
         (_N + "ncses_SHED-12_5786.csv", _N + "ncses_S2-16_1572.csv")),
    Spec("stem_graduates", "us_doctorates_temp_visa.se", "US S&E research doctorates earned by temporary-visa "
         "holders, by citizenship", note="a count of the citizenship country's students in the US"),
    Spec("stem_graduates", "us_doctorates_temp_visa_stay.pct_intend_stay",
         "% of temporary-visa US doctorate recipients intending to stay in the US"),
    Spec("tertiary_education", "tertiary_ger", "Tertiary gross enrolment ratio (UIS)", max_year=2025),
    Spec("tertiary_education", "tertiary_attainment_share_25_64", "Adults 25-64 with tertiary education (Lee-Lee)",
         max_year=2020, trend_years=30, note="5-year steps; later years are projections; label meaning unverified"),
    Spec("ai_patents", "ai_patent_applications", "AI patent applications (CSET via OWID)"),
    Spec("ai_patents", "granted_ai_patents_cumulative", "Granted AI patents 2000-22, inventor-based (NCSES)"),
    Spec("ai_patents", "ai_patent_documents_by_office", "AI patent documents by issuing office (CSET/1790)",
         max_year=2018, note="office, not applicant nationality; priority years after 2018 truncated by "
                             "publication lag"),
    Spec("ai_models", "notable_models", "Notable AI models published (Epoch)", max_year=2025,
         note="a model counts for each country among its organizations; 2026 partial in the 2026-07 snapshot"),
    Spec("ai_models", "large_scale_models", "Large-scale (>1e23 FLOP) models published (Epoch)", max_year=2024,
         note="the 2025-12 snapshot lists models to 2025-10; 2024 is the last full year"),
    Spec("ai_models", "large_scale_models_cumulative", "Large-scale AI systems since 2019, cumulative (OWID)"),
    Spec("ai_models", "frontier_models", "Frontier models published (Epoch)", max_year=2025),
    Spec("training_compute_cost", "notable_models_max_training_compute", "Largest training compute of a notable "
         "model that year (FLOP)", max_year=2025),
    Spec("training_compute_cost", "notable_models_median_training_cost", "Median training cost of notable models "
         "with an estimate (2023 USD)", max_year=2025, coverage="notable_models_with_training_cost",
         note="cost estimated for a minority of models"),
    Spec("ai_investment", "private_ai_investment", "Private AI investment (CSET via OWID, USD)", max_year=2024),
    Spec("ai_investment", "ai_venture_capital", "AI venture capital (NCSES, million USD)"),
    Spec("ai_investment", "ai_vc_deals", "AI deals financed by venture capital (NCSES)"),
    Spec("ai_investment", "capex_annual", "Capital expenditure of US hyperscalers in the file (SEC XBRL, USD)",
         sum_entities=True, note="LOW QUALITY: only Alphabet and Amazon have annual rows; no Chinese firms"),
    Spec("compute_holdings", "ai_chip_stock_h100e.nvidia", "Nvidia AI-chip stock since 2022 (H100e, Epoch)",
         sum_entities=True, note="US = Microsoft, Meta, Amazon, Google, Oracle only; China is an owner category"),
    Spec("ai_publications", "ai_publications_cset", "AI scholarly publications (CSET via OWID)"),
    Spec("ai_publications", "ai_articles_scopus", "AI articles in Scopus (NCSES)",
         note="year inferred from row position in the extract"),
)

LEADERBOARD_TOP_N = 10
_LB_CATEGORIES = ("overall", "full", "intelligence_index")


def _require(engine) -> None:
    for t in ("indicators", "leaderboard_entries"):
        if not engine.table_exists(t):
            raise NotBuilt(f"Table {t!r} is missing: the indicators stage has not been built into this database.")


def _series(engine, spec: Spec, countries: tuple[str, ...]) -> dict[str, list[dict]]:
    """Per country: (year or date, value, source…) rows of one indicator, best dataset per period first."""
    marks = ", ".join("?" for _ in countries)
    pref = " ".join(f"WHEN ? THEN {i}" for i, _ in enumerate(spec.datasets))
    order = f"CASE source_dataset {pref} ELSE 99 END" if spec.datasets else "0"
    value = "sum(value)" if spec.sum_entities else "any_value(value)"
    ents = "string_agg(DISTINCT entity_raw, ', ' ORDER BY entity_raw)"
    sql = f"""
        WITH ranked AS (
            SELECT *, min({order}) OVER (PARTITION BY country, year, date) AS best, {order} AS pref
            FROM indicators WHERE indicator = ? AND country IN ({marks}) AND (? IS NULL OR year <= ?))
        SELECT country, year, date, period, {value} AS value, any_value(unit) AS unit,
               any_value(source_dataset) AS source, any_value(license) AS license, {ents} AS entities,
               count(*) AS n_rows, string_agg(record_key, ' | ') AS record_keys
        FROM ranked WHERE pref = best GROUP BY country, year, date, period ORDER BY country, year, date"""
    params = [*spec.datasets, *spec.datasets, spec.indicator, *countries, spec.max_year, spec.max_year] \
        if spec.datasets else [spec.indicator, *countries, spec.max_year, spec.max_year]
    out: dict[str, list[dict]] = {c: [] for c in countries}
    for r in engine.query_dicts(sql, params):
        out[r["country"]].append(r)
    if spec.sum_entities:  # compare like with like: keep only periods where a country's full set of owners reports
        for c, rows in out.items():
            if rows:
                full = max(r["n_rows"] for r in rows)
                out[c] = [r for r in rows if r["n_rows"] == full]
    return out


def _trend(rows: list[dict], years: int) -> tuple[float | None, int | None]:
    """Average annual growth from the value `years` before the latest (or the earliest after that) to the latest."""
    if len(rows) < 2 or rows[-1]["year"] is None:
        return None, None
    last = rows[-1]
    base = [r for r in rows if r["year"] is not None and r["year"] >= last["year"] - years and r["year"] < last["year"]]
    if not base or not base[0]["value"] or not last["value"]:
        return None, None
    b = base[0]
    span = last["year"] - b["year"]
    if b["value"] <= 0 or last["value"] <= 0 or span <= 0:
        return None, b["year"]
    return (last["value"] / b["value"]) ** (1 / span) - 1, b["year"]


def scorecard(engine, countries: tuple[str, ...] = ("US", "CN"), families: tuple[str, ...] | None = None,
              top_n: int = LEADERBOARD_TOP_N) -> list[dict]:
    """Long rows: family, indicator, label, country, value, unit, year, date, period, source, license,
    us_cn_ratio (first country : second), trend_per_year, trend_from_year, same_year, notes."""
    _require(engine)
    if families:
        for f in families:
            if f not in FAMILIES:
                raise UnknownValue("family", f, list(FAMILIES))
    rows: list[dict] = []
    for spec in SPECS:
        if families and spec.family not in families:
            continue
        series = _series(engine, spec, countries)
        latest = {c: (s[-1] if s else None) for c, s in series.items()}
        a, b = (latest.get(countries[0]), latest.get(countries[1])) if len(countries) > 1 else (None, None)
        ratio = (a["value"] / b["value"]) if a and b and b["value"] else None
        same = bool(a and b and (a["year"], a["date"]) == (b["year"], b["date"]))
        for c in countries:
            r = latest[c]
            tr, tr_from = _trend(series[c], spec.trend_years) if r else (None, None)
            notes = spec.note
            if r and spec.sum_entities:
                notes = f"{notes}; sum of {r['entities']}".strip("; ")
            if r and spec.coverage:
                n = engine.scalar("SELECT value FROM indicators WHERE indicator = ? AND country = ? AND year = ?",
                                  [spec.coverage, c, r["year"]])
                notes = f"{notes}; based on {n or 0:.0f} model(s)".strip("; ")
            rows.append({
                "family": spec.family, "indicator": spec.indicator, "label": spec.label, "country": c,
                "value": r["value"] if r else None, "unit": r["unit"] if r else None,
                "year": r["year"] if r else None, "date": str(r["date"]) if r and r["date"] else None,
                "period": r["period"] if r else None, "source": r["source"] if r else None,
                "license": r["license"] if r else None, "record_key": r["record_keys"] if r else None,
                "us_cn_ratio": ratio, "same_year": same, "trend_per_year": tr, "trend_from_year": tr_from,
                "notes": notes if r else "no data for this country"})
    if not families or "leaderboards" in families:
        rows.extend(leaderboard_rows(engine, countries, top_n))
    return rows


def leaderboard_standing(engine, top_n: int = LEADERBOARD_TOP_N, leaderboard: str | None = None,
                         date: str | None = None) -> list[dict]:
    """Top-N counts by country for every leaderboard snapshot (or one): the grain behind the scorecard rows.
    Position = order by score within leaderboard, category and date (ties by model name); model variants
    (e.g. thinking / non-thinking) count separately, as the leaderboards list them."""
    cats = ", ".join(f"'{c}'" for c in _LB_CATEGORIES)
    sql = f"""
        SELECT leaderboard, category, date, coalesce(country, '(unresolved)') AS country, count(*) AS n,
               any_value(source_dataset) AS source, any_value(license) AS license
        FROM leaderboard_entries
        WHERE category IN ({cats}) AND position <= ? AND (? IS NULL OR leaderboard = ?)
              AND (? IS NULL OR date = CAST(? AS DATE))
        GROUP BY ALL ORDER BY leaderboard, date, n DESC, country"""
    return engine.query_dicts(sql, [top_n, leaderboard, leaderboard, date, date])


def leaderboard_rows(engine, countries: tuple[str, ...], top_n: int) -> list[dict]:
    standing = leaderboard_standing(engine, top_n)
    by_board: dict[str, dict] = {}
    for r in standing:
        by_board.setdefault(r["leaderboard"], {}).setdefault(r["date"], {})[r["country"]] = r
    rows = []
    for board, dates in sorted(by_board.items()):
        last, first = max(dates), min(dates)
        counts = {c: dates[last].get(c, {}).get("n", 0) for c in countries}
        others = {k: v["n"] for k, v in dates[last].items() if k not in countries}
        src = next(iter(dates[last].values()))
        ratio = (counts[countries[0]] / counts[countries[1]]) if len(countries) > 1 and counts[countries[1]] else None
        for c in countries:
            then = dates[first].get(c, {}).get("n", 0)
            rows.append({
                "family": "leaderboards", "indicator": f"leaderboard_top{top_n}.{board}",
                "label": f"Models in the top {top_n} of {board}", "country": c, "value": counts[c],
                "unit": "models", "year": last.year, "date": str(last), "period": None, "source": src["source"],
                "license": src["license"], "record_key": f"{board}@{last}", "us_cn_ratio": ratio, "same_year": True,
                "trend_per_year": None, "trend_from_year": first.year,
                "notes": f"{then} at the first snapshot ({first}); rest of top {top_n} at {last}: "
                         + (", ".join(f"{k} {v}" for k, v in sorted(others.items())) or "none")})
    return rows


def wide(rows: list[dict], countries: tuple[str, ...] = ("US", "CN")) -> list[dict]:
    """One line per indicator with each country's value and year side by side (the table view)."""
    out: dict[str, dict] = {}
    for r in rows:
        w = out.setdefault(r["indicator"], {"family": r["family"], "indicator": r["indicator"], "label": r["label"]})
        when = r["date"] if r["family"] in ("leaderboards", "compute_holdings") else (r["period"] or r["year"])
        w[f"{r['country']}"] = r["value"]
        w[f"{r['country']} when"] = when
        w["ratio"] = r["us_cn_ratio"]
        w.setdefault("source", r["source"])
        if r["trend_per_year"] is not None:
            w[f"{r['country']} trend/yr"] = r["trend_per_year"]
    cols = ["family", "indicator", "label"] + [x for c in countries for x in (c, f"{c} when", f"{c} trend/yr")] \
        + ["ratio", "source"]
    return [{c: w.get(c) for c in cols} for w in out.values()]
