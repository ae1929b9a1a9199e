"""Career histories from profile objects: OpenReview profiles (API v2 JSON) and ORCID records (API v3.0 JSON),
validated field by field into flat rows.

Each parser yields three kinds of row: a profile (`profiles`), its alternative ids (`profile_aliases`) and its
dated history entries (`profile_history`); a malformed object or field becomes a quarantine row naming the
record and the field, and the rest of the object is kept when it can be. Nothing here resolves institutions:
the resolve stage does that for every (institution name, domain) pair, as for paper affiliations.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEGREES_FILE = Path(__file__).with_name("degrees.csv")
YEAR_MIN, YEAR_MAX = 1940, 2100
MAX_HISTORY = 200  # entries per profile; more is not a CV


@dataclass
class Parsed:
    profiles: list[dict] = field(default_factory=list)
    aliases: list[dict] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)

    def bad(self, dataset_id: str, record: str, fld: str, problem: str, raw: object = None) -> None:
        self.quarantine.append({"dataset_id": dataset_id, "record_key": record, "field": fld, "problem": problem,
                                "raw_value": None if raw is None else str(raw)[:200]})


@lru_cache(maxsize=1)
def _countries() -> tuple[dict, dict, set]:
    import pycountry

    a2 = {c.alpha_2 for c in pycountry.countries}
    a3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    names = {c.name.lower(): c.alpha_2 for c in pycountry.countries}
    names.update({getattr(c, "common_name", c.name).lower(): c.alpha_2 for c in pycountry.countries})
    return a3, names, a2


# Codes seen in the wild that are not ISO 3166-1 alpha-2 but name one country unambiguously.
COUNTRY_EXCEPTIONS = {"UK": "GB"}


def country_code(raw: object) -> tuple[str | None, str]:
    """(ISO 3166-1 alpha-2 or None, rule): alpha-2 as given, alpha-3 converted, an exact English name, or None
    with the reason. Never a guess from a partial string."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "absent"
    if not isinstance(raw, str):
        return None, "not_a_string"
    v = raw.strip()
    a3, names, a2 = _countries()
    up = v.upper()
    if up in COUNTRY_EXCEPTIONS:
        return COUNTRY_EXCEPTIONS[up], "exception"
    if len(v) == 2 and up in a2:
        return up, "iso2"
    if len(v) == 3 and up in a3:
        return a3[up], "iso3"
    if v.lower() in names:
        return names[v.lower()], "name"
    return None, "unknown_code"


def year_of(raw: object) -> tuple[int | None, str | None]:
    """A year from an int, a digit string, or an ORCID `{"value": "2016"}` object; (None, problem) otherwise."""
    if isinstance(raw, dict):
        raw = raw.get("value")
    if raw is None or raw == "":
        return None, None
    if isinstance(raw, bool):
        return None, "not_a_year"
    if isinstance(raw, int):
        y = raw
    elif isinstance(raw, str) and re.fullmatch(r"\s*\d{4}\s*", raw):
        y = int(raw)
    elif isinstance(raw, float) and raw.is_integer():
        y = int(raw)
    else:
        return None, "not_a_year"
    if not YEAR_MIN <= y <= YEAR_MAX:
        return None, "year_out_of_range"
    return y, None


@lru_cache(maxsize=1)
def degree_rules() -> list[tuple[re.Pattern, str, int]]:
    """ORCID education role titles ('BSc', 'B.Tech', 'Ph.D.') → the position vocabulary, from degrees.csv."""
    from ..errors import InputError

    rules = []
    with DEGREES_FILE.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            try:
                rules.append((re.compile(row["pattern"], re.I), row["position_raw"], i))
            except (re.error, KeyError) as e:
                raise InputError(str(DEGREES_FILE), f"bad rule: {e}", record=f"line {i}", field="pattern")
    return rules


def degree_position(role: str | None) -> tuple[str | None, int | None]:
    if not role:
        return None, None
    for pat, pos, line in degree_rules():
        if pat.search(role):
            return pos, line
    return None, None


def _text(v: object) -> str | None:
    if isinstance(v, str):
        v = " ".join(v.split())
        return v or None
    return None


