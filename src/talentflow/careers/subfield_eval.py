"""Evaluate the subfield rules against the hand-labelled sample (eval/subfield_labels.tsv).

The labelled papers are looked up in the raw mirror by (venue, year, paper_id) — the same ids the ingest gives —
and classified with the same SQL as the build, so the numbers describe exactly what `paper_subfields` holds.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from .subfields import SubfieldConfig, classify_select, load_subfields

LABEL_COLUMNS = ("venue", "year", "paper_id", "subfield", "title")


def default_labels_path() -> Path:
    """eval/subfield_labels.tsv of the source checkout (or of the working directory)."""
    repo = Path(__file__).resolve().parents[3] / "eval" / "subfield_labels.tsv"
    return repo if repo.is_file() else Path.cwd() / "eval" / "subfield_labels.tsv"


def load_labels(path: Path, taxonomy: dict[str, str]) -> list[dict]:
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "label file not found")
    with open(path, newline="", encoding="utf-8-sig") as fh:  # -sig: a byte-order mark is not part of the header
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows or any(c not in rows[0] for c in LABEL_COLUMNS):
        raise InputError(str(path), f"expected columns {LABEL_COLUMNS}")
    seen = set()
    for i, r in enumerate(rows, start=2):
        if r["subfield"] not in taxonomy:
            raise InputError(str(path), f"unknown subfield {r['subfield']!r}", record=f"line {i}", field="subfield")
        key = (r["venue"], int(r["year"]), r["paper_id"])
        if key in seen:
            raise InputError(str(path), "duplicate paper", record=f"line {i}")
        seen.add(key)
        r["year"] = int(r["year"])
    return rows


@dataclass
class EvalResult:
    n: int
    accuracy: float
    per_class: list[dict]
    confusion: list[dict]                     # (true, predicted, n) for every off-diagonal pair
    errors: list[dict] = field(default_factory=list)
    not_found: list[dict] = field(default_factory=list)


def score(pairs: list[tuple[str, str]], classes: list[str]) -> tuple[float, list[dict], list[dict]]:
    """Accuracy, per-class precision/recall/F1 and the confusion list from (true, predicted) pairs."""
    n = len(pairs)
    acc = sum(t == p for t, p in pairs) / n if n else 0.0
    per = []
    for c in classes:
        tp = sum(t == c and p == c for t, p in pairs)
        n_true = sum(t == c for t, _ in pairs)
        n_pred = sum(p == c for _, p in pairs)
        prec = tp / n_pred if n_pred else None
        rec = tp / n_true if n_true else None
        f1 = 2 * prec * rec / (prec + rec) if prec and rec else (0.0 if prec is not None and rec is not None else None)
        per.append({"subfield": c, "n_true": n_true, "n_pred": n_pred, "correct": tp,
                    "precision": prec, "recall": rec, "f1": f1})
    conf: dict[tuple[str, str], int] = {}
    for t, p in pairs:
        if t != p:
            conf[(t, p)] = conf.get((t, p), 0) + 1
    confusion = [{"true": t, "predicted": p, "n": k}
                 for (t, p), k in sorted(conf.items(), key=lambda kv: (-kv[1], kv[0]))]
    return acc, per, confusion


def labelled_papers(engine, data_dir: Path, labels: list[dict], table: str = "labelled_papers") -> list[dict]:
    """Temp table `table`: the mirror rows of the labelled papers plus the label; returns labels not found."""
    import pyarrow as pa

    from .mirror_papers import create_mirror_papers

    create_mirror_papers(engine, data_dir, reuse=True)
    engine.register_arrow("_labels", pa.table({
        "venue": [r["venue"] for r in labels], "year": pa.array([r["year"] for r in labels], pa.int32()),
        "paper_id": [r["paper_id"] for r in labels], "label": [r["subfield"] for r in labels],
        "label_title": [r["title"] for r in labels]}))
    engine.execute(f"""
        CREATE OR REPLACE TEMP TABLE {table} AS
        SELECT m.*, l.label FROM _labels l JOIN mirror_papers m USING (venue, year, paper_id)
        QUALIFY count(*) OVER (PARTITION BY m.venue, m.year, m.paper_id) = 1""")
    return engine.query_dicts(f"""
        SELECT l.venue, l.year, l.paper_id, l.label_title AS title FROM _labels l
        WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE t.venue = l.venue AND t.year = l.year
                                                    AND t.paper_id = l.paper_id)""")


def evaluate_rules(engine, data_dir: Path, labels_path: Path | None = None,
                   cfg: SubfieldConfig | None = None) -> EvalResult:
    cfg = cfg or load_subfields()
    labels = load_labels(labels_path or default_labels_path(), cfg.subfields)
    not_found = labelled_papers(engine, data_dir, labels)
    rows = engine.query_dicts(f"""
        SELECT l.venue, l.year, l.paper_id, l.title, l.label, s.subfield AS predicted, s.matched_rule
        FROM labelled_papers l JOIN ({classify_select(cfg, 'labelled_papers')}) s USING (venue, year, paper_id)
        ORDER BY l.venue, l.year, l.paper_id""")
    acc, per, conf = score([(r["label"], r["predicted"]) for r in rows], list(cfg.subfields))
    errors = [r for r in rows if r["label"] != r["predicted"]]
    return EvalResult(n=len(rows), accuracy=acc, per_class=per, confusion=conf, errors=errors, not_found=not_found)
