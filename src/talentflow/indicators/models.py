"""Readers for per-model files (Epoch notable / large-scale / frontier lists; per-model compute and cost files).

The grain is one model, so these go to `ai_models` (one row per model per source file) and `ai_model_countries`
(one row per model and distinct country of its organizations). Epoch lists several organizations as a comma-joined
string with a matching comma-joined "Country (of organization)"; a model counts once for each distinct country.
Files without a country column (OWID compute and cost exports, Epoch training-cost-trends) get countries by exact
model-name match to the Epoch notable list; the note says so.
"""

from __future__ import annotations

from pathlib import Path

from .sqlutil import num, q, read_csv

MODEL_COLUMNS = ("model", "organization", "country_raw", "publication_date", "domain", "parameters",
                 "training_compute_flop", "training_cost_usd_2023", "cost_cloud_usd", "cost_upfront_usd",
                 "cost_amortized_usd", "notes", "record_key")

EPOCH = {  # ai_models column → Epoch column name (absent in some lists)
    "model": "Model", "organization": "Organization", "country_raw": "Country (of organization)",
    "publication_date": "Publication date", "domain": "Domain", "parameters": "Parameters",
    "training_compute_flop": "Training compute (FLOP)", "training_cost_usd_2023": "Training compute cost (2023 USD)",
    "cost_cloud_usd": "Training compute cost (cloud)", "cost_upfront_usd": "Training compute cost (upfront)",
}
NUMERIC = {"parameters", "training_compute_flop", "training_cost_usd_2023", "cost_cloud_usd", "cost_upfront_usd",
           "cost_amortized_usd"}


def epoch_list(engine, path: Path, note: str) -> str:
    cols = set(engine.columns(f"SELECT * FROM {read_csv(path)}"))
    missing = [v for k, v in EPOCH.items() if k in ("model", "publication_date") and v not in cols]
    if missing:
        from ..errors import InputError

        raise InputError(str(path), f"missing column(s) {missing}")
    sel = []
    for c in MODEL_COLUMNS:
        src = EPOCH.get(c)
        if c == "notes":
            sel.append(f"{q(note)} AS notes")
        elif c == "record_key":
            sel.append("'row ' || (rn + 1) AS record_key")
        elif src is None or src not in cols:
            sel.append(f"NULL AS {c}")
        elif c == "publication_date":
            sel.append(f"TRY_CAST(\"{src}\" AS DATE) AS {c}")
        elif c in NUMERIC:
            sel.append(f"{num(chr(34) + src + chr(34))} AS {c}")
        else:
            sel.append(f"\"{src}\" AS {c}")
    return f"SELECT {', '.join(sel)} FROM (SELECT *, row_number() OVER () AS rn FROM {read_csv(path)})"


def owid_compute(path: Path, note: str) -> str:
    """OWID training computation of notable systems (petaFLOP), per model, no country."""
    pflop = num('"Training computation (petaFLOP)"')
    return (f"SELECT Entity AS model, NULL AS organization, NULL AS country_raw, TRY_CAST(Day AS DATE) AS "
            f"publication_date, Domain AS domain, NULL AS parameters, "
            f"{pflop} * 1e15 AS training_compute_flop, NULL AS "
            f"training_cost_usd_2023, NULL AS cost_cloud_usd, NULL AS cost_upfront_usd, NULL AS cost_amortized_usd, "
            f"{q(note)} AS notes, coalesce(Entity, '(empty)') || ' @ ' || coalesce(Day, '') AS record_key "
            f"FROM {read_csv(path)}")


def owid_cost(path: Path, note: str) -> str:
    """OWID hardware+energy cost to train notable systems (2023 USD), per model, no country."""
    return (f"SELECT Entity AS model, NULL AS organization, NULL AS country_raw, TRY_CAST(Day AS DATE) AS "
            f"publication_date, Domain AS domain, NULL AS parameters, NULL AS training_compute_flop, NULL AS "
            f"training_cost_usd_2023, NULL AS cost_cloud_usd, NULL AS cost_upfront_usd, {num('Cost')} AS "
            f"cost_amortized_usd, {q(note)} AS notes, "
            f"coalesce(Entity, '(empty)') || ' @ ' || coalesce(Day, '') AS record_key "
            f"FROM {read_csv(path)}")


def epoch_cost_trends(path: Path, note: str) -> str:
    """Epoch training-cost-trends model_costs.csv: cloud, hardware acquisition, amortized capex+energy (USD)."""
    return (f"SELECT Model AS model, NULL AS organization, NULL AS country_raw, NULL AS publication_date, NULL AS "
            f"domain, NULL AS parameters, NULL AS training_compute_flop, NULL AS training_cost_usd_2023, "
            f"{num('Cloud_Cost')} AS cost_cloud_usd, {num('Hardware_Acquisition_Cost')} AS cost_upfront_usd, "
            f"{num('Hardware_Capex_Energy_Cost')} AS cost_amortized_usd, {q(note)} AS notes, Model AS record_key "
            f"FROM {read_csv(path)}")


def epoch_org_map(path: Path) -> str:
    """Derived Epoch organization → country pairs (fallback org map for leaderboards)."""
    return (f"SELECT \"Organization\" AS organization, \"Country (of organization)\" AS country_raw, "
            f"TRY_CAST(n_models AS INTEGER) AS n_models FROM {read_csv(path)}")
