"""Small-cell suppression and the person-level guard applied to every published row (report, dashboard, API).

Rule: no published number rests on fewer than `min_cell` people. Cells below the threshold are pooled into one
"suppressed" row; if that pool itself holds fewer than `min_cell` people, the next-smallest visible cells join it
(secondary suppression), so no small cell can be recovered by subtracting the visible cells from the total.
"""

from __future__ import annotations

from typing import Iterable

SUPPRESSED = "(suppressed: cells < k)"

# Columns that would identify a person; metric rows never need them, so they are dropped wherever they appear.
PERSON_FIELDS = frozenset({"person_id", "author_name", "authorid_raw", "full_name", "email", "or_profile",
                           "homepage", "orcid", "dblp", "google_scholar", "linkedin", "person_ids", "people"})
VALUE_FIELDS = ("share", "ci_low", "ci_high", "count", "n", "value", "rate")
# Integer columns that are not counts of people (everything else integer-valued is treated as a people count).
NOT_PEOPLE = frozenset({"year", "first_year", "last_year", "rank", "n_boot", "seed", "cells_pooled", "from_year",
                        "to_year", "years_after", "share", "ci_low", "ci_high", "coverage", "rate", "value",
                        "confidence", "net", "cohort_year", "median_last_year", "ref_year"})


def _people_ints(r: dict):
    return [k for k, v in r.items() if isinstance(v, int) and not isinstance(v, bool) and k not in NOT_PEOPLE]


def mask_small(r: dict, min_cell: int) -> dict:
    """Any other people count in a row (coverage counts, sub-totals) below min_cell is blanked."""
    out = dict(r)
    for k in _people_ints(r):
        if 0 < r[k] < min_cell:
            out[k] = None
    return out


def strip_person_fields(rows: Iterable[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in PERSON_FIELDS} for r in rows]


def _count(r: dict, key: str) -> float:
    v = r.get(key)
    return float(v) if isinstance(v, (int, float)) else 0.0


def _blank(r: dict) -> dict:
    out = dict(r)
    for k in set(VALUE_FIELDS).union(_people_ints(r)):
        if k in out:
            out[k] = None
    out["suppressed"] = True
    return out


def pool_small(rows: list[dict], min_cell: int, label_keys: tuple[str, ...], count_key: str = "count",
               n_key: str = "n") -> list[dict]:
    """Rows of one distribution (e.g. shares by country): cells with count < min_cell are pooled into one row
    labelled SUPPRESSED, with secondary suppression until the pool reaches min_cell (or everything is pooled).
    A distribution whose total rests on fewer than min_cell people is suppressed whole."""
    rows = strip_person_fields(rows)
    if min_cell <= 1:
        return [{**r, "suppressed": False} for r in rows]
    total = max((_count(r, n_key) for r in rows), default=0.0)
    if rows and 0 < total < min_cell:
        return [_blank(r) for r in rows]
    keep = sorted(rows, key=lambda r: _count(r, count_key), reverse=True)
    pool = [r for r in keep if _count(r, count_key) < min_cell]
    keep = [r for r in keep if _count(r, count_key) >= min_cell]
    pooled = sum(_count(r, count_key) for r in pool)
    while pool and pooled < min_cell and keep:  # secondary suppression
        r = keep.pop()
        pool.append(r)
        pooled += _count(r, count_key)
    out = [mask_small({**r, "suppressed": False}, min_cell) for r in keep]
    if pool:
        agg = {k: None for k in rows[0]}
        for k in label_keys:
            agg[k] = SUPPRESSED
        agg[count_key] = int(pooled) if pooled >= min_cell else None
        if n_key in rows[0]:
            agg[n_key] = rows[0].get(n_key)
        if "share" in agg and agg[count_key] is not None and total:
            agg["share"] = pooled / total
        agg["suppressed"] = True
        agg["cells_pooled"] = len(pool)
        out.append(agg)
    return out


def pool_by(rows: list[dict], group_keys: tuple[str, ...], min_cell: int, label_keys: tuple[str, ...],
            count_key: str = "count", n_key: str = "n") -> list[dict]:
    """`pool_small` within each group (a year of a trend, the origin country of a flow row), so no small cell can
    be recovered from a group's published total. Pooled rows keep their group's keys."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(k) for k in group_keys), []).append(r)
    out = []
    for key, grp in groups.items():
        for r in pool_small(grp, min_cell, label_keys, count_key, n_key):
            out.append({**r, **dict(zip(group_keys, key))} if r.get("suppressed") else r)
    return out


def drop_small(rows: list[dict], min_cell: int, count_keys: tuple[str, ...] = ("count", "n")) -> list[dict]:
    """Rankings, series and rates: a row where any present count (the cell, or the population it is a share of)
    rests on fewer than min_cell people loses its values (kept, marked suppressed)."""
    rows = strip_person_fields(rows)

    def small(r: dict) -> bool:
        return any(k in r and r[k] is not None and _count(r, k) < min_cell for k in count_keys)
    return [(_blank(r) if small(r) else mask_small({**r, "suppressed": False}, min_cell)) for r in rows]


def assert_publishable(rows: list[dict], min_cell: int) -> None:
    """Raise ValueError if a row would publish a people count below min_cell or a person-level field."""
    for r in rows:
        bad = PERSON_FIELDS.intersection(r)
        if bad:
            raise ValueError(f"person-level field(s) {sorted(bad)} in a published row")
        for k in _people_ints(r):
            v = r[k]
            if 0 < v < min_cell:
                raise ValueError(f"published {k}={v} is below min_cell={min_cell}: {r}")
