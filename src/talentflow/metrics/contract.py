"""The contract between the metrics library and what publishes its numbers (report, dashboard, API, CLI): the
functions a library offers and the parameters callers pass, the columns of the rows each returns, the query
fields and parameter lists, and the metric tables the metrics stage materialises.

`report.source.MetricSource` and the web app rely on it instead of probing a library at run time; the test
stand-in for the library (tests/fake_metrics.py) builds its rows from these dataclasses; tests check that the
real library and the built tables keep it. The module itself imports nothing of the library.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol

# MetricQuery's fields, in order: who is counted.
QUERY_FIELDS = ("venue", "year", "years", "tier", "subfield", "sector", "attribution", "country", "include_proxy")
# The keys of the library's ALLOWED: the parameters whose values are checked against a list.
PARAMETERS = ("tier", "attribution", "stage", "by", "sector", "frm", "to", "count", "rollup", "venue", "subfield",
              "country")
# A flow row's two ends (its `country` repeats FLOW_FROM: the distribution each row belongs to).
FLOW_FROM, FLOW_TO = "from_country", "to_country"
COVERAGE = ("n_people", "n_observed", "n_proxy", "n_unknown", "n_observed_paper", "n_observed_profile")
FLOW_COVERAGE = ("n_people", "n_both_known", "n_from_unknown", "n_to_unknown", "n_from_profile", "n_to_profile")


@dataclass(frozen=True)
class Share:
    """A row of `shares` (counting people) for one category of `by` (its column is named after `by`:
    country, institution or sector)."""
    stage: str
    country: str | None
    share: float | None
    count: int | None
    ci_low: float | None
    ci_high: float | None
    n: int
    count_proxy: int
    n_people: int
    n_observed: int
    n_proxy: int
    n_unknown: int
    n_observed_paper: int
    n_observed_profile: int
    rule: str


@dataclass(frozen=True)
class CountedShare:
    """A row of `shares` under a counting rule other than people (metrics.counting): papers or authorships of
    `n_units` with a located author; `count_people` is the distinct people behind `count`."""
    stage: str
    country: str | None
    count_rule: str
    share: float | None
    count: float | None
    count_people: int
    ci_low: float | None
    ci_high: float | None
    n: float
    n_units: int
    coverage: float
    rule: str


@dataclass(frozen=True)
class Flow:
    """A link of `flows`: people whose `from_stage` is in `from_country` and `to_stage` in `to_country`; share
    and n are per origin row (`country` = `from_country`)."""
    from_stage: str
    to_stage: str
    from_country: str
    to_country: str
    country: str
    share: float | None
    count: int | None
    ci_low: float | None
    ci_high: float | None
    n: int
    n_people: int
    n_both_known: int
    n_from_unknown: int
    n_to_unknown: int
    n_from_profile: int
    n_to_profile: int
    rule: str


@dataclass(frozen=True)
class Retention:
    """Per country: of the `n` people whose `from_stage` is there, `count` whose `to_stage` is there too."""
    country: str
    from_stage: str
    to_stage: str
    share: float | None
    count: int | None
    ci_low: float | None
    ci_high: float | None
    n: int
    outflow: int | None
    inflow: int | None
    net: int | None
    n_people: int
    n_both_known: int
    n_from_unknown: int
    n_to_unknown: int
    n_from_profile: int
    n_to_profile: int
    rule: str


@dataclass(frozen=True)
class Cohort:
    """Where a cohort is at its members' latest paper (`whereabouts`: a country, or a state such as not seen
    since; `country` is None then)."""
    whereabouts: str
    country: str | None
    share: float | None
    count: int | None
    ci_low: float | None
    ci_high: float | None
    n: int
    median_last_year: float | None
    cohort_year: int
    rule: str


@dataclass(frozen=True)
class Trend:
    """A country's share in one year (the fields of Share after `year`)."""
    year: int
    stage: str
    country: str | None
    share: float | None
    count: int | None
    ci_low: float | None
    ci_high: float | None
    n: int
    count_proxy: int
    n_people: int
    n_observed: int
    n_proxy: int
    n_unknown: int
    n_observed_paper: int
    n_observed_profile: int
    rule: str


@dataclass(frozen=True)
class Institution:
    """A row of the `institutions` ranking."""
    stage: str
    institution: str
    share: float | None
    count: int | None
    ci_low: float | None
    ci_high: float | None
    n: int
    count_proxy: int
    n_people: int
    n_observed: int
    n_proxy: int
    n_unknown: int
    n_observed_paper: int
    n_observed_profile: int
    rule: str
    rank: int
    country: str | None


@dataclass(frozen=True)
class CohortBasis:
    """What a cohort re-check rests on (`cohort_basis`): nested counts, people ⊇ … ⊇ seen after the year."""
    cohort_year: int
    origin: str | None
    work: str | None
    people: int
    origin_observed: int
    origin_from_history: int
    origin_match: int
    origin_and_work_match: int
    seen_after_cohort_year: int
    work_by_proxy_only: int


