"""Subfield per paper from the transparent rules in `subfields.toml`, applied in SQL (regular expressions).

`paper_subfields(venue, year, paper_id, subfield, matched_rule, flags)`: the primary subfield is the subfield of
the matching rule with the lowest priority number ('other' with matched_rule 'no_rule' when none matches); flags
is the list of flag names (llm, diffusion, humanoid, …) whose pattern matches.
`paper_subfield_tags(venue, year, paper_id, tag, kind)`: the same as one row per primary subfield or flag.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

SUBFIELDS_FILE = Path(__file__).with_name("subfields.toml")
FIELDS = ("title", "keywords", "primary_area", "abstract")
OTHER = "other"


@dataclass(frozen=True)
class Rule:
    name: str
    subfield: str
    priority: int
    fields: tuple[str, ...] = ()
    pattern: str | None = None
    exclude: str | None = None
    min_matches: int = 1
    venues: tuple[str, ...] = ()
    min_year: int | None = None
    max_year: int | None = None


@dataclass(frozen=True)
class Flag:
    name: str
    fields: tuple[str, ...]
    pattern: str


@dataclass(frozen=True)
class SubfieldConfig:
    subfields: dict[str, str]
    rules: tuple[Rule, ...]      # sorted by priority
    flags: tuple[Flag, ...]
    path: Path = SUBFIELDS_FILE

    def fingerprint(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def _check_regex(path: Path, where: str, pattern: str) -> None:
    # RE2 is close to Python's re for the constructs used here; this catches typos before the SQL does.
    try:
        re.compile(pattern)
    except re.error as e:
        raise InputError(str(path), f"invalid pattern: {e}", record=where) from e
    if "'" in pattern:
        raise InputError(str(path), "pattern must not contain a single quote", record=where)


def load_subfields(path: Path | None = None) -> SubfieldConfig:
    path = Path(path or SUBFIELDS_FILE)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InputError(str(path), f"cannot read subfield rules: {e}") from e
    subfields = dict(raw.get("subfields", {}))
    if OTHER not in subfields:
        raise InputError(str(path), "the taxonomy must define 'other'", record="subfields")
    rules, names, prios = [], set(), set()
    for i, r in enumerate(raw.get("rules", [])):
        where = f"rules[{i}] {r.get('name', '?')}"
        if r.get("subfield") not in subfields:
            raise InputError(str(path), f"unknown subfield {r.get('subfield')!r}", record=where)
        if r["name"] in names or r["priority"] in prios:
            raise InputError(str(path), "rule names and priorities must be unique", record=where)
        names.add(r["name"])
        prios.add(r["priority"])
        fields = tuple(r.get("fields", ()))
        if any(f not in FIELDS for f in fields) or bool(fields) != bool(r.get("pattern")):
            raise InputError(str(path), f"fields must be among {FIELDS} and come with a pattern", record=where)
        if not fields and not r.get("venues"):
            raise InputError(str(path), "a rule needs a pattern or venues", record=where)
        for key in ("pattern", "exclude"):
            if r.get(key):
                _check_regex(path, where, r[key])
        rules.append(Rule(name=r["name"], subfield=r["subfield"], priority=int(r["priority"]), fields=fields,
                          pattern=r.get("pattern"), exclude=r.get("exclude"),
                          min_matches=int(r.get("min_matches", 1)), venues=tuple(r.get("venues", ())),
                          min_year=r.get("min_year"), max_year=r.get("max_year")))
    flags = []
    for name, f in raw.get("flags", {}).items():
        _check_regex(path, f"flags.{name}", f["pattern"])
        if any(x not in FIELDS for x in f["fields"]):
            raise InputError(str(path), f"fields must be among {FIELDS}", record=f"flags.{name}")
        flags.append(Flag(name=name, fields=tuple(f["fields"]), pattern=f["pattern"]))
    return SubfieldConfig(subfields=subfields, rules=tuple(sorted(rules, key=lambda r: r.priority)),
                          flags=tuple(flags), path=path)


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _text(fields: tuple[str, ...]) -> str:
    return "concat_ws(' | ', " + ", ".join(fields) + ")"


def _re(pattern: str) -> str:
    return _lit("(?i)" + pattern)


def rule_sql(rule: Rule) -> str:
    """Boolean SQL condition for one rule over a papers-shaped row."""
    conds = []
    if rule.venues:
        conds.append("venue IN (" + ", ".join(_lit(v) for v in rule.venues) + ")")
    if rule.min_year is not None:
        conds.append(f"year >= {int(rule.min_year)}")
    if rule.max_year is not None:
        conds.append(f"year <= {int(rule.max_year)}")
    if rule.pattern:
        text = _text(rule.fields)
        if rule.min_matches > 1:
            conds.append(f"len(regexp_extract_all({text}, {_re(rule.pattern)})) >= {rule.min_matches}")
        else:
            conds.append(f"regexp_matches({text}, {_re(rule.pattern)})")
        if rule.exclude:
            conds.append(f"NOT regexp_matches({text}, {_re(rule.exclude)})")
    return "(" + " AND ".join(conds) + ")"


def classify_select(cfg: SubfieldConfig, source: str) -> str:
    """SELECT (venue, year, paper_id, subfield, matched_rule, flags) over `source`."""
    case = "CASE " + " ".join(f"WHEN coalesce({rule_sql(r)}, false) THEN {_lit(r.name)}" for r in cfg.rules) \
        + " ELSE 'no_rule' END"
    sub = "CASE matched_rule " + " ".join(f"WHEN {_lit(r.name)} THEN {_lit(r.subfield)}" for r in cfg.rules) \
        + f" ELSE {_lit(OTHER)} END"
    flag_items = ", ".join(
        f"CASE WHEN coalesce(regexp_matches({_text(f.fields)}, {_re(f.pattern)}), false) THEN {_lit(f.name)} END"
        for f in cfg.flags)
    flags = f"list_filter([{flag_items}], lambda x: x IS NOT NULL)" if cfg.flags else "CAST([] AS VARCHAR[])"
    return f"""
    SELECT venue, year, paper_id, {sub} AS subfield, matched_rule, flags
    FROM (SELECT venue, year, paper_id, {case} AS matched_rule, {flags} AS flags FROM {source})"""


def build_subfields(engine, cfg: SubfieldConfig | None = None, source: str = "papers",
                    table: str = "paper_subfields") -> dict:
    cfg = cfg or load_subfields()
    engine.execute(f"CREATE OR REPLACE TABLE {table} AS {classify_select(cfg, source)}")
    # One row per (paper, tag), tag = the primary subfield or a flag: lets a filter such as --subfield humanoid
    # select papers by flag with the same join as by subfield.
    engine.execute(f"""
        CREATE OR REPLACE TABLE {table.removesuffix('s')}_tags AS
        SELECT venue, year, paper_id, subfield AS tag, 'subfield' AS kind FROM {table}
        UNION ALL
        SELECT venue, year, paper_id, unnest(flags) AS tag, 'flag' AS kind FROM {table}""")
    counts = dict(engine.query(f"SELECT subfield, count(*) FROM {table} GROUP BY 1"))
    return {table: sum(counts.values()), **{f"subfield_{k}": v for k, v in sorted(counts.items())}}


def rule_usage(engine, cfg: SubfieldConfig | None = None, source: str = "papers") -> dict[str, int]:
    """How many papers each rule would match on its own (not just where it wins) and each flag marks — the
    hygiene view: a rule or flag matching nothing is dead weight."""
    cfg = cfg or load_subfields()
    items = [f"count(*) FILTER (WHERE coalesce({rule_sql(r)}, false)) AS {_lit(r.name).replace(chr(39), chr(34))}"
             for r in cfg.rules]
    items += [f"count(*) FILTER (WHERE coalesce(regexp_matches({_text(f.fields)}, {_re(f.pattern)}), false)) "
              f"AS \"flag:{f.name}\"" for f in cfg.flags]
    rows = engine.query_dicts(f"SELECT {', '.join(items)} FROM {source}")
    return {k: int(v) for k, v in rows[0].items()}
