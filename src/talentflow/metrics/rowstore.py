"""`RowStore`: `metric_rows` held in memory as numpy columns by a reader that answers many queries over a database
that does not change while it is held (the web server, the metrics stage's own loops).

metric_rows is stored in unit order, and units are numbered by venue, year and person within each rule, so the
rows of one rule, venue and year are one contiguous block: a population is a few slices and a filter over the
tier, subfield and sector codes, not a scan of the table. The arrays handed on are those of the SQL scan
(`units.fast_units` without a store), value for value and dtype for dtype.

A store is attached to a connection with `hold` (its cursors share it) and dropped with `release`; without one
every query scans metric_rows in SQL, which is cheaper for a process that asks one question.
"""

from __future__ import annotations

import threading

import numpy as np

from .query import TIER_RANK, MetricQuery, _subfield_parts

KEY = "metric_rows"  # the store's key in a connection's shared dictionary
_LOCK = threading.Lock()
STAGE_COLS = ("origin_c", "origin_i", "origin_p", "origin_b", "origin_src", "graduate_c", "graduate_i",
              "graduate_s", "graduate_p", "graduate_b", "graduate_src", "work_c", "work_i", "work_s", "work_p",
              "work_b", "work_src", "current_c", "current_i", "current_s", "current_p", "current_b", "current_src")
INT_COLS = ("unit", "paper", "pid", "year", "last_year", "last_located_year", "last_c") + STAGE_COLS
# the dtype the SQL scan hands over (DuckDB INTEGER → int32, TINYINT → int8), restored on the way out
SQL_DTYPE = {c: (np.int8 if c.endswith(("_b", "_src")) else np.int32) for c in INT_COLS}


def _compact(a: np.ndarray) -> np.ndarray:
    """The narrowest integer type holding every value (a held column costs 2-4 times less memory)."""
    if not len(a):
        return a
    lo, hi = int(a.min()), int(a.max())
    for t in (np.int8, np.int16, np.int32):
        if np.iinfo(t).min <= lo and hi <= np.iinfo(t).max:
            return a.astype(t)
    return a


def _codes(col) -> tuple[np.ndarray, list]:
    """A text column as codes into its distinct values (-1 for NULL)."""
    d = col.combine_chunks().dictionary_encode() if hasattr(col, "combine_chunks") else col.dictionary_encode()
    return np.asarray(d.indices.fill_null(-1)).astype(np.int16), d.dictionary.to_pylist()


