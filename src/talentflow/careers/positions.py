"""Normalised positions from the free-text `position_raw`, by the ordered rules in the reviewable `positions.csv`.

The raw value is lower-cased and trimmed; for multi-role values ("Researcher+PhD student") the first role is used,
matching the resolver's rule that the first part of a multi-institution affiliation is the primary one. Rules are
tried in file order; the first match wins; a value no rule matches is `other` with rule `unmatched` (counted by
`hygiene`). `student` marks observations that are not a workplace (they never count as the work stage).
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

POSITIONS_FILE = Path(__file__).with_name("positions.csv")
POSITIONS = ("undergrad", "masters", "phd", "postdoc", "faculty", "researcher_engineer", "leadership", "other")
STUDENT_POSITIONS = ("undergrad", "masters", "phd")
UNMATCHED = "unmatched"


@dataclass(frozen=True)
class PositionRule:
    line: int
    match: str
    pattern: str
    position: str
    student: bool

    @property
    def name(self) -> str:
        return f"positions.csv:{self.line}"

    def matches(self, value: str) -> bool:
        if self.match == "exact":
            return value == self.pattern
        return re.search(self.pattern, value) is not None


def load_positions(path: Path | None = None) -> list[PositionRule]:
    path = Path(path or POSITIONS_FILE)
    rules = []
    with path.open(encoding="utf-8", newline="") as f:
        for i, row in enumerate(csv.DictReader(f), start=2):
            if row.get("match") not in ("exact", "regex"):
                raise InputError(str(path), "match must be exact or regex", record=f"line {i}", field="match")
            if row.get("position") not in POSITIONS:
                raise InputError(str(path), f"position must be one of {POSITIONS}", record=f"line {i}",
                                 field="position")
            if row.get("student") not in ("true", "false"):
                raise InputError(str(path), "student must be true or false", record=f"line {i}", field="student")
            if row["match"] == "regex":
                try:
                    re.compile(row["pattern"])
                except re.error as e:
                    raise InputError(str(path), f"invalid pattern: {e}", record=f"line {i}", field="pattern")
            rules.append(PositionRule(i, row["match"], row["pattern"], row["position"], row["student"] == "true"))
    return rules


def key(raw: str | None) -> str | None:
    """The part of a raw position the rules look at (None when there is no position)."""
    if raw is None:
        return None
    k = raw.split("+")[0].strip().lower()
    return k or None


def classify(raw: str | None, rules: list[PositionRule]) -> tuple[str | None, bool | None, str]:
    """(position, student, rule) for one raw value; (None, None, 'no_position') when absent."""
    k = key(raw)
    if k is None:
        return None, None, "no_position"
    for r in rules:
        if r.matches(k):
            return r.position, r.student, r.name
    return "other", False, UNMATCHED


def fingerprint() -> str:
    return hashlib.sha256(POSITIONS_FILE.read_bytes()).hexdigest()


def position_table(engine, rules: list[PositionRule], source: str = "authorships"):
    """Arrow table (position_raw, position, is_student, position_rule) for every distinct raw value in `source`:
    distinct values are few (≈1,300), so mapping them in Python keeps the rules in one readable place."""
    import pyarrow as pa

    raws = [r[0] for r in engine.query(f"SELECT DISTINCT position_raw FROM {source} WHERE position_raw IS NOT NULL")]
    out = [classify(v, rules) for v in raws]
    return pa.table({"position_raw": pa.array(raws, pa.string()),
                     "position": pa.array([o[0] for o in out], pa.string()),
                     "is_student": pa.array([o[1] for o in out], pa.bool_()),
                     "position_rule": pa.array([o[2] for o in out], pa.string())})


def hygiene(values: dict[str, int], rules: list[PositionRule]) -> dict:
    """Unmatched raw values (with counts) and rules that match no value: the review list for positions.csv."""
    used: set[str] = set()
    unmatched: dict[str, int] = {}
    for v, n in values.items():
        pos, _, rule = classify(v, rules)
        if rule == UNMATCHED:
            unmatched[v] = unmatched.get(v, 0) + n
        elif pos is not None:
            used.add(rule)
    return {"unmatched": dict(sorted(unmatched.items(), key=lambda kv: -kv[1])),
            "unused_rules": [r.name for r in rules if r.name not in used]}
