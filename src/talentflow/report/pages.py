"""What the report says: one function per page, each returning a `Page` of sections (text, charts, tables).

Every number comes through `MetricSource` (validated, cached, suppressed); every chart carries the footer of
the datasets it rests on. A section whose metric cannot be computed shows why instead of a number.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable

from ..errors import NotBuilt, TalentflowError
from ..metrics.claims import MIN_COVERAGE, MIN_N
from . import charts as ch
from . import labels as lb
from . import provenance
from . import tables
from .charts import Chart, country_name
from .privacy import SUPPRESSED, protect_basis
from .source import Filters, MetricSource

# The headline population: MacroPolo's "top-tier" (authors of accepted NeurIPS 2022 papers).
HEADLINE = Filters(venue="nips", year=2022, tier="accepted")
ELITE_TIER = "oral"


@dataclass
class Table:
    title: str
    rows: list[dict]
    columns: list[str] = field(default_factory=list)
    footer: str = ""
    people: bool = True  # rows count people: checked against the privacy rule (False: papers, files, records)
    csv: str = ""  # relative path of the CSV download, filled by the site writer
    view: str | list | None = None  # the short view shown first (labels.toml [views]); None: every column
    headers: dict | None = None  # header overrides for this table

    def __post_init__(self):
        if not self.columns and self.rows:
            self.columns = list(self.rows[0].keys())


@dataclass
class Section:
    title: str
    text: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    cards: list[dict] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


@dataclass
class Page:
    slug: str
    title: str
    intro: str = ""
    sections: list[Section] = field(default_factory=list)


@dataclass
class Ctx:
    eng: object
    src: MetricSource | None
    metrics_error: str | None
    min_cell: int
    country_min: int
    errors: list[str] = field(default_factory=list)
    _footers: dict = field(default_factory=dict)

    def footer(self, f: Filters | None) -> str:
        key = (f.venue, f.year, f.years) if f else None
        if key not in self._footers:
            self._footers[key] = provenance.footer(provenance.origins(self.eng, f))
        return self._footers[key]

    def section(self, title: str, build: Callable[[Section], None], text: list[str] | None = None) -> Section:
        """Run `build` on a new section; a metric failure becomes the section's visible error."""
        s = Section(title, text=list(text or []))
        if self.src is None:
            s.error = f"Metrics unavailable: {self.metrics_error}"
            return s
        try:
            build(s)
        except TalentflowError as e:
            s.error = f"{e}" + (f" ({e.hint})" if e.hint else "")
            self.errors.append(f"{title}: {s.error}")
        except Exception as e:  # a failing metric must not take the rest of the report down; reported, and
            s.error = f"Could not compute this section: {type(e).__name__}: {e}"  # --strict fails the build
            self.errors.append(f"{title}: {s.error}")
        return s

    def chart(self, c: Chart, f: Filters | None, note: str = "", stage: str | None = None,
              dash: bool = True) -> Chart:
        """Footer and source line; the definitions the chart uses beside it; the same view in the dashboard."""
        defs = [lb.stage_definition(stage)] if stage else []
        if stage in ("work", "current") or stage is None:
            defs.append(lb.attribution_definition(f.attribution if f else None))
        c.note = " ".join([note] + defs).strip()
        if dash:
            c.dash = lb.query_string(f, stage)
        return ch.caption(c, self.footer(f))


def _adapt(src: MetricSource, f: Filters) -> Filters:
    """Drop filter values the library does not offer (e.g. a tier name), so pages degrade to the nearest query."""
    allowed = src.allowed()
    keep = {}
    for k, v in f.__dict__.items():
        if v is None:
            continue
        vals = allowed.get(k)
        if vals is None or v in vals or str(v) in {str(a) for a in vals}:
            keep[k] = v
    return Filters(**keep)


def _find(rows: list[dict], key: str, value: str) -> dict | None:
    return next((r for r in rows if r.get(key) == value), None)


