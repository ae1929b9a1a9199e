"""The resolver's records: an institution entry, a candidate hit of one cascade step, and the resolution of one
(affiliation, domain) pair."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from . import evidence
from .rules import CONF


@dataclass
class Inst:
    id: str
    name: str
    country_hq: str | None
    country_location: str | None
    sector: str
    org_type: str
    source: str
    parent: str | None = None


@dataclass
class Hit:
    inst: Inst
    step: str          # domain-exact, domain-walk, name, contains, fuzzy …
    source: str
    score: float
    matched: str       # the text or domain that matched
    location: str | None = None  # location after hints/children
    note: str = ""

    @property
    def conf(self) -> float:
        base = CONF.get(f"{self.step.split('-')[0]}:{self.source}", CONF.get(self.step, 0.8))
        return round(base * (self.score / 100 if self.step.startswith("fuzzy") else 1.0), 3)


@dataclass
class Resolution:
    affiliation: str
    domain: str
    institution_id: str | None = None
    institution: str | None = None
    country_location: str | None = None
    country_hq: str | None = None
    sector: str | None = None
    org_type: str | None = None
    confidence: float = 0.0
    reason: str = "unresolved:empty"
    # how the location was decided: site (the named institution, lab or campus has one location), place-hint
    # (a place in the string), hq-default (a multi-site company named without a place), national-domain
    # (amazon.de), place-only, cctld — so metrics can treat hq-default locations with care
    location_basis: str | None = None
    # how the sector was decided: registry, curated, words (the string's own words), words:first-part
    sector_basis: str | None = None
    parts: list[dict] = field(default_factory=list)
    trace: list[str] = field(default_factory=list)
    alternatives: list[dict] = field(default_factory=list)
    # build-internal: the evidence query of a pair the cascade left without an institution, and whether the
    # string itself named a registry institution (an observation's domain counts only when it did not)
    evidence_query: evidence.Query | None = None
    string_hit: bool = False

    def row(self) -> dict:
        d = asdict(self)
        for k in ("trace", "alternatives", "parts", "evidence_query", "string_hit"):
            d.pop(k)
        return d