class RowStore:
    def __init__(self, eng):
        import pyarrow.compute as pc

        t = eng.arrow(f"SELECT seq, rule, venue, tier_rank, subfield, flags, current_sector, "
                      f"{', '.join(INT_COLS)} FROM metric_rows")
        seq = np.asarray(t.column("seq").combine_chunks())
        order = None if len(seq) < 2 or (seq[1:] > seq[:-1]).all() else np.argsort(seq, kind="stable")

        def arr(a: np.ndarray) -> np.ndarray:
            return a if order is None else a[order]

        self.n = len(seq)
        self.cols: dict[str, np.ndarray] = {}
        for c in INT_COLS:
            col = t.column(c).combine_chunks()
            self.cols[c] = _compact(arr(np.asarray(col.fill_null(-1) if col.null_count else col)))
        tier = t.column("tier_rank").combine_chunks()
        self.tier = arr(np.asarray(tier.fill_null(0))).astype(np.int8)  # NULL passes no `tier_rank >= r`
        self.rule, self.rules = _codes(t.column("rule"))
        self.rule = arr(self.rule)
        self.venue, self.venues = _codes(t.column("venue"))
        self.venue = arr(self.venue)
        self.subfield, self.subfields = _codes(t.column("subfield"))
        self.subfield = arr(self.subfield)
        self.sector, self.sectors = _codes(t.column("current_sector"))
        self.sector = arr(self.sector)
        flags = t.column("flags").combine_chunks()
        flat, parent = pc.list_flatten(flags), np.asarray(pc.list_parent_indices(flags))
        self.flags: dict[str, np.ndarray] = {}
        for name in sorted(set(flat.to_pylist()) - {None}):
            m = np.zeros(self.n, dtype=bool)
            m[parent[np.asarray(pc.equal(flat, name).fill_null(False))]] = True
            self.flags[name] = arr(m)
        # blocks of (rule, venue, year) rows: [start, end) in table order
        year = self.cols["year"]
        cut = np.flatnonzero(np.r_[True, (self.rule[1:] != self.rule[:-1]) | (self.venue[1:] != self.venue[:-1])
                                   | (year[1:] != year[:-1])]) if self.n else np.zeros(0, dtype=np.int64)
        self.b_start = cut
        self.b_end = np.r_[cut[1:], self.n].astype(np.int64)
        self.b_rule, self.b_venue, self.b_year = self.rule[cut], self.venue[cut], year[cut]
        self.b_sorted = bool(self.n) and self._blocks_in_unit_order()
        self.labels: dict[str, np.ndarray] = {}
        for kind in ("country", "institution", "sector", "parent"):
            lt = eng.arrow("SELECT label FROM metric_labels WHERE kind = ? ORDER BY code", [kind])
            self.labels[kind] = np.array(lt.column("label").to_pylist(), dtype=object)
        self.label_code = {k: {str(v): i for i, v in enumerate(ls)} for k, ls in self.labels.items()}

    def _blocks_in_unit_order(self) -> bool:
        """Each (rule, venue, year) appears as one block (what the unit numbering guarantees)."""
        keys = list(zip(self.b_rule.tolist(), self.b_venue.tolist(), self.b_year.tolist()))
        return len(keys) == len(set(keys))

    def rows(self, q: MetricQuery) -> np.ndarray:
        """Indices of q's rows, in table (seq) order: the rows `MetricQuery.where` selects."""
        if q.attribution not in self.rules:
            return np.zeros(0, dtype=np.int64)
        m = self.b_rule == self.rules.index(q.attribution)
        if q.venue is not None:
            m &= self.b_venue == (self.venues.index(q.venue) if q.venue in self.venues else -2)
        ys = q.year_list()
        if ys is not None:
            m &= np.isin(self.b_year, ys)
        if not self.b_sorted:  # not one block per key: filter row by row (same rows, slower)
            keep = np.isin(np.arange(len(self.b_start)), np.flatnonzero(m))
            idx = np.flatnonzero(np.repeat(keep, self.b_end - self.b_start))
        else:
            s, e = self.b_start[m], self.b_end[m]
            if not len(s):
                return np.zeros(0, dtype=np.int64)
            if (s[1:] == e[:-1]).all():  # one contiguous run
                idx = np.arange(s[0], e[-1])
            else:
                lens = e - s
                idx = np.repeat(s - np.r_[0, np.cumsum(lens)[:-1]], lens) + np.arange(lens.sum())
        keep = self.tier[idx] >= TIER_RANK[q.tier]
        if q.subfield is not None:
            if q.subfield in _subfield_parts()[0]:
                code = self.subfields.index(q.subfield) if q.subfield in self.subfields else -2
                keep &= self.subfield[idx] == code
            else:
                keep &= self.flags[q.subfield][idx] if q.subfield in self.flags else False
        if q.sector is not None:
            keep &= self.sector[idx] == (self.sectors.index(q.sector) if q.sector in self.sectors else -2)
        return idx if keep.all() else idx[keep]

    def take(self, col: str, idx: np.ndarray) -> np.ndarray:
        return self.cols[col][idx].astype(SQL_DTYPE[col], copy=False)


def held(eng) -> RowStore | None:
    shared = getattr(eng, "shared", None)
    return shared.get(KEY) if shared is not None else None


def hold(eng) -> RowStore | None:
    """Load metric_rows into memory for this connection and its cursors (once); None when the engine cannot share
    state between cursors or the table is missing."""
    shared = getattr(eng, "shared", None)
    if shared is None or not eng.table_exists("metric_rows"):
        return None
    with _LOCK:
        if KEY not in shared:
            shared[KEY] = RowStore(eng)
        return shared[KEY]


def release(eng) -> None:
    shared = getattr(eng, "shared", None)
    if shared is not None:
        shared.pop(KEY, None)
