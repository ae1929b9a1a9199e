"""Second-chance spellings of an affiliation, tried by the name step only when no variant of the string as written
is a registry name (`Resolver.by_name`, step `name-variant`). Each rewrite is one general habit of the mirror's
strings, never a fix for one string:

- raw rewrites (the result goes through the usual comma windows): dotted acronyms collapsed (`I.N.R.I.A. Nancy`
  → `INRIA Nancy`, `U.C. Berkeley`), a spaced dash read as a comma (`Robotics and Telematics - University of
  Wuerzburg`), quoted names read like parenthesised ones (`Research Center “Fondazione Istituto Italiano di
  Tecnologia”`), words run together split at their capitals (`MagicLeap`, `KULeuven`, `DisneyResearch`), a trailing
  acronym dropped (`Fraunhofer Institute for Applied Information Technology FIT, Germany`);
- a capitalised acronym leading a comma part: a curated name it is (`NYU Courant Institute`, `MIT EECS`), or the
  registry name after it (`AIT Austrian Institute of Technology`); a curated name after `at` ending a part
  (`Graduate School of AI at KAIST`);
- normalised rewrites of one candidate name: `univ` spelt out (`hiroshima univ`, `univ of nebraska at omaha`),
  German umlauts typed as two letters (`wuerzburg` → `wurzburg`: the registry's ü was normalised to u), and the
  word orders of a university's name (`regensburg university` ↔ `university of regensburg`, `univ. rey juan
  carlos` → `rey juan carlos university`).

A match through a second-chance spelling is weaker than one of the string as written: it never overrides a
domain that disagrees (`Resolver._combine` trusts only the plain `name` step).
"""

from __future__ import annotations

import re
from functools import lru_cache

_DOTTED = re.compile(r"\b(?:[A-Za-z]\.){2,}(?:[A-Za-z]\b\.?)?")
_TRAILING_ACRONYM = re.compile(r"(?<=[a-z]) [A-Z]{2,6}(?=\s*(?:,|$))")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])|(?<=[A-Z])(?=[A-Z][a-z]{2})")
_DASH = re.compile(r"\s+[-–—]\s+")
_QUOTED = re.compile(r"[“\"«„]([^”\"»“]{3,})[”\"»“]")
_UNIV = re.compile(r"\buniv\b")
_UMLAUT = re.compile(r"(?<=[a-z])(ae|oe|ue)")
_X_UNIVERSITY = re.compile(r"((?:[a-z]+ ){0,2}[a-z]+) university")
_UNIVERSITY_OF_X = re.compile(r"university (?:of )?((?:[a-z]+ ){0,3}[a-z]+)")
# words that make 'X university' a different name from 'university of X' ('state university', 'open university')
_NOT_A_PLACE = frozenset("""of for and the at in state national open technical technological normal medical
catholic international american agricultural polytechnic science sciences technology""".split())


@lru_cache(maxsize=100_000)
def raw_rewrites(part: str) -> tuple[str, ...]:
    """Rewrites of a raw part that may expose a name its punctuation hides (none when nothing applies)."""
    out: list[str] = []
    s = part
    if _DOTTED.search(s):
        s = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), s)
        out.append(s)
    if _DASH.search(s):
        s = _DASH.sub(", ", s)
        out.append(s)
    if _QUOTED.search(s):
        out.append(_QUOTED.sub(lambda m: f" ({m.group(1)}) ", s))
    if _CAMEL.search(s):
        out.append(_CAMEL.sub(" ", s))  # 'MagicLeap', 'KULeuven', 'DisneyResearch'
    if _TRAILING_ACRONYM.search(s):
        out.append(_TRAILING_ACRONYM.sub("", s))  # 'Fraunhofer Institute for Applied Information Technology FIT'
    return tuple(dict.fromkeys(x for x in out if x != part))


@lru_cache(maxsize=200_000)
def norm_rewrites(v: str) -> tuple[str, ...]:
    """Rewrites of one normalised candidate name: 'univ' spelt out, umlauts typed as two letters, the other word
    order of a university's name."""
    forms = [v]
    if "univ" in v.split():
        forms.append(_UNIV.sub("university", v))
    for f in list(forms):
        if _UMLAUT.search(f):
            forms.append(_UMLAUT.sub(lambda m: m.group(1)[0], f))
    for f in list(forms):
        m = _X_UNIVERSITY.fullmatch(f)
        if m and not set(m.group(1).split()) & _NOT_A_PLACE:
            forms.append(f"university of {m.group(1)}")
        m = _UNIVERSITY_OF_X.fullmatch(f)
        if m and not set(m.group(1).split()) & _NOT_A_PLACE:
            forms += [f"{m.group(1)} university", f"university of {m.group(1)}"]  # 'univ rey juan carlos'
    return tuple(dict.fromkeys(x for x in forms[1:] if x != v))


def leading_acronym(part: str) -> bool:
    """The part begins with a word in capitals ('NYU Courant Institute', 'MIT EECS', 'NTT Software Innovation
    Center'): a curated acronym there names the organisation the rest of the part is a unit of."""
    w = part.split(maxsplit=1)[0] if part.split() else ""
    w = w.rstrip(",;:")
    return len(w) >= 2 and w.isupper() and w.isalnum() and any(c.isalpha() for c in w)
