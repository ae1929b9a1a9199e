"""Resource limits: the bounds every parameter and input must respect, checked before any work is done.

One place for the library, the CLI and the API: a value out of bounds raises `InvalidValue` (a kind of
`UnknownValue`), which the CLI prints as a one-line error and the API answers as 422 naming the parameter.
docs/reliability.md ("Resource limits") lists each limit, its value and the test that checks it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from .errors import InvalidValue

# Conference years: the mirror spans 1987-2026; the bounds leave room on both sides without letting a range
# such as 1-100000000 be expanded.
YEAR_MIN, YEAR_MAX = 1980, 2100
# Bootstrap resamples: ten times the default 1,000. At the bound the costliest resampling (8,000 clusters,
# bootstrap.DIRECT_MAX) takes 10 s and 1.6 GB, a NeurIPS year 3.6 s and 430 MB; 10,000,000 asked for 205 GiB.
N_BOOT_MAX = 10_000
SEED_MAX = 2**63 - 1
# A filter value (venue, tier, subfield, sector, attribution, country, stage, …): the longest allowed value is
# under 30 characters; anything longer cannot match and is refused before it is compared or echoed.
TEXT_MAX = 100
# Rows a ranking may return (institutions, top groups).
ROWS_MAX = 10_000
# One affiliation string and one domain given to `talentflow resolve`, refused before the registry is loaded.
# The longest affiliation of an authorship in the mirror has 1,782 characters (a biography pasted as the
# affiliation); the resolver reads at most the first 512 of any string (resolve.normalize.MAX_LEN), so a longer
# input would be answered from a cut it never showed. A host name has at most 253 characters (RFC 1035); an
# e-mail address one local part more.
AFFILIATION_MAX = 2_000
DOMAIN_MAX = 320
# Decompression and download caps. A catalogued file's content is its upstream blob, whose size is at most
# 14.7 × the catalogued gzip size over the whole mirror (leaderboard CSVs; JSON ~4-12 ×). The cap leaves 4×
# room above that and stops a gzip bomb (~1000 ×) after a bounded amount of work.
GZIP_RATIO_MAX = 64
SIZE_MARGIN = 1 << 20  # 1 MiB on top of every expected size
# `data fetch`: total seconds per file (connect + transfer) by default, and the longest a read may stall.
FETCH_TIMEOUT = 300.0
FETCH_STALL_MAX = 60.0
# `serve`: a request still running after this many seconds is answered 503 and its queries interrupted. The
# slowest request measured on the full mirror, the dashboard's default charts uncached, took 15 s on 2 shared
# cores (`/api/trend` over all years 9 s); the limit leaves 4× that.
REQUEST_TIMEOUT = 60.0


def _shown(value) -> str:
    s = str(value)
    return s if len(s) <= 60 else s[:60] + f"… ({len(s):,} characters)"


def check_int(what: str, value, lo: int, hi: int) -> int:
    """`value` as an int within [lo, hi], else InvalidValue naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except ValueError:
            raise InvalidValue(what, _shown(value), f"an integer {lo}-{hi}") from None
    if not lo <= value <= hi:
        raise InvalidValue(what, _shown(value), f"an integer {lo}-{hi}")
    return value


def check_year(value, what: str = "year") -> int:
    return check_int(what, value, YEAR_MIN, YEAR_MAX)


def check_year_range(first, last, what: str = "years") -> tuple[int, int]:
    """An inclusive (first, last) pair inside YEAR_MIN-YEAR_MAX, checked before it is expanded."""
    shown = f"{first}-{last}"
    try:
        a, b = check_int(what, first, YEAR_MIN, YEAR_MAX), check_int(what, last, YEAR_MIN, YEAR_MAX)
    except InvalidValue:
        raise InvalidValue(what, _shown(shown), f"FIRST-LAST within {YEAR_MIN}-{YEAR_MAX}, e.g. 2019-2024") \
            from None
    if a > b:
        raise InvalidValue(what, _shown(shown), "FIRST-LAST with FIRST ≤ LAST, e.g. 2019-2024")
    return a, b


def check_years(values, what: str = "years") -> tuple[int, ...]:
    """A list of years: at most one entry per allowed year, each within the bounds."""
    most = YEAR_MAX - YEAR_MIN + 1
    values = tuple(itertools.islice(iter(values), most + 1))  # never more than that is held
    if len(values) > most:
        raise InvalidValue(what, f"a list of more than {most} years", f"at most {most} years")
    return tuple(check_year(v, what) for v in values)


def check_n_boot(value, allow_zero: bool = False, what: str = "n_boot") -> int:
    """Bootstrap resamples, 1-N_BOOT_MAX. The library also takes 0 (`allow_zero`): counts only, no intervals."""
    return check_int(what, value, 0 if allow_zero else 1, N_BOOT_MAX)


def check_seed(value, what: str = "seed") -> int:
    return check_int(what, value, 0, SEED_MAX)


def check_rows(value, what: str = "limit") -> int:
    return check_int(what, value, 1, ROWS_MAX)


def check_seconds(value, what: str = "timeout", hi: float = 86_400.0) -> float:
    """A positive duration of at most a day."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidValue(what, _shown(value), f"seconds, more than 0 and at most {hi:g}") from None
    if not 0 < v <= hi:
        raise InvalidValue(what, _shown(value), f"seconds, more than 0 and at most {hi:g}")
    return v


def check_text(what: str, value, max_len: int = TEXT_MAX):
    """A user-supplied string no longer than `max_len` characters (None passes)."""
    if value is not None and len(str(value)) > max_len:
        raise InvalidValue(what, _shown(value), f"at most {max_len:,} characters")
    return value


def check_affiliation(affiliation, domain) -> None:
    """The pair `talentflow resolve` is asked about (one argument or one line of a batch)."""
    check_text("affiliation", affiliation, AFFILIATION_MAX)
    check_text("domain", domain, DOMAIN_MAX)


def gzip_cap(catalog_bytes: int) -> int:
    """Most bytes a catalogued gzip file may decompress to, and a download of its content may carry."""
    return GZIP_RATIO_MAX * max(int(catalog_bytes or 0), 0) + SIZE_MARGIN


def content_cap(catalog_bytes: int, path: Path | str) -> int:
    """Most bytes the upstream content of a catalogued file may have: the gzip cap for a file stored
    compressed, its catalogued size plus the margin for a file stored as published."""
    if str(path).endswith(".gz"):
        return gzip_cap(catalog_bytes)
    return max(int(catalog_bytes or 0), 0) + SIZE_MARGIN
