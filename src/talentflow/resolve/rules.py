"""Thresholds, word lists and small string helpers of the resolver cascade (kept apart from the cascade so the
lists are easy to review)."""

from __future__ import annotations

import re
from functools import lru_cache

FUZZY_THRESHOLD = 92.0  # chosen on the labels and the peers' strings: see docs/resolution.md
# Second-level labels under a ccTLD that are registries, not institutions: never stop a domain walk there.
PUBLIC_SECOND = {"edu", "ac", "co", "com", "org", "net", "gov", "go", "or", "ne", "re", "mil", "nic", "res", "sch"}
# TLDs that never imply a country (vanity ccTLDs sold worldwide, generic ones): data/no_country_tlds.csv
# Place names that are also common words or US states/cities in institution names.
BAD_HINTS = {"georgia", "jersey", "jordan", "chad", "guinea", "niger", "dominica", "mali", "oman", "togo",
             "cambridge", "victoria", "wales"}

_STRONG = re.compile(r"\b(universit\w*|college|polytechnic\w*|politecnico|institute of technology|"
                     r"hochschule|ecole|escola|academy|akademie|school of medicine|tech)\b")
_UNIT_NORM = ("department", "dept", "school of", "faculty", "college of", "lab ", "laboratory", "center for",
              "centre for", "division", "group", "graduate school", "program", "key lab", "state key", "chair",
              "robotics institute", "institute of computer science", "institute of applied")

_TYPE_RANK = {"education": 0, "university": 0, "company": 1, "facility": 2, "nonprofit": 3, "government": 4}
NATIONAL_WEBMAIL = {"163.com": "CN", "126.com": "CN", "qq.com": "CN", "foxmail.com": "CN", "sina.com": "CN",
                    "sina.cn": "CN", "sohu.com": "CN", "yeah.net": "CN", "aliyun.com": "CN", "139.com": "CN",
                    "naver.com": "KR", "daum.net": "KR", "hanmail.net": "KR", "yandex.ru": "RU", "mail.ru": "RU",
                    "web.de": "DE", "gmx.de": "DE", "rediffmail.com": "IN"}
# Member-society aliases and hosting services: the address says nothing about the employer.
NO_SIGNAL_DOMAINS = {"ieee.org", "acm.org", "computer.org", "siam.org", "github.io", "gitlab.io", "orcid.org",
                     "researchgate.net", "ams.org", "iet.org"}
RESIDUE_THRESHOLD = 88.0
_GENERIC = frozenset("""university universidad universidade universite universitat universita college institute
institut instituto istituto school faculty department of for and the de di du des der la le el in at technology
technological technologies tech science sciences scientific research national international corporation corp
company co inc ltd limited llc gmbh group laboratory laboratories lab labs center centre academy engineering
applied advanced studies polytechnic state federal royal medical medicine hospital foundation society""".split())


_LONG_GENERIC = tuple(w for w in _GENERIC if len(w) >= 7)


@lru_cache(maxsize=100_000)
def _is_generic(w: str) -> bool:
    """Generic word, typos included ('univiersity', 'technoplogy')."""
    if w in _GENERIC:
        return True
    if len(w) < 7:
        return False
    from rapidfuzz import fuzz, process

    return process.extractOne(w, _LONG_GENERIC, scorer=fuzz.ratio, score_cutoff=85) is not None


def _residue(norm: str) -> str:
    return " ".join(w for w in norm.split() if not _is_generic(w))


_AND_SPLIT = re.compile(r"\s+(?:&|and)\s+", re.I)
_FIELD_WORDS = frozenset("""science sciences technology engineering arts mathematics physics medicine economics
research development information computer computing automation control systems robotics design management
business law health education communication communications electronics electrical mechanical applied
statistics data intelligence language speech vision""".split())


def _and_segments(part: str) -> list[str]:
    """Split at '&'/'and' except inside names like 'Science and Technology' (field word on both sides)."""
    cuts, last = [], 0
    for m in _AND_SPLIT.finditer(part):
        left = part[last:m.start()].split()
        right = part[m.end():].split()
        if left and right and left[-1].lower().strip(",") in _FIELD_WORDS and right[0].lower() in _FIELD_WORDS:
            continue
        cuts.append((m.start(), m.end()))
    segs, pos = [], 0
    for a, b in cuts:
        segs.append(part[pos:a].strip())
        pos = b
    segs.append(part[pos:].strip())
    return [x for x in segs if x] if len(segs) > 1 else []