def _coverage(row: dict | None):
    """Share of the population whose stage value is known (the library's n_observed / n_people)."""
    return tables.coverage(row) if row else None


KNOWN = {"origin": "undergraduate country", "graduate": "graduate-school country", "work": "workplace country",
         "current": "affiliation country"}


def _basis(row: dict | None, stage: str) -> tuple[str, bool]:
    """What a headline rests on, in words for its main line, and whether that is too small or too selected a
    group to speak for the population (the claims' rule: ≥ MIN_N people and ≥ MIN_COVERAGE of it)."""
    if not row or row.get("n") is None:
        return "", False
    n, people, cov = row["n"], row.get("n_people") or 0, _coverage(row)
    text = f"rests on the {n:,} of {people:,} researchers whose {KNOWN.get(stage, stage)} is known"
    if cov is not None:
        text += f" ({100 * cov:.1f}%)"
    return text, n < MIN_N or (cov is not None and cov < MIN_COVERAGE)


def _card(label: str, row: dict | None, f: Filters, stage: str, alt: dict | None = None) -> dict:
    basis, weak = _basis(row, stage)
    return {"label": label, "basis": basis, "weak": weak, "alt": alt if weak else None, "share": row.get("share") if row else None, "ci_low": row.get("ci_low") if row else None,
            "ci_high": row.get("ci_high") if row else None, "count": row.get("count") if row else None,
            "n": row.get("n") if row else None, "coverage": _coverage(row), "query": lb.describe(f),
            "stage": stage, "suppressed": bool(row and row.get("suppressed")),
            # where the observed values came from: papers, or dated career histories (profiles, ORCID)
            "n_observed_paper": row.get("n_observed_paper") if row else None,
            "n_observed_profile": row.get("n_observed_profile") if row else None,
            "n_proxy": row.get("n_proxy") if row else None}


# ---- pages --------------------------------------------------------------------------------------------------

def overview(c: Ctx) -> Page:
    p = Page("index", "Overview", "Where the researchers publishing at top AI conferences studied and where they "
             "work. Shares are of people, with 95% bootstrap confidence intervals and the coverage they rest on.")

    def headline(s: Section):
        f = _adapt(c.src, HEADLINE)
        origin = c.src.shares(c.eng, f, "origin")
        work = c.src.shares(c.eng, f, "work")
        graduate = c.src.shares(c.eng, f, "graduate")

        def alt(code: str) -> dict | None:
            # the nearest quantity with far more support: where the same researchers did graduate study
            r = _find(graduate, "country", code)
            if not r or r.get("share") is None or r.get("suppressed"):
                return None
            return {"label": f"Graduate study in {lb.country(code)}", "share": r["share"], "ci_low": r["ci_low"],
                    "ci_high": r["ci_high"], "basis": _basis(r, "graduate")[0]}

        s.cards = [
            _card("Share of NeurIPS 2022 top-tier researchers with a Chinese undergraduate origin",
                  _find(origin, "country", "CN"), f, "origin", alt("CN")),
            _card("Share of NeurIPS 2022 top-tier researchers working in the US", _find(work, "country", "US"), f,
                  "work"),
            _card("Share of NeurIPS 2022 top-tier researchers with a US undergraduate origin",
                  _find(origin, "country", "US"), f, "origin", alt("US")),
            _card("Share of NeurIPS 2022 top-tier researchers working in China", _find(work, "country", "CN"), f,
                  "work"),
        ]
        hq = _adapt(c.src, Filters(**{**HEADLINE.__dict__, "attribution": "hq"}))
        s.charts += [c.chart(ch.share_bars("overview-origin", f"Undergraduate origin · {lb.describe(f)}", origin,
                                           stage="origin"), f, stage="origin"),
                     c.chart(ch.share_bars("overview-work", f"Workplace · {lb.describe(f)}", work, stage="work"), f,
                             stage="work")]
        if hq.attribution == "hq":  # the same workplace under MacroPolo's rule (employer's headquarters)
            s.charts.append(c.chart(ch.share_bars("overview-work-hq", f"Workplace · {lb.describe(hq)}",
                                                  c.src.shares(c.eng, hq, "work"), stage="work"), hq, stage="work"))
        s.links = [("claims.html", "The talent claims, checked"), ("maps.html", "World maps"),
                   ("flows.html", "Origin → graduate → work"),
                   ("macropolo.html", "Comparison with MacroPolo")]

    histories = c.eng.table_exists("profile_history") and bool(c.eng.scalar("SELECT count(*) FROM profile_history"))
    caution = ("Caution on origin: conference data show an undergraduate institution only for authors who were "
               "undergraduates when they published — a small, young group (see the coverage under each card), "
               "and no career histories (OpenReview profiles, ORCID) are synced into this build. Origin shares "
               "therefore describe that group, not every author's past degree as MacroPolo's hand-coded sample "
               "did; see Methodology and the MacroPolo comparison." if not histories else
               "Origin comes from synced career histories (OpenReview profiles, ORCID) and from papers written as "
               "undergraduates; each card says how many of its observed values came from each. People without a "
               "public history are unknown, not guessed; see Methodology.")
    p.sections.append(c.section("Headline numbers", headline, [
        "Top tier = authors of accepted main-conference papers (MacroPolo's definition). "
        + lb.stage_definition("origin") + " " + lb.stage_definition("work") + " "
        + lb.attribution_definition("location") + " " + lb.attribution_definition("hq"), caution]))
    return p


