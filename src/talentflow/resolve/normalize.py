"""String and domain normalisation shared by the registry build (SQL) and the resolver (Python).

`norm_name` and `SQL_NORM` must agree: registry names are normalised in SQL, query strings in Python, and the two
meet in an exact lookup. tests/test_resolve_normalize.py checks the two spellings on tricky inputs.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache

MAX_LEN = 512  # affiliation strings are cut here before any work: a 10 kB string is noise, not a name

_CTRL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NONALNUM = re.compile(r"[^a-z0-9]+")
_TRANSLIT = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
                           "đ": "d", "Đ": "D", "ı": "i", "þ": "th"})


_SPACING_ACCENT = re.compile(r"\s?[\u00b4\u00a8\u02d8\u00b8\u02c6\u02dc\u02c7\u02da`]\s?")
_LEAD_MARK = re.compile(r"^[^\w(]+|^\d+(?=[A-Z])")
_MOJIBAKE = re.compile("[\u00c3\u00c2][\u0080-\u00bf]")
_ENTITY = re.compile(r"&(?:#\d{2,5}|#x[0-9a-fA-F]{2,4}|amp|quot|apos|lt|gt|nbsp);")


@lru_cache(maxsize=100_000)  # every pair's string is cleaned by several steps
def clean_text(s: str | None, footnotes: bool = True) -> str:
    """Control characters → space, whitespace collapsed, HTML entities decoded ('&amp;'), PDF-extraction damage
    repaired (spacing accents 'Montr´eal', mojibake 'AragÃ³n', ligatures, leading footnote marks '1Department',
    '†'), cut to MAX_LEN."""
    if not s:
        return ""
    s = _CTRL.sub(" ", s[: MAX_LEN * 4])
    if "&" in s and _ENTITY.search(s):
        s = html.unescape(s)  # 'MMLab of CUHK &amp; …', 'Women&#x27;s Hospital' (scraped HTML)
    if _MOJIBAKE.search(s):
        try:
            s = s.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    s = _SPACING_ACCENT.sub("", s)
    s = _SPACING_ACCENT.sub("", unicodedata.normalize("NFKC", s))  # ﬁ → fi; NFKC may re-create ' \u0301'
    s = re.sub(r"\s[\u0300-\u036f]\s?", "", s)
    if footnotes:
        s = re.sub(r"(?<=[a-z]{3})\d{1,2}\b", "", s)  # footnote digits glued to a word: 'China1', 'Research2'

    s = _LEAD_MARK.sub("", s.strip())
    s = s.replace("†", " ").replace("‡", " ").replace("♠", " ").replace("∗", " ")
    return " ".join(s.split())[:MAX_LEN]


@lru_cache(maxsize=200_000)
def norm_name(s: str | None) -> str:
    """Lower-case ASCII words: accents stripped, '&' → 'and', punctuation → space, leading 'the' dropped."""
    if not s:
        return ""
    if s.isascii() and len(s) <= MAX_LEN:
        s = s.lower().replace("&", " and ")  # fast path: nothing to repair or strip
    else:
        s = unicodedata.normalize("NFKD", clean_text(s).translate(_TRANSLIT))
        s = "".join(c for c in s if not unicodedata.combining(c)).lower().replace("&", " and ")
    s = _NONALNUM.sub(" ", s).strip()
    if s.startswith("the "):
        s = s[4:]
    return s


def sql_norm(expr: str, strip_accents: str = "strip_accents") -> str:
    """SQL spelling of `norm_name` for the registry build. `strip_accents` is the dialect's function name."""
    tr = "translate({e}, 'øØłŁæÆœđĐıþ', 'oOlLaAodDit')"  # single-char approximations of _TRANSLIT (ß handled below)
    e = f"replace(replace(replace(replace({expr}, 'ß', 'ss'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe')"
    e = tr.format(e=e)
    e = f"replace(lower({strip_accents}({e})), '&', ' and ')"
    e = f"trim(regexp_replace({e}, '[^a-z0-9]+', ' ', 'g'))"
    return f"regexp_replace({e}, '^the ', '')"


_DOMAIN_OK = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$")


def clean_domain(d: str | None) -> str:
    """'@Mails.Tsinghua.edu.cn ' → 'mails.tsinghua.edu.cn'; anything that is not a host name → ''."""
    if not d:
        return ""
    d = clean_text(d, footnotes=False).lower().strip().strip(".")
    if "@" in d:
        d = d.rsplit("@", 1)[1]
    for p in ("https://", "http://"):
        if d.startswith(p):
            d = d[len(p):]
    if "/" in d or " " in d:
        return ""  # '/b.sc/e.sc/…' or 'x y.com': not a host name
    d = d.split(":", 1)[0]
    if d.startswith("www."):
        d = d[4:]
    if len(d) > 253 or not _DOMAIN_OK.match(d):
        return ""
    return d


