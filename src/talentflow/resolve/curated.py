"""Curated institutions (AI labs, companies, institutes and campuses the registries miss or get wrong) and the
place-name gazetteer used for location hints. Reviewable CSV files under resolve/data/.

institutions.csv and startups.csv columns (one id, domain and alias space):
  id               stable slug (curated ids are prefixed `cur:` in tables)
  name             display name
  parent           id of the parent entry (labs, campuses, subsidiaries); '' for top-level organisations
  country_hq       HQ country of a top-level entry; children leave it empty and inherit the ULTIMATE parent's
                   HQ (the MacroPolo rule: Google DeepMind → Alphabet → US)
  country_location where its people work; '' = several sites and none dominant (then only a location hint in the
                   string, or a child entry, gives a location)
  sector           academia | industry | government | nonprofit
  org_type         finer type (university, company_lab, company, institute, government_lab, …)
  domains          '|'-separated e-mail/web domains (subdomains match by walking up)
  aliases          '|'-separated exact names and acronyms (matched after normalisation, whole string or part)
  contains         '|'-separated word sequences that identify the entry anywhere in a string ('deepmind')
  note             sources / reasoning for non-obvious facts

places.csv columns: place, country — city/region/country names recognised as location hints.

ror_sectors.csv columns: ror_id, name, sector, applies (self | children | both), note — the sector the labelling
rules give a ROR organisation and/or the research units ROR lists under it (a Fraunhofer institute is a
non-profit, a DOE national laboratory government), where ROR's types say otherwise or nothing (facility).

no_country_tlds.csv columns: tld, kind (vanity | generic), note — top-level domains that never imply a country:
vanity ccTLDs sold worldwide (.ai .io .co …) and generic ones. A vanity ccTLD still names its country under a
public second level (unal.edu.co → CO), where only local institutions register.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..errors import InputError

CURATED_DIR = Path(__file__).with_name("data")
INST_COLUMNS = ["id", "name", "parent", "country_hq", "country_location", "sector", "org_type", "domains",
                "aliases", "contains", "note"]
SECTORS = ("academia", "industry", "government", "nonprofit", "other")
# institutions.csv: labs, companies, campuses; startups.csv: frequent start-ups and non-profits that
# `talentflow resolve-hygiene` listed as unanswered (each note gives the count). One id/domain/alias space.
INST_FILES = ("institutions.csv", "startups.csv")


def curated_files() -> list[Path]:
    return sorted(CURATED_DIR.glob("*.csv"))


@dataclass(frozen=True)
class CuratedEntry:
    id: str
    name: str
    parent: str
    country_hq: str
    country_location: str
    sector: str
    org_type: str
    domains: tuple[str, ...]
    aliases: tuple[str, ...]
    contains: tuple[str, ...]
    note: str


def _split(v: str) -> tuple[str, ...]:
    return tuple(x.strip() for x in (v or "").split("|") if x.strip())


def read_institutions(path: Path | None = None) -> list[CuratedEntry]:
    """Parse and validate institutions.csv; errors name the file, row and field. HQ is inherited from the
    ultimate parent here, once."""
    import pycountry

    paths = [path] if path else [CURATED_DIR / f for f in INST_FILES]
    codes = {c.alpha_2 for c in pycountry.countries} | {"XK"}
    raw: dict[str, dict] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as f:
            rd = csv.DictReader(f)
            if rd.fieldnames != INST_COLUMNS:
                raise InputError(str(path), f"header must be {','.join(INST_COLUMNS)}", record="1")
            for i, r in enumerate(rd, start=2):
                rid = (r["id"] or "").strip()
                if not rid or rid in raw:
                    raise InputError(str(path), "missing or duplicate id", record=str(i), field="id")
                for fld in ("country_hq", "country_location"):
                    if r[fld] and r[fld] not in codes:
                        raise InputError(str(path), f"{r[fld]!r} is not an ISO 3166-1 alpha-2 code", str(i), fld)
                if r["sector"] not in SECTORS:
                    raise InputError(str(path), f"sector {r['sector']!r} not in {SECTORS}", str(i), "sector")
                if not r["parent"] and not r["country_hq"]:
                    raise InputError(str(path), "top-level entry needs country_hq", str(i), "country_hq")
                raw[rid] = {**r, "_row": i, "_path": path}
    _check_unique(raw)
    out = []
    for rid, r in raw.items():
        root, seen = r, {rid}
        while root["parent"]:
            if root["parent"] not in raw or root["parent"] in seen:
                raise InputError(str(r["_path"]), f"unknown or cyclic parent {root['parent']!r}", str(r["_row"]),
                                 "parent")
            seen.add(root["parent"])
            root = raw[root["parent"]]
        out.append(CuratedEntry(rid, r["name"], r["parent"], root["country_hq"], r["country_location"], r["sector"],
                                r["org_type"], tuple(d.lower() for d in _split(r["domains"])), _split(r["aliases"]),
                                tuple(c.lower() for c in _split(r["contains"])), r["note"]))
    return out


def _check_unique(raw: dict[str, dict]) -> None:
    """A domain or a normalised alias may name one entry only: otherwise the answer depends on row order."""
    from .normalize import norm_name

    doms: dict[str, str] = {}
    names: dict[str, str] = {}
    for rid, r in raw.items():
        for d in _split(r["domains"]):
            if doms.setdefault(d.lower(), rid) != rid:
                raise InputError(str(r["_path"]), f"domain {d!r} also belongs to {doms[d.lower()]!r}", str(r["_row"]), "domains")
        for a in {norm_name(x) for x in (r["name"],) + _split(r["aliases"])}:
            if names.setdefault(a, rid) != rid:
                raise InputError(str(r["_path"]), f"alias {a!r} also belongs to {names[a]!r}", str(r["_row"]), "aliases")


def read_places(path: Path | None = None) -> dict[str, str]:
    """Place name (normalised) → country, from places.csv plus every country name pycountry knows."""
    import pycountry

    from .normalize import norm_name

    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "common_name"):
            v = getattr(c, attr, None)
            if v:
                out[norm_name(v)] = c.alpha_2
    path = path or CURATED_DIR / "places.csv"
    with path.open(encoding="utf-8", newline="") as f:
        for i, r in enumerate(csv.DictReader(f), start=2):
            if not r.get("place") or not r.get("country") or len(r["country"]) != 2:
                raise InputError(str(path), "place and a 2-letter country are required", str(i))
            out[norm_name(r["place"])] = r["country"]
    return out


RS_APPLIES = ("self", "children", "both")


def read_ror_sectors(path: Path | None = None) -> list[tuple[str, str, str, str]]:
    """ror_sectors.csv → (institution_id, name, sector, applies); errors name the file, row and field."""
    path = path or CURATED_DIR / "ror_sectors.csv"
    out, seen = [], set()
    with path.open(encoding="utf-8", newline="") as f:
        rd = csv.DictReader(f)
        if rd.fieldnames != ["ror_id", "name", "sector", "applies", "note"]:
            raise InputError(str(path), "header must be ror_id,name,sector,applies,note", record="1")
        for i, r in enumerate(rd, start=2):
            rid = (r["ror_id"] or "").strip()
            if not rid.isalnum() or len(rid) != 9 or rid in seen:
                raise InputError(str(path), f"ror_id {rid!r} must be a 9-character ROR id, once", str(i), "ror_id")
            if r["sector"] not in SECTORS:
                raise InputError(str(path), f"sector {r['sector']!r} not in {SECTORS}", str(i), "sector")
            if r["applies"] not in RS_APPLIES:
                raise InputError(str(path), f"applies {r['applies']!r} not in {RS_APPLIES}", str(i), "applies")
            if not (r["note"] or "").strip():
                raise InputError(str(path), "every entry says why (note)", str(i), "note")
            seen.add(rid)
            out.append(("ror:" + rid, r["name"], r["sector"], r["applies"]))
    return out


TLD_KINDS = ("vanity", "generic")
# second-level labels under which only local institutions register: edu.co, gov.ai, ac.im
LOCAL_SECOND = ("edu", "ac", "gov", "go", "mil", "sch", "com", "org", "net", "co", "or")


@lru_cache(maxsize=4)
def no_country_tlds(path: Path | None = None) -> frozenset[str]:
    """TLDs that never imply a country (no_country_tlds.csv); errors name the file, row and field."""
    path = path or CURATED_DIR / "no_country_tlds.csv"
    out: set[str] = set()
    with path.open(encoding="utf-8", newline="") as f:
        rd = csv.DictReader(f)
        if rd.fieldnames != ["tld", "kind", "note"]:
            raise InputError(str(path), "header must be tld,kind,note", record="1")
        for i, r in enumerate(rd, start=2):
            t = (r["tld"] or "").strip().lower()
            if not t.isalpha() or t != r["tld"] or t in out:
                raise InputError(str(path), f"tld {r['tld']!r} must be lower-case letters, once", str(i), "tld")
            if r["kind"] not in TLD_KINDS:
                raise InputError(str(path), f"kind {r['kind']!r} not in {TLD_KINDS}", str(i), "kind")
            out.add(t)
    return frozenset(out)


def tld_country(dom: str) -> str | None:
    """The country a domain's TLD implies: a two-letter ISO code (uk → GB), never a vanity or generic TLD,
    except a vanity ccTLD under a local second level (unal.edu.co → CO)."""
    import pycountry

    labels = dom.lower().rsplit(".", 2)
    tld = labels[-1]
    if len(tld) != 2 or len(labels) < 2:
        return None
    if tld in no_country_tlds() and not (len(labels) == 3 and labels[1] in LOCAL_SECOND):
        return None
    cc = "GB" if tld == "uk" else tld.upper()
    return cc if pycountry.countries.get(alpha_2=cc) else None


def tld_country_sql(domain_expr: str) -> str:
    """SQL spelling of `tld_country` (the registry build gives swot's domains a country this way)."""
    import pycountry

    vanity = sorted(t for t in no_country_tlds() if len(t) == 2)
    codes = sorted(c.alpha_2.lower() for c in pycountry.countries if c.alpha_2.lower() not in vanity) + ["uk"]
    q = lambda xs: ", ".join(f"'{x}'" for x in xs)  # noqa: E731
    t = f"regexp_extract({domain_expr}, '\\.([a-z]{{2}})$', 1)"
    local = f"regexp_matches({domain_expr}, '\\.({'|'.join(LOCAL_SECOND)})\\.[a-z]{{2}}$')"
    return (f"CASE WHEN {t} = 'uk' THEN 'GB' WHEN {t} IN ({q(codes)}) THEN upper({t}) "
            f"WHEN {t} IN ({q(vanity)}) AND {local} AND upper({t}) IN ({q(c.alpha_2 for c in pycountry.countries)}) "
            f"THEN upper({t}) END")


def load_curated(engine) -> None:
    """Curated entries → cur_institutions, cur_names, cur_domains (small; validated in Python, then SQL)."""
    import pyarrow as pa

    entries = read_institutions()
    inst = pa.table({
        "id": ["cur:" + e.id for e in entries], "name": [e.name for e in entries],
        "parent": ["cur:" + e.parent if e.parent else None for e in entries],
        "country_hq": [e.country_hq or None for e in entries],
        "country_location": [e.country_location or None for e in entries],
        "sector": [e.sector for e in entries], "org_type": [e.org_type for e in entries]})
    names = [(n, "cur:" + e.id, e.country_location or None, e.org_type) for e in entries for n in (e.name,) + e.aliases]
    doms = [(d, "cur:" + e.id, e.country_location or None) for e in entries for d in e.domains]
    engine.register_arrow("_cur_inst", inst)
    engine.register_arrow("_cur_names", pa.table({k: [r[i] for r in names] for i, k in
                                                  enumerate(("name", "institution_id", "country", "type"))}))
    engine.register_arrow("_cur_doms", pa.table({k: [r[i] for r in doms] for i, k in
                                                 enumerate(("domain", "institution_id", "country_location"))}))
    engine.execute("CREATE OR REPLACE TABLE cur_institutions AS SELECT * FROM _cur_inst")
    engine.execute("CREATE OR REPLACE TABLE cur_names AS SELECT * FROM _cur_names")
    engine.execute("CREATE OR REPLACE TABLE cur_domains AS SELECT * FROM _cur_doms")