# Each function, the parameters callers pass (by name, after the engine and the query), and its row type.
FUNCTIONS: dict[str, tuple[tuple[str, ...], type | None]] = {
    "shares": (("stage", "by", "n_boot", "seed", "count", "rollup"), Share),
    "flows": (("frm", "to", "n_boot", "seed"), Flow),
    "retention": (("country", "frm", "to", "n_boot", "seed"), Retention),
    "retention_from_flows": (("country", "frm", "to"), Retention),
    "cohort": (("origin", "work", "n_boot", "seed"), Cohort),
    "cohort_basis": (("origin", "work"), CohortBasis),
    "explain_cohort": (("min_cell",), None),
    "trend": (("stage", "country", "n_boot", "seed"), Trend),
    "institutions": (("stage", "limit", "n_boot", "seed", "rollup"), Institution),
}


def columns(row: type, by: str = "country") -> tuple[str, ...]:
    """The columns of a row type, in order; for Share and CountedShare the category column is named `by`."""
    names = tuple(f.name for f in fields(row))
    if row in (Share, CountedShare) and by != "country":
        names = tuple(by if n == "country" else n for n in names)
    return names


def problems(lib) -> list[str]:
    """How a library (or stand-in) departs from the contract: missing functions or parameters, ALLOWED or
    MetricQuery fields other than the contract's. Empty when it keeps it."""
    import dataclasses
    import inspect

    out = []
    for name, (params, _) in FUNCTIONS.items():
        fn = getattr(lib, name, None)
        if not callable(fn):
            out.append(f"no function {name}")
            continue
        have = inspect.signature(fn).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in have.values()):
            continue  # a wrapper passing **kwargs on
        missing = [p for p in params if p not in have]
        if missing:
            out.append(f"{name} takes no {', '.join(missing)}")
    allowed = getattr(lib, "ALLOWED", None)
    if allowed is None or sorted(allowed.keys()) != sorted(PARAMETERS):
        out.append(f"ALLOWED lists {sorted(allowed.keys()) if allowed is not None else 'nothing'}, "
                   f"not {sorted(PARAMETERS)}")
    mq = getattr(lib, "MetricQuery", None)
    if mq is None or not dataclasses.is_dataclass(mq) or tuple(f.name for f in fields(mq)) != QUERY_FIELDS:
        out.append(f"MetricQuery's fields are not {QUERY_FIELDS}")
    return out


class MetricsLibrary(Protocol):
    """What MetricSource calls: `talentflow.metrics`, or a stand-in with the same contract."""
    ALLOWED: Any
    MetricQuery: type

    def shares(self, eng, q, stage: str = ..., by: str = ..., n_boot: int = ..., seed: int = ...,
               count: str = ..., rollup: str = ...) -> list[dict]: ...
    def flows(self, eng, q, frm: str = ..., to: str = ..., n_boot: int = ..., seed: int = ...) -> list[dict]: ...
    def retention_from_flows(self, fl: list[dict], q, country: str | None = ..., frm: str = ...,
                             to: str = ...) -> list[dict]: ...
    def cohort(self, eng, q, origin: str | None = ..., work: str | None = ..., n_boot: int = ...,
               seed: int = ...) -> list[dict]: ...
    def cohort_basis(self, eng, q, origin: str | None = ..., work: str | None = ...) -> dict: ...
    def explain_cohort(self, b: dict, min_cell: int = ...) -> str: ...
    def trend(self, eng, q, stage: str = ..., country: str | None = ..., n_boot: int = ...,
              seed: int = ...) -> list[dict]: ...
    def institutions(self, eng, q, stage: str = ..., limit: int = ..., n_boot: int = ...,
                     seed: int = ..., rollup: str = ...) -> list[dict]: ...


# The metric tables the metrics stage writes, and their columns in order.
TABLES: dict[str, tuple[str, ...]] = {
    "metric_base": (
        "person_key", "venue", "year", "paper_id", "author_order", "tier_rank", "subfield", "flags", "rule",
        "current_country", "current_institution_id", "current_institution_name", "current_parent_name",
        "current_sector", "current_position",
        *(f"origin_{c}" for c in ("country", "institution_id", "institution_name", "parent_name", "basis",
                                  "stage_rule", "stage_year", "source")),
        *(f"{s}_{c}" for s in ("graduate", "work") for c in ("country", "institution_id", "institution_name",
                                                              "parent_name", "basis", "stage_rule", "stage_year",
                                                              "source", "sector"))),
    "person_last_seen": ("person_key", "rule", "last_year", "last_located_year", "last_country",
                         "last_institution_name"),
    "metric_rows": (
        "seq", "rule", "venue", "year", "tier_rank", "subfield", "flags", "current_sector", "unit", "paper", "pid",
        "origin_c", "origin_i", "origin_p", "origin_b", "origin_src", "graduate_c", "graduate_i", "graduate_s",
        "graduate_p", "graduate_b", "graduate_src", "work_c", "work_i", "work_s", "work_p", "work_b", "work_src",
        "current_c", "current_i", "current_s", "current_p", "current_b", "current_src", "last_year",
        "last_located_year", "last_c"),
    "metric_labels": ("kind", "code", "label"),
    "metric_shares": ("venue", "year", "tier", "attribution", "include_proxy", *columns(Share)),
    "metric_trend": ("venue", "tier", "subfield", "sector", "rule", "stage", "include_proxy", "year", "pos",
                     "country", "share", "count", "ci_low", "ci_high", "n", "count_proxy"),
    "metric_trend_meta": ("n_boot", "seed", "scopes"),
    "metric_trend_years": ("venue", "tier", "subfield", "sector", "rule", "stage", "include_proxy", "year", "stored",
                           "per_country", "n_clusters", "n", *COVERAGE),
}