def parse_openreview_profile(obj: object, dataset_id: str, line: int, out: Parsed) -> None:
    """One OpenReview profile: `id`, `content.names[].username`, `content.history[]` (position, start, end,
    institution{name, domain, country, …}); entries are kept in the order given (not chronological)."""
    rec = f"line {line}"
    if not isinstance(obj, dict):
        return out.bad(dataset_id, rec, "(record)", f"not an object ({type(obj).__name__})")
    pid = obj.get("id")
    if not isinstance(pid, str) or not pid.startswith("~") or len(pid) > 200:
        return out.bad(dataset_id, rec, "id", "missing or not a profile id", pid)
    rec = pid
    content = obj.get("content")
    if not isinstance(content, dict):
        return out.bad(dataset_id, rec, "content", f"not an object ({type(content).__name__})")
    names, preferred = content.get("names"), None
    aliases = {pid}
    if isinstance(names, list):
        for n in names:
            if isinstance(n, dict):
                u = n.get("username")
                if isinstance(u, str) and u.startswith("~"):
                    aliases.add(u)
                if preferred is None or n.get("preferred") is True:
                    preferred = _text(n.get("fullname")) or preferred
    elif names is not None:
        out.bad(dataset_id, rec, "content.names", f"not a list ({type(names).__name__})")
    hist = content.get("history")
    n_hist = 0
    if hist is None:
        pass  # hidden or empty history: counted by has_history = false
    elif not isinstance(hist, list):
        out.bad(dataset_id, rec, "content.history", f"not a list ({type(hist).__name__})")
    else:
        for i, e in enumerate(hist[:MAX_HISTORY]):
            n_hist += _history_entry(e, i, dataset_id, rec, out)
        if len(hist) > MAX_HISTORY:
            out.bad(dataset_id, rec, "content.history", f"{len(hist)} entries; the first {MAX_HISTORY} kept")
    orcid = _orcid_of(content.get("orcid"))
    tm = obj.get("tmdate") if isinstance(obj.get("tmdate"), int) else None
    out.profiles.append({"profile_id": pid, "source": "openreview", "preferred_name": preferred,
                         "n_history": n_hist, "has_history": n_hist > 0, "orcid": orcid, "tmdate": tm,
                         "dataset_id": dataset_id})
    out.aliases += [{"username": a, "profile_id": pid, "dataset_id": dataset_id} for a in sorted(aliases)]


def _history_entry(e: object, i: int, dataset_id: str, rec: str, out: Parsed) -> int:
    fld = f"content.history[{i}]"
    if not isinstance(e, dict):
        out.bad(dataset_id, rec, fld, f"not an object ({type(e).__name__})")
        return 0
    inst = e.get("institution")
    if inst is not None and not isinstance(inst, dict):
        out.bad(dataset_id, rec, f"{fld}.institution", f"not an object ({type(inst).__name__})")
        inst = None
    inst = inst or {}
    name, domain = _text(inst.get("name")), _text(inst.get("domain"))
    if name is None and domain is None:
        out.bad(dataset_id, rec, f"{fld}.institution", "no institution name or domain")
        return 0
    years = {}
    for k in ("start", "end"):
        y, problem = year_of(e.get(k))
        if problem:
            out.bad(dataset_id, rec, f"{fld}.{k}", problem, e.get(k))
        years[k] = y
    if years["start"] and years["end"] and years["end"] < years["start"]:
        out.bad(dataset_id, rec, fld, "end before start", f"{years['start']}-{years['end']}")
        years["end"] = None  # keep the start, which is still dated
    country, rule = country_code(inst.get("country"))
    if rule in ("unknown_code", "not_a_string"):
        out.bad(dataset_id, rec, f"{fld}.institution.country", rule, inst.get("country"))
    pos = e.get("position")
    out.history.append({
        "profile_id": rec, "source": "openreview", "dataset_id": dataset_id, "entry_no": i, "kind": "history",
        "position_raw": _text(pos) if isinstance(pos, str) else None, "role_raw": _text(pos) if isinstance(pos, str) else None,
        "institution_raw": name, "domain_raw": domain.lower() if domain else None,
        "department": _text(inst.get("department")), "country_raw": _text(inst.get("country")),
        "country": country, "country_rule": rule, "start_year": years["start"], "end_year": years["end"],
        "open_end": e.get("end") is None})
    return 1