def maps(c: Ctx) -> Page:
    p = Page("maps", "World maps", "Shares of researchers by undergraduate-origin country and by workplace country.")
    for title, f in (("NeurIPS 2022, top tier", HEADLINE), ("All venues, all years", Filters())):
        def build(s: Section, f=f, title=title):
            f = _adapt(c.src, f)
            for stage, what in (("origin", "Undergraduate origin"), ("work", "Workplace")):
                rows = c.src.shares(c.eng, f, stage)
                s.charts.append(c.chart(ch.world_map(f"map-{stage}-{f.venue or 'all'}-{f.year or 'all'}",
                                                     f"{what} · {lb.describe(f)}", rows, stage=stage), f,
                                        stage=stage))
        p.sections.append(c.section(title, build))
    return p


def flows(c: Ctx) -> Page:
    p = Page("flows", "Origin → graduate → work", "How researchers move between countries from undergraduate "
             "study to graduate school to their workplace.")
    for title, f in (("NeurIPS 2022, top tier", HEADLINE), ("All venues, all years", Filters())):
        def build(s: Section, f=f, title=title):
            f = _adapt(c.src, f)
            legs = [("origin", "graduate", c.src.flows(c.eng, f, "origin", "graduate", intervals=False)),
                    ("graduate", "work", c.src.flows(c.eng, f, "graduate", "work", intervals=False))]
            s.charts.append(c.chart(ch.sankey(f"sankey-{f.venue or 'all'}-{f.year or 'all'}",
                                              f"Origin → graduate school → workplace · {lb.describe(f)}", legs), f,
                                    note="Each leg counts the researchers whose two stages are both known, so a "
                                         "node's inflow and outflow can differ; small links are pooled into "
                                         "'Other (small countries)'. " + lb.stage_definition("origin") + " "
                                         + lb.stage_definition("graduate") + " " + lb.stage_definition("work")))
        p.sections.append(c.section(title, build))
    return p


def trends(c: Ctx) -> Page:
    p = Page("trends", "Trends over years", "Shares of the largest countries per year, with 95% intervals.")
    for venue in ("nips", None):
        for stage, what in (("origin", "undergraduate origin"), ("work", "workplace")):
            def build(s: Section, venue=venue, stage=stage):
                f = _adapt(c.src, Filters(venue=venue, tier=HEADLINE.tier))
                rows = c.src.trend(c.eng, f, stage)
                s.charts.append(c.chart(ch.trend_lines(f"trend-{stage}-{venue or 'all'}",
                                                       f"{what.capitalize()} by year · {lb.describe(f)}", rows,
                                                       stage=stage), f, stage=stage))
            p.sections.append(c.section(f"{'NeurIPS' if venue else 'All venues'}: {what}", build))
    return p