_CONNECTORS = {"of", "for", "and", "de", "di", "du", "des", "der", "fur", "in", "at", "the", "la", "le", "del", "da",
               "y", "e", "et", "und"}
_REGIONS = {"europe", "asia", "emea", "apac", "latin america", "africa", "middle east", "americas", "asia pacific",
            "north america"}
_CORP_WORDS = {"ltd", "co", "inc", "corp", "llc", "gmbh", "ag", "sa", "srl", "plc", "co ltd", "limited", "usa", "uk",
               "china", "germany", "france", "japan", "canada", "the", "research", "ai"}

SOURCE_RANK = {"curated": 0, "ror": 1, "ror_national": 1, "grid": 2, "hipo": 3, "ror2021": 4, "swot": 5, "ror_link": 6,
               "ror_acronym": 7, "grid_acronym": 8}
CONF = {"domain:curated": 0.98, "domain:ror": 0.95, "domain:grid": 0.93, "domain:hipo": 0.93, "domain:swot": 0.9,
        "domain:ror_link": 0.85, "name:curated": 0.97, "name:ror": 0.93, "name:grid": 0.92, "name:hipo": 0.92,
        "name:ror2021": 0.9, "name:ror_national": 0.9, "name:swot": 0.88, "name:ror_acronym": 0.8, "name:grid_acronym": 0.8,
        "contains": 0.9, "fuzzy": 0.8, "cctld": 0.7}


def _first_index(keys) -> dict[str, list[int]]:
    """first word → the word counts of the keys starting with it, longest first."""
    idx: dict[str, set[int]] = {}
    for k in keys:
        w = k.split()
        if w:
            idx.setdefault(w[0], set()).add(len(w))
    return {k: sorted(v, reverse=True) for k, v in idx.items()}


def _ngrams(norm: str, table: dict, first: dict[str, list[int]]) -> list[str]:
    """Keys of `table` occurring as whole-word runs in a normalised string, longest first at each position,
    non-overlapping, found through a first-word index (a regex alternation of 500 names is ten times slower)."""
    words = norm.split()
    out: list[str] = []
    i = 0
    while i < len(words):
        step = 1
        for n in first.get(words[i], ()):
            if i + n <= len(words):
                g = " ".join(words[i:i + n])
                if g in table:
                    out.append(g)
                    step = n
                    break
        i += step
    return sorted(out, key=len, reverse=True)


# legal forms at the end of a normalised company name ('xilinx inc', 'denso corporation', 'acme co ltd')
_LEGAL_TAIL = re.compile(r"(?:\s+(?:inc|incorporated|ltd|limited|llc|corp|corporation|co|company|gmbh|ag|plc|s a|"
                         r"sas|srl|s r l|spa|s p a|b v|bv|n v|oy|oyj|ab|k k|kk|pte|pvt|holdings))+$")
_REGION_TABLE = dict.fromkeys(_REGIONS, "")
_REGION_FIRST = _first_index(_REGIONS)


# Two-letter codes written as the last comma part ('…, Tempe, AZ', '…, Chiba, JP'): a US state code that is no
# country code means the US; a country code that is no US state, Canadian province or Australian state code
# means that country; a code that is both ('CA', 'DE', 'IL', 'IN', 'GA', 'MA', 'AZ', 'SC') means nothing.
US_STATES = frozenset("""AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM
NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR""".split())
_PROVINCES = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT NSW VIC QLD SA WA TAS ACT".split())


@lru_cache(maxsize=1)
def _iso2() -> frozenset[str]:
    import pycountry

    return frozenset(c.alpha_2 for c in pycountry.countries)


def code_country(code: str) -> str | None:
    """The country a trailing two-letter code names unambiguously ('AZ' → None: Arizona or Azerbaijan)."""
    code = code.strip().rstrip(".")
    if code == "UK":
        return "GB"
    if len(code) != 2 or not code.isupper() or not code.isalpha():
        return None
    iso = code in _iso2()
    if code in US_STATES:
        return None if iso else "US"
    return code if iso and code not in _PROVINCES else None
