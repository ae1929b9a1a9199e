"""Table-by-table comparison of two builds made by different engines: the same tables, the same rows (in any
order), floats equal within 1e-9. Types are compared by their values, since each engine names its own."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math

TOL = 1e-9


def _norm(v):
    if isinstance(v, float):
        return ("f", v)
    if isinstance(v, decimal.Decimal):
        return ("f", float(v)) if v != v.to_integral_value() else int(v)
    if isinstance(v, dict):
        return tuple((k, _norm(x)) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return tuple(_norm(x) for x in v)
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    return v


def _key(v):
    """Sort key where floats sort by a rounded value, so rows equal within the tolerance line up."""
    if isinstance(v, tuple) and len(v) == 2 and v[0] == "f":
        x = v[1]
        return (1, "nan" if math.isnan(x) else round(x, 6))
    if isinstance(v, tuple):
        return (2, tuple(_key(x) for x in v))
    if v is None:
        return (0, "")
    return (3, repr(type(v).__name__), str(v))


def _close(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) == 2 and a[:1] == ("f",) and b[:1] == ("f",):
            x, y = a[1], b[1]
            return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= TOL * max(1.0, abs(x), abs(y))
        if len(a) == 2 and a[:1] == ("f",) and isinstance(b[1] if len(b) == 2 else None, (int, float)):
            return False
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple) and len(a) == 2 and a[0] == "f" and isinstance(b, int):
        return abs(a[1] - b) <= TOL * max(1.0, abs(b))
    if isinstance(b, tuple) and len(b) == 2 and b[0] == "f" and isinstance(a, int):
        return abs(b[1] - a) <= TOL * max(1.0, abs(a))
    return a == b


def rows(eng, table: str) -> tuple[list[str], list[tuple]]:
    t = eng.arrow(f"SELECT * FROM {table}")
    cols = [c.lower() for c in t.column_names]
    data = [tuple(_norm(v) for v in r.values()) for r in t.to_pylist()]
    return cols, sorted(data, key=lambda r: tuple(_key(v) for v in r))


def compare_tables(a, b, tables: list[str], skip_columns: dict[str, set[str]] | None = None) -> list[str]:
    """Differences between engines `a` and `b` on `tables` (empty when every table is equal)."""
    out = []
    for t in tables:
        ca, ra = rows(a, t)
        cb, rb = rows(b, t)
        if ca != cb:
            out.append(f"{t}: columns {ca} vs {cb}")
            continue
        drop = skip_columns.get(t, set()) if skip_columns else set()
        if drop:
            keep = [i for i, c in enumerate(ca) if c not in drop]
            ra = sorted((tuple(r[i] for i in keep) for r in ra), key=lambda r: tuple(_key(v) for v in r))
            rb = sorted((tuple(r[i] for i in keep) for r in rb), key=lambda r: tuple(_key(v) for v in r))
        if len(ra) != len(rb):
            out.append(f"{t}: {len(ra)} rows vs {len(rb)}")
            continue
        bad = [(x, y) for x, y in zip(ra, rb) if not _close(x, y)]
        if bad:
            x, y = bad[0]
            diff = [(c, vx, vy) for c, vx, vy in zip(ca, x, y) if not _close(vx, vy)]
            out.append(f"{t}: {len(bad)} of {len(ra)} rows differ, first: {json.dumps(diff, default=str)[:600]}")
    return out