def parent_domains(d: str) -> list[str]:
    """mails.tsinghua.edu.cn → [mails.tsinghua.edu.cn, tsinghua.edu.cn, edu.cn] (never the bare TLD)."""
    parts = d.split(".")
    return [".".join(parts[i:]) for i in range(len(parts) - 1)]


# Department/unit words: a comma part made of these is a sub-unit, not the institution.
UNIT_WORDS = ("department", "dept", "school of", "faculty of", "college of", "institute for", "lab ", "laboratory",
              "center for", "centre for", "division", "group", "graduate school", "program", "key lab")

_SPLIT_MULTI = re.compile(r"\s*(?:\+|;|\s/\s|\|)\s*|\s+and\s+(?=(?:the\s+)?(?:university|univ)\b)"
                          r"|\s+(?:&|and)\s+(?=the\s+[A-Z])", re.I)
# a footnote number glued between two affiliations of a PDF header: 'Tsinghua University2Hong Kong University of
# Science and Technology3Deeproute.ai', '1CUHK4SmartMore' — after a word that ends an institution's name or an
# acronym, before a capitalised word (never 'Vision4Robotics', 'Tech4Health', 'ALL4TEC')
_GLUED_MARK = re.compile(r"(?:(?<=[Uu]niversity)|(?<=[Ii]nstitute)|(?<=[Tt]echnology)|(?<=[Cc]ollege)|(?<=[Aa]cademy)"
                         r"|(?<=[Ll]aboratory)|(?<=[Rr]esearch)|(?<=[Ss]ciences)|(?<=[Cc]enter)|(?<=[Cc]entre)"
                         r"|(?<=Lab)|(?<=AI)|(?<=Inc)|(?<=Ltd)|(?<=China)|(?<=USA)|(?<=Kong)|(?<=[A-Z]{3}))"
                         r"[1-9](?=[A-Z][a-z])")
_EMAIL = re.compile(r"(?:e-?mail\s*:?\s*)?[\w.+-]+@((?:[\w-]+\.)+[A-Za-z]{2,})\b", re.I)


def email_in(s: str) -> tuple[str, str]:
    """(the string without its e-mail address, the address's domain) — ('', '') when it has none. An address
    written in the affiliation field ('jose.dolz@livia.etsmtl.ca', 'Email: x@post.bgu.ac.il') is a domain."""
    m = _EMAIL.search(s) if "@" in s else None
    if not m:
        return "", ""
    rest = re.sub(r"\s*,(\s*,)+", ",", " ".join(_EMAIL.sub(" ", s).split()))
    return rest.strip(" ,;:"), m.group(1).lower()


def split_multi(s: str) -> list[str]:
    """'NVIDIA Research+University of California, Berkeley' → two parts; duplicates dropped, order kept."""
    out: list[str] = []
    for p in _SPLIT_MULTI.split(_GLUED_MARK.sub(" + ", s) if s[:1] and _GLUED_MARK.search(s) else s):
        p = p.strip(" ,;-")
        if p and p.lower() not in (q.lower() for q in out):
            out.append(p)
    return out or ([s] if s else [])


@lru_cache(maxsize=100_000)
def dedupe_repeats(s: str) -> str:
    """'Tsinghua University, Tsinghua University' → 'Tsinghua University'."""
    parts = [p.strip() for p in s.split(",")]
    seen: list[str] = []
    for p in parts:
        if p and p.lower() not in (q.lower() for q in seen):
            seen.append(p)
    return ", ".join(seen)


def comma_parts(s: str) -> list[str]:
    return [p.strip() for p in s.split(",") if p.strip()]


_PAREN = re.compile(r"\s*[\(\[]([^\)\]]*)[\)\]]\s*")


def paren_split(s: str) -> tuple[str, list[str]]:
    """'Harbin Institute of Technology (Shenzhen)' → ('Harbin Institute of Technology', ['Shenzhen'])."""
    base, inner = _paren_split(s)
    return base, list(inner)


@lru_cache(maxsize=100_000)
def _paren_split(s: str) -> tuple[str, tuple[str, ...]]:
    inner = tuple(m.strip() for m in _PAREN.findall(s) if m.strip())
    return " ".join(_PAREN.sub(" ", s).split()), inner
