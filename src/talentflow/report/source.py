"""The one door between published outputs and the metrics library: validated filters, cached calls, privacy.

`talentflow.metrics` computes the numbers (MetricQuery, ALLOWED, shares/flows/retention/cohort/trend/
institutions) under the contract of `talentflow.metrics.contract`, which a library (or a stand-in) is checked
against once, here. This module turns user-facing filters into a MetricQuery (unknown values → `UnknownValue`
listing the allowed ones), caches results per query key, and passes every result through small-cell suppression
before anything is rendered or served. The report and the web app both use it, so they show the same numbers.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import TalentflowError, UnknownValue
from ..limits import check_text, check_year, check_year_range
from ..metrics import contract
from ..metrics.contract import FLOW_FROM, FLOW_TO
from . import privacy

FILTERS = contract.QUERY_FIELDS  # a filter for every field of the library's MetricQuery


class MetricsUnavailable(TalentflowError):
    hint = "Build the metrics stage (`talentflow build`) with a talentflow version that includes talentflow.metrics."


def load_metrics():
    from .. import metrics

    return metrics


@dataclass(frozen=True)
class Filters:
    """User-facing filters, hashable (the cache key). `years` is an inclusive (first, last) pair."""
    venue: str | None = None
    year: int | None = None
    years: tuple[int, int] | None = None
    tier: str | None = None
    subfield: str | None = None
    sector: str | None = None
    attribution: str | None = None
    country: str | None = None
    include_proxy: bool | None = None  # admit proxy stage values (the library counts them apart)

    def label(self) -> str:
        parts = [f"{k}={v if not isinstance(v, tuple) else '-'.join(map(str, v))}"
                 for k, v in dataclasses.asdict(self).items() if v is not None]
        return ", ".join(parts) or "all"


def parse_years(text: str | None) -> tuple[int, int] | None:
    """'2019-2022' or '2019:2022' or '2022' → (first, last), both within limits.YEAR_MIN-YEAR_MAX (checked here,
    before anything expands the range)."""
    if not text:
        return None
    check_text("years", text)
    parts = text.replace(":", "-").split("-")
    try:
        nums = [int(p) for p in parts if p.strip()]
    except ValueError:
        raise UnknownValue("years", text, ["FIRST-LAST, e.g. 2019-2024"]) from None
    if len(nums) == 1:
        nums = nums * 2
    if len(nums) != 2:
        raise UnknownValue("years", text, ["FIRST-LAST, e.g. 2019-2024"])
    return check_year_range(*nums)


class MetricSource:
    """Validated, cached, privacy-safe access to the metrics library. Thread-safe; the engine (or a cursor) is
    passed per call so a web server can use one cursor per request."""

    def __init__(self, min_cell: int = 5, n_boot: int = 1000, seed: int = 0,
                 metrics: contract.MetricsLibrary | None = None, cache_size: int = 4096):
        self.m = metrics if metrics is not None else load_metrics()
        broken = contract.problems(self.m)
        if broken:
            raise MetricsUnavailable(f"The metrics library does not keep its contract: {'; '.join(broken)}")
        self.min_cell, self.n_boot, self.seed = min_cell, n_boot, seed
        self._cache: dict[tuple, Any] = {}
        self._lock = threading.Lock()
        self._cache_size = cache_size
        self._allowed: dict[str, list] | None = None

    # -- validation ------------------------------------------------------------------------------------------
    def allowed(self) -> dict[str, list]:
        if self._allowed is None:
            self._allowed = {k: list(self.m.ALLOWED[k]) for k in contract.PARAMETERS}  # lists may fill lazily
        return self._allowed

    def check(self, what: str, value, shown_as: str | None = None):
        """Return value unchanged if allowed (or if the contract has no list for it); else UnknownValue."""
        if value is None:
            return None
        if isinstance(value, str):
            check_text(shown_as or what, value)
        allowed = self.allowed().get(what)
        if allowed is None:
            return value
        if value in allowed or str(value) in {str(a) for a in allowed}:
            return type(allowed[0])(value) if allowed and not isinstance(value, type(allowed[0])) else value
        raise UnknownValue(shown_as or what, str(value), [str(a) for a in allowed])

    def filters(self, **kw) -> Filters:
        unknown = set(kw) - set(FILTERS)
        if unknown:
            raise UnknownValue("filter", sorted(unknown)[0], list(FILTERS))
        vals = {k: v for k, v in kw.items() if v not in (None, "", False)}
        for k, v in vals.items():
            if isinstance(v, str):
                check_text(k, v)
        if isinstance(vals.get("years"), str):
            vals["years"] = parse_years(vals["years"])
        if "country" in vals:
            vals["country"] = str(vals["country"]).upper()
        for k in ("venue", "tier", "subfield", "sector", "attribution", "country"):
            if k in vals:
                vals[k] = self.check(k, vals[k])
        if "year" in vals:
            vals["year"] = check_year(vals["year"])
            self.check("year", vals["year"])
        return Filters(**vals)

    def query(self, f: Filters):
        """The library's MetricQuery for these filters (Filters has its fields: contract.QUERY_FIELDS)."""
        kw = {k: v for k, v in dataclasses.asdict(f).items() if v is not None}
        if f.years is not None:  # the library takes the list of years
            kw["years"] = tuple(range(f.years[0], f.years[1] + 1))
        return self.m.MetricQuery(**kw)

    # -- cached calls ----------------------------------------------------------------------------------------
    def _cached(self, key: tuple, compute: Callable[[], Any]):
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        value = compute()
        with self._lock:
            if len(self._cache) >= self._cache_size:
                self._cache.pop(next(iter(self._cache)))
            self._cache[key] = value
        return value

    def _boot(self, intervals: bool) -> dict:
        return {"n_boot": self.n_boot if intervals else 0, "seed": self.seed}

    def shares(self, eng, f: Filters, stage: str = "origin", by: str = "country", intervals: bool = True,
               count: str = "people", rollup: str = "none") -> list[dict]:
        stage = self.check("stage", stage)
        count = self.check("count", count)
        rollup = self.check("rollup", rollup)
        return self._cached(("shares", f, stage, by, intervals, count, rollup), lambda: privacy.protect(
            "shares", self.m.shares(eng, self.query(f), stage=stage, by=by, count=count, rollup=rollup,
                                    **self._boot(intervals)),
            self.min_cell, labels=(by,), **privacy.counting_layout(count)))

    def flows(self, eng, f: Filters, frm: str = "origin", to: str = "work", intervals: bool = True) -> list[dict]:
        """intervals=False skips the bootstrap (counts only: Sankey diagrams, flow tables)."""
        frm, to = self.check("frm", frm, "from"), self.check("to", to, "to")

        def compute():
            rows = list(self.m.flows(eng, self.query(f), frm=frm, to=to, **self._boot(intervals)))
            # shares and n are per origin row: small links are pooled within each row (n - visible = the pool)
            return privacy.protect("flows", rows, self.min_cell, groups=(FLOW_FROM, "country"), labels=(FLOW_TO,))
        return self._cached(("flows", f, frm, to, intervals), compute)

    def retention(self, eng, f: Filters, country: str | None = None, frm: str = "graduate", to: str = "work"
                  ) -> list[dict]:
        """Per country: of the people whose `frm` stage is there, the share whose `to` stage is there too."""
        country = self.check("country", country.upper()) if country else None
        frm, to = self.check("frm", frm, "from"), self.check("to", to, "to")

        def compute():
            q = self.query(f)
            # one flow computation for both, protected together
            fl = list(self.m.flows(eng, q, frm=frm, to=to, **self._boot(True)))
            rows = self.m.retention_from_flows(fl, q, country=country, frm=frm, to=to)
            return privacy.protect("retention", rows, self.min_cell, flows=fl)
        return self._cached(("retention", f, country, frm, to), compute)

    def cohort(self, eng, f: Filters, origin: str | None = None, work: str | None = None) -> list[dict]:
        origin = self.check("country", origin.upper()) if origin else None
        work = self.check("country", work.upper()) if work else None
        return self._cached(("cohort", f, origin, work), lambda: privacy.protect(
            "cohort", self.m.cohort(eng, self.query(f), origin=origin, work=work, **self._boot(True)),
            self.min_cell))

    def trend(self, eng, f: Filters, stage: str = "origin", country: str | None = None) -> list[dict]:
        stage = self.check("stage", stage)
        country = self.check("country", country.upper()) if country else None
        return self._cached(("trend", f, stage, country), lambda: privacy.protect(
            "trend", self.m.trend(eng, self.query(f), stage=stage, country=country, **self._boot(True)),
            self.min_cell))

    def institutions(self, eng, f: Filters, stage: str = "work", limit: int = 50, intervals: bool = True,
                     rollup: str = "none") -> list[dict]:
        """The ranking; `rollup='parent'` ranks the institutions' ultimate parent organisations (same rules)."""
        stage = self.check("stage", stage)
        rollup = self.check("rollup", rollup)

        def compute():
            # a ranking of one population: small institutions and the '(other)' tail stay unpublished
            rows = privacy.protect("institutions", self.m.institutions(eng, self.query(f), stage=stage, limit=limit,
                                                                       rollup=rollup, **self._boot(intervals)),
                                   self.min_cell)
            return [r for r in rows if not r["suppressed"] and not str(r.get("institution", "")).startswith("(")
                    ][:limit]
        return self._cached(("institutions", f, stage, limit, intervals, rollup), compute)
