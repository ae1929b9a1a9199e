"""Sector from an affiliation's own words, where no registry type says it (or says only 'facility' / 'other').

Rules, first match wins, on the normalised text of the primary (first) institution of the string:

1. academia, strong: university words in any language, college, polytechnic, institute of technology,
   hochschule, école, academy of sciences — a university hospital or a university's national lab is academia;
2. government: ministry, agency, government, national laboratory, army, navy, air force, military, defence,
   a department of energy/defense/…, hospital (a university hospital matched rule 1);
3. industry: a legal form (Inc, Corp., Ltd, LLC, GmbH, plc, Pte, Pvt, Co. Ltd, K.K.; short forms such as AG, SA,
   SAS, BV, AB, Oy only at the end of a comma part), company, holdings; technologies, unless the text names a
   research body whose field it is (institute, laboratory, centre, council, academy, school, department);
4. academia, weak: a department, faculty, school of …, graduate school (a unit of a university), a (state) key
   laboratory (China's are hosted by universities and CAS institutes);
5. nonprofit: foundation, non-profit (and their French, German, Spanish, Italian spellings).

Nothing else is guessed: 'Institute', 'Research Center', 'AI Lab' name no sector. Rules 1–3 and 5 are *strong*:
only they may describe the first part of a multi-institution string whose institution came from the domain or
a later part (see `resolver.Resolver.resolve`).
"""

from __future__ import annotations

import re
from functools import lru_cache

_ACADEMIA = re.compile(
    r"\b(universit\w*|univ|universidad\w*|universidade|uniwersytet\w*|universiteit|college|polytechnic\w*|"
    r"politecnico|politechnika|polytechnique|hochschule|ecole|escola|escuela|institute of technology|"
    r"academy of sciences?|academia sinica|chinese academy|akademie der wissenschaften|iit|iiit)\b")
_GOVERNMENT = re.compile(
    r"\b(ministry|ministere|ministerio|ministero|government|governmental|agency|national laborator(y|ies)|"
    r"army|navy|naval|air force|military|defen[cs]e|department of (energy|defense|homeland security|"
    r"agriculture|commerce|veterans affairs)|bundesamt|federal office|hospital|nasa|noaa|nist)\b")
_INDUSTRY = re.compile(
    r"\b(inc|incorporated|corp|corporation|ltd|limited|llc|l l c|gmbh|plc|pte|pvt|co ltd|company|companies|"
    r"holdings|k k|kabushiki kaisha|s p a|s r l|s a s|ltda)\b")
# 'Technologies' names a company ('Kensho Technologies') unless the text names a research body whose field it is
# ('Institute for Computer Science and Technologies', 'Key Laboratory of … Intelligence Technologies')
_TECHNOLOGIES = re.compile(r"\btechnologies\b")
_RESEARCH_BODY = re.compile(r"\b(institute|institut|instituto|istituto|laborator(y|ies)|lab|labs|council|"
                            r"cent(er|re)|academy|school|department|faculty)\b")
# short legal forms only at the end of a comma part after a name, and none that is also a place code
# ('Adelaide, SA', 'Las Vegas, NV', 'Stockholm, SE'; 'Boulder, CO' is a part of its own)
_INDUSTRY_END = re.compile(r"\w (ag|s a|sas|srl|spa|bv|b v|n v|ab|oy|oyj|a s|aps|kk|kg|co)$")  # 'Dji Co', not 'CO'

# a unit of a university or academy — and China's key laboratories, which universities and CAS institutes host
_UNIT = re.compile(r"\b(department|dept|depts|faculty|faculte|fakultat|school of|graduate school|college of|"
                   r"(state |provincial |national |ministry of education )?key lab(oratory|oratories)?)\b")
_NONPROFIT = re.compile(r"\b(foundation|fondation|fondazione|fundacion|fundacao|stiftung|non profit|nonprofit|"
                        r"not for profit)\b")

STRONG = ("academia", "government", "industry", "nonprofit")


@lru_cache(maxsize=200_000)
def from_words(norm: str) -> tuple[str, str] | None:
    """(sector, rule) named by the words of a normalised string, or None. rule: 'strong' or 'unit'."""
    if not norm:
        return None
    if _ACADEMIA.search(norm):
        return "academia", "strong"
    if _GOVERNMENT.search(norm):
        return "government", "strong"
    parts = [p.strip() for p in norm.split("  ")] if "  " in norm else [norm]
    if (_INDUSTRY.search(norm) or any(_INDUSTRY_END.search(p) for p in parts)
            or (_TECHNOLOGIES.search(norm) and not _RESEARCH_BODY.search(norm))):
        return "industry", "strong"
    if _UNIT.search(norm):
        return "academia", "unit"
    if _NONPROFIT.search(norm):
        return "nonprofit", "strong"
    return None


@lru_cache(maxsize=200_000)
def words_of(part: str) -> str:
    """The text `from_words` reads: comma parts normalised one by one and kept apart (two spaces), so a legal form
    at the end of a comma part ('Acme AB, Lund') is still at an end."""
    from .normalize import clean_text, comma_parts, norm_name

    return "  ".join(n for n in (norm_name(p) for p in comma_parts(clean_text(part))) if n)


def assign(r, parts: list[str], hits: list, win) -> None:
    """Set `r.sector` / `r.sector_basis` (the Resolution of `Resolver.resolve`, institution already chosen).

    - the winning institution's registry or curated sector, when it has one (`registry`, `curated`); a ROR or
      GRID 'facility' read as academia gives way to strong government, industry or non-profit words in its own
      name, else in the string; a registry record typed government whose name is an academy of sciences or a
      university is academia (the labelling rules);
    - a multi-institution string whose first part resolved to nothing but names its own kind of organisation
      ('Acme Corp, Salt Lake City + University of Utah' with a utah.edu address): the first part's words
      (`words:first-part`) — the row describes the first institution, even when another one gave the country;
    - no sector from any institution (place-only, evidence, ccTLD, peer, or no answer at all): the words of the
      first part (`words`); without an answer only the strong rules speak."""
    sec = r.sector if r.sector not in (None, "unknown", "other") else None
    basis = None
    registry = win is not None and win.inst.source != "curated"
    multi = len(parts) > 1 and bool(hits) and hits[0] is None
    # the string's own words are read only where a rule may use them (most rows keep their registry sector)
    first = (from_words(words_of(parts[0])) if parts and (not sec or multi or (registry and sec == "academia"
                                                                            and win.inst.org_type == "facility"))
             else None)
    if sec:
        basis = "curated" if not registry else "registry"
        own = from_words(words_of(win.inst.name)) if registry and (
            sec == "government" or (sec == "academia" and win.inst.org_type == "facility")) else None
        if own and own[1] == "strong" and sec == "academia" and own[0] != "academia" \
                and win.inst.org_type == "facility":
            sec, basis = own[0], "words"  # 'Sandia National Laboratories', 'Naval Research Laboratory'
        elif own and own[1] == "strong" and sec == "government" and own[0] == "academia":
            sec, basis = "academia", "words"  # ROR types some academies and university systems government
        elif (first and first[1] == "strong" and first[0] != "academia" and win is not None
                and win.inst.org_type == "facility" and win.inst.source != "curated" and sec == "academia"):
            sec, basis = first[0], "words"
        elif first and first[1] == "strong" and first[0] != sec and multi:
            sec, basis = first[0], "words:first-part"
    elif first and (win is not None or first[1] == "strong"):
        sec, basis = first[0], "words"
    r.sector, r.sector_basis = sec, basis
