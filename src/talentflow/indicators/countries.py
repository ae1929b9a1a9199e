"""Country names and codes in indicator files → ISO 3166-1 alpha-2, via pycountry plus a reviewable alias file.

`country_aliases.csv` holds what pycountry cannot answer (e.g. Epoch's "Korea (Republic of)", NCSES's "South
Korea") and the entities that are deliberately *not* countries (World, regions, income groups, patent offices):
those have an empty `iso2` and `kind` = aggregate (or `other` for former states and territories reported beside
their country). Nothing is fuzzy-matched: an unknown name stays unresolved and
is reported, because a wrong country is worse than none.
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ALIASES_PATH = Path(__file__).with_name("country_aliases.csv")
ALIAS_COLUMNS = ["name", "iso2", "kind", "notes"]


@dataclass(frozen=True)
class CountryAnswer:
    iso2: str | None
    kind: str  # country | aggregate | other (former states, sub-national parts) | unresolved
    method: str  # alias | iso3_code | iso2_code | pycountry | aggregate_code | none
    alias_key: str | None = None  # the alias row used, for the unused-entries report


def clean_name(name: str | None) -> str:
    """Strip NCSES footnote markers (<sup>a</sup>) and surrounding/double spaces."""
    if name is None:
        return ""
    name = html.unescape(name)
    name = re.sub(r"<sup>[^<]*</sup>", "", name)
    return re.sub(r"\s+", " ", name).strip()


@lru_cache(maxsize=4)
def load_aliases(path: Path = ALIASES_PATH) -> dict[str, dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out: dict[str, dict] = {}
    for i, r in enumerate(rows, start=2):
        key = clean_name(r["name"]).casefold()
        if key in out:
            raise ValueError(f"{path}: line {i}: duplicate alias {r['name']!r}")
        if r["kind"] not in ("country", "aggregate", "other"):
            raise ValueError(f"{path}: line {i}: kind must be country, aggregate or other, not {r['kind']!r}")
        if (r["kind"] == "country") != bool(r["iso2"]):
            raise ValueError(f"{path}: line {i}: a country alias needs an iso2 code, an aggregate none")
        out[key] = r
    return out


def _pycountry_lookup(name: str):
    import pycountry

    try:
        return pycountry.countries.lookup(name)
    except LookupError:
        return None


def resolve(name: str | None, code: str | None = None) -> CountryAnswer:
    """Answer for one entity. `code` is an ISO3 (OWID) or ISO2 (patent office) code when the file has one."""
    import pycountry

    cleaned = clean_name(name)
    aliases = load_aliases()
    hit = aliases.get(cleaned.casefold())
    if hit is not None:
        return CountryAnswer(hit["iso2"] or None, hit["kind"], "alias", hit["name"])
    code = (code or "").strip()
    if code.startswith("OWID_"):
        # OWID's own codes are regions and groups (OWID_WRL, OWID_EU27…), except Kosovo which needs an alias.
        return CountryAnswer(None, "aggregate", "aggregate_code")
    if len(code) == 3:
        c = pycountry.countries.get(alpha_3=code.upper())
        if c is not None:
            return CountryAnswer(c.alpha_2, "country", "iso3_code")
    if len(code) == 2:
        c = pycountry.countries.get(alpha_2=code.upper())
        if c is not None:
            return CountryAnswer(c.alpha_2, "country", "iso2_code")
    if cleaned:
        c = _pycountry_lookup(cleaned)
        if c is not None:
            return CountryAnswer(c.alpha_2, "country", "pycountry")
    return CountryAnswer(None, "unresolved", "none")


def mapping_rows(pairs: list[tuple[str | None, str | None]]) -> list[dict]:
    """Resolve distinct (name, code) pairs into rows for a SQL join table."""
    out = []
    for name, code in pairs:
        a = resolve(name, code)
        out.append({"entity_raw": name, "code_raw": code, "country": a.iso2, "entity_kind": a.kind,
                    "country_method": a.method, "alias_key": a.alias_key})
    return out


def report(pairs: list[tuple[str | None, str | None]]) -> dict:
    """Names left unresolved and alias rows never used, for the hygiene test and the stage stats."""
    rows = mapping_rows(pairs)
    used = {r["alias_key"].casefold() for r in rows if r["alias_key"]}
    return {
        "unresolved": sorted({r["entity_raw"] for r in rows if r["entity_kind"] == "unresolved"}),
        "unused_aliases": sorted(a["name"] for k, a in load_aliases().items() if k not in used),
    }
