"""`MetricQuery`: the population a metric is computed on, validated against `ALLOWED`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..errors import UnknownValue
from ..limits import check_text, check_year, check_years

TIERS = ("accepted", "spotlight", "oral")
TIER_RANK = {"accepted": 1, "spotlight": 2, "oral": 3}
ATTRIBUTIONS = ("location", "hq")
STAGES = ("origin", "graduate", "work", "current")
BY = ("country", "institution", "sector")
SECTORS = ("academia", "industry", "government", "nonprofit")
FLOW_FROM = ("origin", "graduate")
FLOW_TO = ("graduate", "work", "current")
COUNTS = ("people", "authorships", "papers", "fractional", "first-author", "last-author")  # metrics.counting
ROLLUPS = ("none", "parent")  # institutions as resolved, or rolled up to their ultimate parent organisation


@lru_cache(maxsize=1)
def _venues() -> tuple[str, ...]:
    from ..sources.catalog import load_catalog

    return tuple(sorted({d.venue for d in load_catalog() if d.venue}))


@lru_cache(maxsize=1)
def _subfield_parts() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from ..careers.subfields import load_subfields

    cfg = load_subfields()
    return tuple(cfg.subfields), tuple(f.name for f in cfg.flags)


def _subfields() -> tuple[str, ...]:
    """Primary subfields, then flags (llm, humanoid, …): a flag selects the papers carrying it, whatever their
    primary subfield."""
    primary, flags = _subfield_parts()
    return primary + tuple(f for f in flags if f not in primary)


@lru_cache(maxsize=1)
def _countries() -> tuple[str, ...]:
    import pycountry

    return tuple(sorted({c.alpha_2 for c in pycountry.countries} | {"XK"}))


class _Allowed(dict):
    """Allowed values per parameter; the catalog-, taxonomy- and ISO-derived lists are read on first use."""

    _lazy = {"venue": _venues, "subfield": _subfields, "country": _countries}

    def __missing__(self, key):
        if key in self._lazy:
            self[key] = list(self._lazy[key]())
            return self[key]
        raise KeyError(key)

    def keys(self):  # so `ALLOWED.keys()` lists every parameter, lazy ones included
        return list(dict.keys(self)) + [k for k in self._lazy if not dict.__contains__(self, k)]


ALLOWED: dict[str, list] = _Allowed(tier=list(TIERS), attribution=list(ATTRIBUTIONS), stage=list(STAGES),
                                    by=list(BY), sector=list(SECTORS), frm=list(FLOW_FROM), to=list(FLOW_TO),
                                    count=list(COUNTS), rollup=list(ROLLUPS))


def check(what: str, value, allowed=None) -> None:
    allowed = list(allowed if allowed is not None else ALLOWED[what])
    if value not in allowed:
        raise UnknownValue(what, str(value), [str(a) for a in allowed])


@dataclass(frozen=True)
class MetricQuery:
    """Who is counted: authors of `tier`-or-better papers of `venue` in `year` (or any of `years`; all years when
    both are None), optionally only papers of `subfield` and people whose affiliation at that paper is in
    `sector`. `attribution` picks the country rule (institution location or headquarters). `country` is the
    default country of `trend` and `retention`. `include_proxy` admits proxy stage values (counted apart)."""

    venue: str | None = None
    year: int | None = None
    years: tuple[int, ...] | None = None
    tier: str = "accepted"
    subfield: str | None = None
    sector: str | None = None
    attribution: str = "location"
    country: str | None = None
    include_proxy: bool = False

    def __post_init__(self) -> None:
        # bounds first (limits.py): nothing long is compared, no list or range of unbounded size is held
        for k in ("venue", "tier", "subfield", "sector", "attribution", "country"):
            check_text(k, getattr(self, k))
        if self.year is not None:
            object.__setattr__(self, "year", check_year(self.year))
        if self.years is not None:
            object.__setattr__(self, "years", check_years(self.years))
        if self.venue is not None:
            check("venue", self.venue)
        check("tier", self.tier)
        check("attribution", self.attribution)
        if self.subfield is not None:
            check("subfield", self.subfield)
        if self.sector is not None:
            check("sector", self.sector)
        if self.country is not None:
            object.__setattr__(self, "country", self.country.upper())
            check("country", self.country)

    def year_list(self) -> list[int] | None:
        if self.year is None and self.years is None:
            return None
        return sorted({*([self.year] if self.year is not None else []), *(self.years or ())})

    def where(self, alias: str = "b", with_tier: bool = True) -> tuple[str, list]:
        """SQL condition on `metric_base` (on `metric_units` with with_tier=False) and its parameters."""
        conds, params = [f"{alias}.rule = ?"], [self.attribution]
        if with_tier:
            conds.append(f"{alias}.tier_rank >= ?")
            params.append(TIER_RANK[self.tier])
        if self.venue is not None:
            conds.append(f"{alias}.venue = ?")
            params.append(self.venue)
        ys = self.year_list()
        if ys is not None:
            conds.append(f"{alias}.year IN ({', '.join('?' * len(ys))})")
            params += ys
        if self.subfield is not None:
            if self.subfield in _subfield_parts()[0]:
                conds.append(f"{alias}.subfield = ?")
            else:
                conds.append(f"list_contains({alias}.flags, ?)")
            params.append(self.subfield)
        if self.sector is not None:
            conds.append(f"{alias}.current_sector = ?")
            params.append(self.sector)
        return " AND ".join(conds), params

    def describe(self) -> str:
        ys = self.year_list()
        parts = [self.venue or "all venues", "all years" if ys is None else ",".join(map(str, ys)),
                 f"tier≥{self.tier}", f"{self.attribution} rule"]
        if self.subfield:
            parts.append(self.subfield)
        if self.sector:
            parts.append(self.sector)
        return ", ".join(parts)
