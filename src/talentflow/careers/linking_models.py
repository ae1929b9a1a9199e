"""The two Fellegi-Sunter models of person linking (splink, on the build's engine); linking.py decides with their scores.

- **records** (`_lk_records` × itself): two id-less authorships of the same normalised name, compared on
  institution, co-authors and year gap. m-probabilities from the authorships whose profile ids are known
  (same id = match), u-probabilities from random pairs.
- **profiles** (`_lk_queries` × `_lk_profiles`): an id-less authorship against everything the authorships of
  one profile say together — every institution, domain and affiliation string, every co-author, every year —
  under each of the profile's names (the names it published under and the names its ids spell). This is how a
  NeurIPS 2019 paper meets its author's OpenReview years: one 2019 co-author or institution is often in a
  profile's four later years and in none of its papers alone. m-probabilities come from held-out authorships:
  each profile's first year stands in as id-less queries against the summary of its later years (the masking
  that the evaluation does with whole years, within every profile); u-probabilities from random pairs of the
  production tables.
"""

from __future__ import annotations

import logging

SEED_OFFSET = {"records": 0, "profiles": 1}


def _null_or(col: str) -> str:
    return f"len({col}_l) = 0 OR len({col}_r) = 0"


def _levels(kind: str) -> list[dict]:
    """The four comparisons. The profile model compares lists (`insts`, `domains`, `affs`, `coauthors`,
    `years`; a query's lists hold at most one value), the record model the scalar fields — the same levels,
    cheaper on its millions of pairs."""
    name = [{"sql_condition": "name_norm_l IS NULL OR name_norm_r IS NULL", "label_for_charts": "null",
             "is_null_level": True},
            # Term-frequency adjusted: a shared rare name is strong evidence, a shared common one weak.
            {"sql_condition": "name_norm_l = name_norm_r", "label_for_charts": "same name",
             "tf_adjustment_column": "name_norm", "tf_adjustment_weight": 1.0},
            {"sql_condition": "ELSE", "label_for_charts": "different"}]
    if kind == "records":
        no_aff = ("coalesce(inst_id_l, domain_l, aff_norm_l) IS NULL OR "
                  "coalesce(inst_id_r, domain_r, aff_norm_r) IS NULL")
        same_inst, same_string = "inst_id_l = inst_id_r", "domain_l = domain_r OR aff_norm_l = aff_norm_r"
        no_year, gap = "year_l IS NULL OR year_r IS NULL", "abs(year_l - year_r)"
    else:
        no_aff = f"({_null_or('insts')}) AND ({_null_or('domains')}) AND ({_null_or('affs')})"
        same_inst = "list_has_any(insts_l, insts_r)"
        same_string = "list_has_any(domains_l, domains_r) OR list_has_any(affs_l, affs_r)"
        no_year = _null_or("years")
        gap = "list_min(flatten(list_transform(years_l, lambda x: list_transform(years_r, lambda y: abs(x - y)))))"
    inst = [{"sql_condition": no_aff, "label_for_charts": "no affiliation", "is_null_level": True},
            {"sql_condition": same_inst, "label_for_charts": "same institution"},
            {"sql_condition": same_string, "label_for_charts": "same domain/string"},
            {"sql_condition": "ELSE", "label_for_charts": "different"}]
    shared = "len(list_intersect(coauthors_l, coauthors_r))"
    co = [{"sql_condition": _null_or("coauthors"), "label_for_charts": "no co-authors", "is_null_level": True},
          {"sql_condition": f"{shared} >= 2", "label_for_charts": "≥2 shared"},
          {"sql_condition": f"{shared} = 1", "label_for_charts": "1 shared"},
          {"sql_condition": "ELSE", "label_for_charts": "none shared"}]
    year = [{"sql_condition": no_year, "label_for_charts": "null", "is_null_level": True},
            {"sql_condition": f"{gap} <= 1", "label_for_charts": "≤1 year"},
            {"sql_condition": f"{gap} <= 4", "label_for_charts": "≤4 years"},
            {"sql_condition": "ELSE", "label_for_charts": "further apart"}]
    return [{"output_column_name": "name_norm", "comparison_levels": name},
            {"output_column_name": "institution", "comparison_levels": inst},
            {"output_column_name": "coauthors", "comparison_levels": co},
            {"output_column_name": "year", "comparison_levels": year}]