def country_list(c: Ctx) -> list[str]:
    """Countries with at least `country_min` researchers (origin or work), all venues and years."""
    if c.src is None:
        return []
    out: set[str] = set()
    try:
        for stage in ("origin", "work"):
            for r in c.src.shares(c.eng, Filters(), stage):
                if r.get("country") not in (None, SUPPRESSED) and (r.get("count") or 0) >= c.country_min:
                    out.add(r["country"])
    except TalentflowError as e:
        c.errors.append(f"country list: {e}")
    return sorted(out)


def countries_index(c: Ctx, codes: list[str]) -> Page:
    p = Page("countries", "Countries", f"One page per country with at least {c.country_min} researchers "
             "(origin or workplace, all venues and years).")
    s = Section("Country pages", links=[(f"country-{k}.html", f"{country_name(k)} ({k})") for k in codes])
    if not codes:
        s.error = f"No country page: {c.metrics_error or 'no country above the threshold'}"
    p.sections.append(s)
    return p


def country_page(c: Ctx, code: str) -> Page:
    name = country_name(code)
    p = Page(f"country-{code}", name, f"{name}: origin and workplace shares over time, flows in and out, "
             "retention and the institutions where its researchers work.")
    base = _adapt(c.src, Filters(tier=HEADLINE.tier))

    def shares_build(s: Section):
        for stage in ("origin", "work"):  # one all-country trend per stage (cached), filtered here
            rows = [r for r in c.src.trend(c.eng, base, stage) if r.get("country") == code]
            s.charts.append(c.chart(ch.trend_lines(f"c-{code}-trend-{stage}", f"{name}: {lb.stage(stage).lower()} "
                                                   f"share by year · {lb.describe(base)}", rows, stage=stage),
                                    Filters(**{**base.__dict__, "country": code}), stage=stage))

    def flows_build(s: Section):
        rows = c.src.flows(c.eng, base, "origin", "work", intervals=False)
        if rows:
            from ..metrics.contract import FLOW_FROM as a, FLOW_TO as b

            cols = [a, b, "count", "share", "n"]
            out = [{k: r.get(k) for k in cols} for r in rows if r[a] == code and r[b] != code]
            inn = [{k: r.get(k) for k in cols} for r in rows if r[b] == code and r[a] != code]
            s.tables.append(Table(f"Researchers of {name} origin working abroad (share of {name}-origin "
                                  "researchers)", sorted(out, key=lambda r: -(r.get("count") or 0))[:15],
                                  footer=c.footer(base), view="flows"))
            s.tables.append(Table(f"Researchers working in {name} with a foreign origin (share of their origin "
                                  "country's researchers)", sorted(inn, key=lambda r: -(r.get("count") or 0))[:15],
                                  footer=c.footer(base), view="flows"))

    def retention_build(s: Section):
        rows = [r for r in c.src.retention(c.eng, base) if r.get("country") == code]
        s.tables.append(Table(f"Retention: {name}-trained graduates working in {name}", rows, footer=c.footer(base),
                              view="retention"))

    def inst_build(s: Section):
        rows = [r for r in c.src.institutions(c.eng, base, "work", limit=300, intervals=False)
                if r.get("country") == code][:20]
        s.charts.append(c.chart(ch.ranking_bars(f"c-{code}-inst", f"Top workplaces in {name} · {lb.describe(base)}",
                                                rows), Filters(**{**base.__dict__, "country": code}), stage="work"))

    p.sections += [c.section("Shares over time", shares_build), c.section("Flows in and out", flows_build),
                   c.section("Retention", retention_build), c.section("Top institutions", inst_build)]
    return p