_ORCID_RE = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")


def _orcid_of(v: object) -> str | None:
    m = _ORCID_RE.search(v) if isinstance(v, str) else None
    return m.group(1) if m else None


def parse_orcid_record(obj: object, dataset_id: str, line: int, out: Parsed) -> None:
    """One ORCID snapshot record: `{"orcid", "person_id", "educations": <API v3.0 /educations JSON>,
    "employments": <API v3.0 /employments JSON>}` (`person_id` is the profile the iD was found on)."""
    rec = f"line {line}"
    if not isinstance(obj, dict):
        return out.bad(dataset_id, rec, "(record)", f"not an object ({type(obj).__name__})")
    orcid = _orcid_of(obj.get("orcid"))
    if orcid is None:
        return out.bad(dataset_id, rec, "orcid", "missing or not an ORCID iD", obj.get("orcid"))
    rec = orcid
    person = obj.get("person_id") if isinstance(obj.get("person_id"), str) else None
    pid = person or f"orcid:{orcid}"
    n = 0
    for section, summary_key in (("educations", "education-summary"), ("employments", "employment-summary")):
        doc = obj.get(section)
        if doc is None:
            continue
        groups = doc.get("affiliation-group") if isinstance(doc, dict) else None
        if not isinstance(groups, list):
            out.bad(dataset_id, rec, f"{section}.affiliation-group", "not a list")
            continue
        for gi, g in enumerate(groups):
            sums = g.get("summaries") if isinstance(g, dict) else None
            if not isinstance(sums, list):
                out.bad(dataset_id, rec, f"{section}.affiliation-group[{gi}].summaries", "not a list")
                continue
            for si, s in enumerate(sums):
                summ = s.get(summary_key) if isinstance(s, dict) else None
                fld = f"{section}.affiliation-group[{gi}].summaries[{si}]"
                if not isinstance(summ, dict):
                    out.bad(dataset_id, rec, fld, f"no {summary_key} object")
                    continue
                n += _orcid_summary(summ, section, n, pid, dataset_id, rec, fld, out)
    out.profiles.append({"profile_id": pid, "source": "orcid", "preferred_name": None, "n_history": n,
                         "has_history": n > 0, "orcid": orcid, "tmdate": None, "dataset_id": dataset_id})
    out.aliases.append({"username": f"orcid:{orcid}", "profile_id": pid, "dataset_id": dataset_id})


def _orcid_summary(s: dict, section: str, entry_no: int, pid: str, dataset_id: str, rec: str, fld: str,
                   out: Parsed) -> int:
    org = s.get("organization") if isinstance(s.get("organization"), dict) else {}
    name = _text(org.get("name"))
    if name is None:
        out.bad(dataset_id, rec, f"{fld}.organization.name", "absent")
        return 0
    addr = org.get("address") if isinstance(org.get("address"), dict) else {}
    country, rule = country_code(addr.get("country"))
    if rule in ("unknown_code", "not_a_string"):
        out.bad(dataset_id, rec, f"{fld}.organization.address.country", rule, addr.get("country"))
    years = {}
    for k in ("start-date", "end-date"):
        d = s.get(k)
        y, problem = year_of(d.get("year") if isinstance(d, dict) else None)
        if problem:
            out.bad(dataset_id, rec, f"{fld}.{k}.year", problem)
        years[k] = y
    role = _text(s.get("role-title"))
    if section == "educations":
        pos, _ = degree_position(role)
        kind = "education"
    else:
        pos, kind = role, "employment"
    out.history.append({
        "profile_id": pid, "source": "orcid", "dataset_id": dataset_id, "entry_no": entry_no, "kind": kind,
        "position_raw": pos, "role_raw": role, "institution_raw": name, "domain_raw": None,
        "department": _text(s.get("department-name")), "country_raw": _text(addr.get("country")),
        "country": country, "country_rule": rule, "start_year": years["start-date"], "end_year": years["end-date"],
        "open_end": s.get("end-date") is None})
    return 1