def _settings(kind: str, prior: float, max_block: int = 0, engine=None) -> dict:
    """splink settings; the comparison and blocking SQL is canonical, spelt for `engine` by its renderer."""
    s = _canonical_settings(kind, prior, max_block)
    if engine is not None:
        for c in s["comparisons"]:
            for lvl in c["comparison_levels"]:
                if lvl["sql_condition"] != "ELSE":
                    lvl["sql_condition"] = engine.expression(lvl["sql_condition"])
        for b in s["blocking_rules_to_generate_predictions"]:
            b["blocking_rule"] = engine.expression(b["blocking_rule"])
    return s


def _canonical_settings(kind: str, prior: float, max_block: int = 0) -> dict:
    # Id-less pairs only within names of at most max_block authorships; queries meet profiles under every name.
    rule = (f"l.name_norm = r.name_norm AND l.person_id IS NULL AND r.person_id IS NULL AND l.block_n <= {max_block}"
            if kind == "records" else "l.name_norm = r.name_norm")
    return {"link_type": "dedupe_only" if kind == "records" else "link_only",
            "comparisons": _levels(kind),
            "blocking_rules_to_generate_predictions": [{"blocking_rule": rule}],
            "probability_two_random_records_match": prior,
            "retain_matching_columns": False, "retain_intermediate_calculation_columns": False,
            "additional_columns_to_retain": ["person_id"]}


def _quiet() -> None:
    logging.getLogger("splink").setLevel(logging.WARNING)


def predict_records(engine, seed: int, min_probability: float, max_block: int) -> str:
    """Model 'records' → `_lk_pred_records(unique_id_l, unique_id_r, match_probability)`."""
    from splink import Linker

    _quiet()
    api = engine.splink_api()
    linker = Linker(api.register("_lk_records"), _settings("records", 2e-6, max_block, engine),
                    log_level=logging.WARNING)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed + SEED_OFFSET["records"])
    linker.training.estimate_m_from_label_column("person_id")
    pred = linker.inference.predict(threshold_match_probability=min_probability)
    engine.execute(f"""CREATE OR REPLACE TEMP TABLE _lk_pred_records AS
        SELECT unique_id_l, unique_id_r, match_probability FROM {pred.physical_name}""")
    return "_lk_pred_records"


def predict_profiles(engine, seed: int, min_probability: float) -> str:
    """Model 'profiles': m from `_lk_train_queries` × `_lk_train_profiles` (same person_id = match), u from
    random pairs of `_lk_queries` × `_lk_profiles`, scores of the latter →
    `_lk_pred_profiles(unique_id, person_id, match_probability)`."""
    from splink import Linker

    _quiet()
    # A query is at most one of the N profiles: 1/N is the prior of a pair; the name's term frequency is
    # k/N for a name k profiles carry, so before any other evidence a pair stands at 1/k (m ≈ 1).
    n_profiles = max(1, engine.scalar("SELECT count(DISTINCT person_id) FROM _lk_names"))
    settings = _settings("profiles", 1.0 / n_profiles, engine=engine)
    api = engine.splink_api()
    train = Linker([api.register("_lk_train_queries", table_name="tq"),
                    api.register("_lk_train_profiles", table_name="tp")], settings, log_level=logging.WARNING)
    train.training.estimate_m_from_label_column("person_id")
    trained = train.misc.save_model_to_json()
    api2 = engine.splink_api()
    linker = Linker([api2.register("_lk_queries", table_name="q"), api2.register("_lk_profiles", table_name="p")],
                    trained, log_level=logging.WARNING)
    # How rare a name is, counted in people (profiles), not papers: 'soheil feizi' is one profile however
    # many papers it has, 'yang liu' 44. Paper counts make every prolific author's name look common.
    engine.execute("""CREATE OR REPLACE TEMP TABLE _lk_tf_names AS
        SELECT name_norm, count(DISTINCT person_id) / ? AS tf_name_norm FROM _lk_names GROUP BY name_norm""",
                   [n_profiles])
    linker.table_management.register_term_frequency_lookup(api2.register("_lk_tf_names", table_name="tfn"),
                                                           "name_norm")
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed + SEED_OFFSET["profiles"])
    pred = linker.inference.predict(threshold_match_probability=min_probability)
    # Which side is the profile follows splink's ordering of the two inputs: take it from the source column.
    engine.execute(f"""CREATE OR REPLACE TEMP TABLE _lk_pred_profiles AS
        SELECT CASE WHEN source_dataset_l = 'q' THEN unique_id_l ELSE unique_id_r END AS unique_id,
               coalesce(person_id_l, person_id_r) AS person_id, match_probability
        FROM {pred.physical_name}""")
    return "_lk_pred_profiles"