def institutions(c: Ctx) -> Page:
    rolled = "rollup" in c.src.allowed() if c.src else False
    p = Page("institutions", "Institution rankings", "Institutions by number of researchers (people, not papers)."
             + (" Each ranking is shown twice: as the affiliations name the institutions, and rolled up. "
                + lb.ROLLUP_DEFINITION if rolled else ""))
    for stage, what in (("work", "Workplaces"), ("origin", "Undergraduate institutions")):
        for title, f in (("NeurIPS 2022, top tier", HEADLINE), ("All venues, all years", Filters())):
            def build(s: Section, f=f, stage=stage, what=what, title=title):
                f = _adapt(c.src, f)
                rows = c.src.institutions(c.eng, f, stage, limit=25, intervals=False)
                s.charts.append(c.chart(ch.ranking_bars(f"inst-{stage}-{f.venue or 'all'}",
                                                        f"{what} · {lb.describe(f)}", rows), f, stage=stage,
                                        dash=stage == "work"))  # the dashboard ranks workplaces
                if rolled:  # the same ranking with every institution under its ultimate parent organisation
                    up = c.src.institutions(c.eng, f, stage, limit=25, intervals=False, rollup="parent")
                    same = [(r["institution"], r["count"]) for r in up] == \
                        [(r["institution"], r["count"]) for r in rows]
                    note = lb.ROLLUP_DEFINITION + (" Here the roll-up changes none of these rows: the ranking is the "
                                                   "one above." if same else "")
                    rc = c.chart(ch.ranking_bars(f"inst-{stage}-{f.venue or 'all'}-parent",
                                                 f"{what}, rolled up to parent organisations · {lb.describe(f)}", up),
                                 f, note=note, stage=stage, dash=stage == "work")
                    if rc.dash:
                        rc.dash += "&rollup=parent"
                    s.charts.append(rc)
            p.sections.append(c.section(f"{what}: {title}", build))
    return p


def _by_filter(c: Ctx, field_name: str, values: list, stage: str, top: list[str]) -> list[dict]:
    rows = []
    for v in values:
        f = _adapt(c.src, Filters(**{field_name: v}))
        for r in c.src.shares(c.eng, f, stage, intervals=False):  # grouped bars show shares, not intervals
            if r.get("country") in top:
                rows.append({field_name: v, **r})
    return rows


def subfields(c: Ctx) -> Page:
    p = Page("subfields", "Subfields", "Origin and workplace shares by research subfield (generative AI, robotics "
             "and humanoids, vision, language, …), all venues and years.")
    for stage in ("origin", "work"):
        def build(s: Section, stage=stage):
            vals = c.src.allowed().get("subfield", [])
            rows = _by_filter(c, "subfield", vals, stage, ["CN", "US", "IN", "GB", "DE"])
            s.charts.append(c.chart(ch.grouped_bars(f"subfield-{stage}", f"{lb.stage(stage)} share by subfield · "
                                                    f"{lb.describe(Filters())}", rows, "subfield", "country"),
                                    None, stage=stage, dash=False))
        p.sections.append(c.section(f"{lb.stage(stage)} by subfield", build))
    return p


def tiers(c: Ctx) -> Page:
    p = Page("tiers", "Tiers", "Accepted, spotlight and oral papers' authors compared. Tiers exist only where a "
             "venue-year labels them (see the availability table).")
    for stage in ("origin", "work"):
        def build(s: Section, stage=stage):
            vals = c.src.allowed().get("tier", [])
            rows = _by_filter(c, "tier", vals, stage, ["CN", "US", "IN", "GB", "DE"])
            s.charts.append(c.chart(ch.grouped_bars(f"tier-{stage}", f"{lb.stage(stage)} share by tier · all venues "
                                                    "· all years · location rule", rows, "tier", "country"), None,
                                    stage=stage, dash=False))
        p.sections.append(c.section(f"{lb.stage(stage)} by tier", build))
    if c.eng.table_exists("tier_availability"):
        rows = c.eng.query_dicts("SELECT venue, year, scheme, accepted, spotlight, oral, note FROM tier_availability "
                                 "ORDER BY venue, year")
        p.sections.append(Section("Which venue-years label which tier", tables=[
            Table("Tier availability", rows, people=False, view="tier_availability")]))
    return p


def cohorts(c: Ctx) -> Page:
    p = Page("cohorts", "Cohort re-checks", "Where a cohort is now: e.g. researchers with a Chinese undergraduate "
             "degree working in the US at NeurIPS 2019, located again in their latest papers (compare Carnegie "
             "Endowment 2025: 87 of 100 still in the US, 10 in China, 3 elsewhere).")

    where_now = ("Where now: the country of the member's affiliation on their latest paper in any later year; "
                 "'not seen since' = no later paper found.")
    carnegie = " ".join([lb.stage_definition("origin"), "Working in the US at the cohort year: "
                         + lb.stage_definition("work").removeprefix("Workplace: "), where_now])

    def cohort_chart(cid: str, title: str, rows: list[dict]) -> Chart:
        n = next((r["n"] for r in rows if r.get("n")), None)
        return ch.share_bars(cid, title, rows, key="whereabouts", x_title="share of the cohort (%)",
                             subtitle=[f"n = {n:,} researchers in the cohort, found again or not"] if n else None)

    def build(s: Section):
        f = _adapt(c.src, Filters(venue="nips", year=2019))
        rows = c.src.cohort(c.eng, f, origin="CN", work="US")
        from ..metrics import MetricQuery, cohort_basis, explain_cohort

        cc = cohort_chart("cohort-carnegie", "NeurIPS 2019 researchers of Chinese origin working in the US: where "
                          f"they are at their latest paper · {lb.describe(f)}", rows)
        if c.eng.table_exists("metric_base"):  # what the answer rests on, and why it is empty when it is
            b = cohort_basis(c.eng, MetricQuery(venue="nips", years=(2019,), tier=HEADLINE.tier), "CN", "US")
            why = explain_cohort(protect_basis(b, c.min_cell), c.min_cell)
            s.text.append("Rests on: " + why)
            if cc.empty:
                cc.empty = why
        s.charts.append(c.chart(cc, f, note=carnegie, dash=False))  # the dashboard's cohort has no origin filter
        everyone = c.src.cohort(c.eng, f)  # the same re-check for every NeurIPS 2019 researcher
        s.charts.append(c.chart(cohort_chart("cohort-nips-2019", "All NeurIPS 2019 researchers: where they are at "
                                             f"their latest paper · {lb.describe(f)}", everyone), f, note=where_now))

    def ret(s: Section):
        f = _adapt(c.src, Filters(tier=HEADLINE.tier))
        s.tables.append(Table("Retention by origin country (all venues and years)", c.src.retention(c.eng, f),
                              footer=c.footer(f), view="retention"))
    p.sections += [c.section("Carnegie-style re-check", build), c.section("Retention", ret)]
    return p


def claims(c: Ctx) -> Page:
    p = Page("claims", "The talent claims, checked", "What articles and policy papers say about AI researchers, "
             "each with talentflow's own figure, what it rests on, the rule for its verdict and the best-supported "
             "alternative. Regenerated with the data (also in docs/claims.md). " + lb.stage_definition("origin")
             + " " + lb.stage_definition("current"))
    got: list = []

    def summary(s: Section):
        check = getattr(c.src.m, "check_talent_claims", None)  # a metrics library may not check claims
        if check is None:
            s.text.append("The metrics library in use does not check the talent claims.")
            return
        got.extend(check(c.eng, c.src.n_boot, c.src.seed, c.min_cell))
        if not got:
            raise NotBuilt("The metric tables are missing from this database (stage `metrics`).")
        s.tables.append(Table("Claims and verdicts", [{"claim": x.claim, "verdict": x.verdict,
                                                       "talentflow's figure": x.figure, "when": x.when}
                                                      for x in got], people=False))
    p.sections.append(c.section("Verdicts", summary))
    for i, x in enumerate(got, 1):
        p.sections.append(Section(f"T{i}. {x.claim}", text=[f"Verdict: {x.verdict}. {x.figure}.", *x.details,
                                                           f"Rule: {x.rule}."]))
    return p


def macropolo(c: Ctx) -> Page:
    p = Page("macropolo", "Comparison with MacroPolo", "MacroPolo's Global AI Talent Tracker hand-coded a random "
             "sample of NeurIPS authors (2019: ≈675; 2022: 867). talentflow covers every author it can resolve. "
             "Differences come from the sample, the definitions (MacroPolo: employer headquarters; talentflow: the "
             "stated affiliation's country), the attribution rule and coverage.")
    ref = list(csv.DictReader(resources.files("talentflow.report").joinpath("data/macropolo.csv").open()))

    def build(s: Section):
        out = []
        for r in ref:
            tier = HEADLINE.tier if r["population"] == "top_tier" else ELITE_TIER
            f = _adapt(c.src, Filters(venue="nips", year=int(r["year"]), tier=tier))
            allrows = c.src.shares(c.eng, f, r["stage"])
            ours = _find(allrows, "country", r["country"])
            known = next((x.get("n") for x in allrows if x.get("n") is not None), 0)
            why = ("" if ours and ours.get("share") is not None else
                   "no researcher of this query has a known country at this stage" if not known else
                   f"fewer than {c.min_cell} researchers (suppressed)")
            out.append({"edition": r["edition"], "year": r["year"], "population": r["population"],
                        "stage": r["stage"], "country": r["country"], "MacroPolo %": r["published_pct"],
                        "grade": r["grade"],
                        "talentflow %": None if not ours or ours.get("share") is None else round(100 * ours["share"], 1),
                        "95% CI": None if not ours or ours.get("ci_low") is None else
                        f"{100 * ours['ci_low']:.1f}–{100 * ours['ci_high']:.1f}",
                        "researchers with a known country": known or None, "query": lb.describe(f), "note": why})
        s.tables.append(Table("MacroPolo vs talentflow (percent of researchers)", out, footer=c.footer(
            Filters(venue="nips")), view="macropolo"))
    p.sections.append(c.section("Side by side", build, ["[P] primary source, [S] press reports of it. Europe "
                                                          "aggregates are not compared (talentflow reports countries)."]))
    return p


def indicators(c: Ctx) -> Page:
    p = Page("indicators", "US–China scorecard", "Companion national indicators: STEM graduates, AI patents, "
             "notable models, leaderboards, investment, compute — latest value per country and source.")
    s = Section("Scorecard")
    try:
        from ..indicators.scorecard import scorecard

        rows = scorecard(c.eng)
        cols = ["label", "country", "value", "unit", "year", "date", "us_cn_ratio", "trend_per_year", "source",
                "license", "notes"]
        s.tables.append(Table("Latest value per indicator and country", [{k: r.get(k) for k in cols} for r in rows],
                              cols, footer=provenance.footer(provenance.origins(c.eng, None, groups=("indicators",))),
                              people=False, view="scorecard"))
    except (ImportError, TalentflowError) as e:
        s.error = f"Scorecard unavailable: {e}"
    p.sections.append(s)
    return p


COUNT_RULES = ("people", "authorships", "papers", "fractional", "first-author", "last-author")


def methodology(c: Ctx) -> Page:
    p = Page("methodology", "Methodology")
    allowed = c.src.allowed() if c.src else {}

    def counting(s: Section):
        rules = [r for r in COUNT_RULES if r == "people" or r in allowed.get("count", [])]
        f = _adapt(c.src, Filters(venue="nips", year=2024, tier=HEADLINE.tier))
        by = {r: c.src.shares(c.eng, f, "current", count=r) for r in rules}
        top = [x["country"] for x in by["people"] if x.get("share") is not None and x["country"] != SUPPRESSED][:8]
        out = []
        for code in top:
            row = {"country": country_name(code)}
            for r in rules:
                x = _find(by[r], "country", code)
                row[lb.label("count", r)] = ("–" if not x or x.get("share") is None else
                                             f"{lb.pct(x['share'])} ({lb.interval(x['ci_low'], x['ci_high'])})")
            out.append(row)
        first = {r: next((x for x in by[r] if x.get("n")), {}) for r in rules}
        out.append({"country": "rests on", **{lb.label("count", r): f"{first[r].get('n', 0):,} of "
                                              f"{first[r].get('n_units', first[r].get('n_people', 0)):,}"
                                              for r in rules}})
        s.tables.append(Table(f"Country shares by counting rule · {lb.describe(f)} · affiliation on the paper", out,
                              footer=c.footer(f), people=False, view="counting",
                              headers={lb.label("count", r): lb.label("count", r).capitalize() for r in rules}))
    p.sections += [
        Section("What is counted", text=[
            "People, not papers: each researcher is counted once per query (venue, year or year range, tier, "
            "subfield, sector), under the chosen attribution rule.",
            "Origin is the country of the undergraduate institution; graduate the country of the graduate school; "
            "work the country of the affiliation stated on the paper (not the employer's headquarters).",
            "Affiliations are resolved to institutions and countries by a reviewable cascade (registries, "
            "curated overrides, e-mail domains); an unresolved affiliation stays unresolved and is reported as "
            "coverage rather than guessed."]),
        Section("Intervals and coverage", text=[
            "Shares carry 95% bootstrap confidence intervals (resampling people; fixed seed), and every figure "
            "states how many people it rests on and the share of them whose country is known."]),
        Section("Privacy", text=[
            f"Published outputs contain no person-level data. No number resting on 1 to {c.min_cell - 1} people "
            "is shown — a cell, a total, a coverage count, an inflow or outflow — and none can be worked out "
            "from what is shown in the same table: small cells are pooled into one '(suppressed)' row; if the "
            "hidden parts of a total add up to fewer people, more are hidden; a difference such as net "
            "migration is shown only beside both of its terms; and every table is checked that no hidden small "
            "count follows from its published numbers."]),
        c.section("Counting rules", counting, [
            "Shares count people by default: each researcher once per venue-year. The other rules count papers: "
            "authorships (each paper–author pair), papers (a paper counts once for every country among its "
            "authors, so shares add up to more than 100%), fractional (each paper weighs 1, split equally among "
            "its located authors), first author and last author (the paper counts for that author's country). "
            "Their denominator is the papers (or authorships) with a located author; intervals resample papers. "
            "CLI: talentflow shares --count RULE; API: /api/shares?count=RULE."]),
        Section("Allowed filter values", tables=[Table("Filters", [
            {"parameter": k, "values": ", ".join(map(str, v))} for k, v in allowed.items()], people=False)] if allowed else [],
            error=None if allowed else f"Metrics unavailable: {c.metrics_error}"),
    ]
    return p


def data_page(c: Ctx, licences: str) -> Page:
    p = Page("data", "Data coverage and provenance", "Every input file with its upstream repository, pinned commit "
             "and licence; per venue-year coverage; resolution coverage.")
    p.sections.append(Section("Dataset origins", tables=[Table("Sources", provenance.all_origins(c.eng), people=False,
                                                                view="sources")]))
    res = provenance.resolution_coverage(c.eng)
    p.sections.append(Section("Affiliation resolution coverage", tables=[Table("By venue", res, people=False)] if res else [],
                              error=None if res else "The resolve stage has not been built into this database."))
    p.sections.append(Section("Conference coverage",
                              tables=[Table("Per venue-year", provenance.conference_coverage(c.eng), people=False,
                                            view="conference_coverage")]))
    p.sections.append(Section("Vendored JavaScript and map data", text=[licences]))
    return p
