"""Which reader handles which indicator file, with the units and caveats stated in the mirror's MANIFEST files.

Keyed by the file name of the catalog dataset id. The stage refuses a catalogued indicator file that has no entry
here, so a new upstream file cannot be skipped silently. `role`:
- indicators / models / leaderboard: loaded into that table;
- crosscheck: read and compared with the file it duplicates (the stage records the comparison in
  `indicator_checks`), not loaded twice;
- lookup: a mapping used while loading other files (organization names);
- metadata: a README carrying table notes; listed in `indicator_files`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from . import leaderboards as lb
from . import models as md
from . import tables as tb


@dataclass(frozen=True)
class FileSpec:
    role: str
    reader: Callable | None = None
    kwargs: dict = field(default_factory=dict)
    needs_engine: bool = False


def _chips(indicator: str, note: str, **kw) -> FileSpec:
    return FileSpec("indicators", tb.epoch_chips, {"indicator": indicator, "note": note, **kw}, needs_engine=True)


def _nc(prefix):
    return FileSpec("indicators", tb.ncses_country_field,
                    {"prefix": prefix, "unit": "degrees", "note": "NCSES/NSB table; ISCED 2011 level 6-7 first degrees"
                     if prefix == "first_degrees" else "NCSES/NSB table; doctoral degrees"})


_AA = "Artificial Analysis (attribution required)"
_OWNERS = "Epoch AI chip stock since 2022 by owner; companies by HQ, China an owner category"
_LMA = "LMArena"

FILES: dict[str, FileSpec] = {
    # stem_graduates
    "ncses_SHED-11_5785.csv": _nc("first_degrees"),
    "ncses_S2-15_1571.csv": _nc("first_degrees"),
    "ncses_SHED-12_5786.csv": _nc("doctorates"),
    "ncses_S2-16_1572.csv": _nc("doctorates"),
    "ncses_SED-7-7_11695.csv": FileSpec("indicators", tb.ncses_sed_origin, {
        "unit": "doctorates", "note": "US research doctorates earned by temporary-visa holders; country = citizenship"}),
    "ncses_SED-2-8_11762.csv": FileSpec("indicators", tb.ncses_sed_stay, {
        "unit": "doctorates", "note": "US doctorates to temporary-visa holders by citizenship; staying = % intending "
                                      "to stay in the US (of all temporary-visa recipients)"}),
    "ncses_SHED-11_5785_README.md": FileSpec("metadata"),
    "ncses_SHED-12_5786_README.md": FileSpec("metadata"),
    "ncses_S2-15_1571_README.md": FileSpec("metadata"),
    "ncses_S2-16_1572_README.md": FileSpec("metadata"),
    "ncses_SED-7-7_11695_README.md": FileSpec("metadata"),
    "ncses_SED-2-8_11762_README.md": FileSpec("metadata"),
    # tertiary_attainment
    "owid_uis_gross-enrollment-ratio-tertiary.csv": FileSpec("indicators", tb.owid, {
        "columns": {"Gross enrolment ratio for tertiary education, both sexes (%), GER.5T8": "tertiary_ger"},
        "unit": "percent", "note": "UNESCO UIS gross enrolment ratio, tertiary (can exceed 100)"}),
    "owid_leelee_share-tertiary-education-25-64_1870-2040.csv": FileSpec("indicators", tb.owid, {
        "columns": {"Combined - percentage of 25-64 years adults with incomplete tertiary education":
                    "tertiary_attainment_share_25_64"},
        "unit": "percent", "note": "Lee-Lee long-run series via OWID; column label says 'incomplete tertiary' "
                                   "(meaning unverified); 5-year steps with unflagged projections to 2040"}),
    "owid_leelee_mean-years-of-schooling.csv": FileSpec("indicators", tb.owid, {
        "columns": {"Combined - average years of education for 15-64 years male and female youth and adults":
                    "mean_years_schooling_15_64"}, "unit": "years", "note": "Lee-Lee via OWID"}),
    # ai_patents
    "owid_cset_ai_patent_applications_by_country.csv": FileSpec("indicators", tb.owid, {
        "columns": {"All": "ai_patent_applications"}, "unit": "applications",
        "note": "CSET CAT via OWID; AI patent applications by country"}),
    "derived_cset_1790_docs_by_office_priority_year.csv": FileSpec("indicators", tb.cset_office_year, {
        "note": "CSET/1790 documents by issuing office (not inventor country) and priority year"}),
    "cset_1790_ai_patent_database.csv.zip": FileSpec("crosscheck"),
    "ncses_SINV-17_granted_ai_patents_by_country.csv": FileSpec("indicators", tb.ncses_last_segment, {
        "indicator": "granted_ai_patents_cumulative", "path_col": "time_period", "unit": "patents",
        "note": "NCSES; inventor-based fractional counts of granted AI utility patents", "period": "2000-2022",
        "year": "2022"}),
    "ncses_SINV-18_granted_ai_patents_by_category_us_cn_jp_kr.csv": FileSpec("indicators", tb.ncses_patent_categories, {
        "unit": "patents", "note": "NCSES; granted AI patents 2000-22 by category"}),
    # ai_publications
    "owid_cset_ai_scholarly_publications_by_country.csv": FileSpec("indicators", tb.owid, {
        "columns": {"All": "ai_publications_cset"}, "unit": "articles",
        "note": "CSET via OWID; English+Chinese AI publications, whole counts"}),
    "ncses_APBS-1_ai_articles_by_country_raw.csv": FileSpec("indicators", tb.ncses_articles_raw, {
        "unit": "articles", "note": "NCSES (Scopus) AI articles, whole counts; year inferred from row position"}),
    "derived_ncses_APBS-1_ai_articles_by_country_year.csv": FileSpec("crosscheck"),
    "ncses_SPBS-91_ai_articles_2003-22_totals_by_country.csv": FileSpec("indicators", tb.ncses_articles_totals, {
        "unit": "articles", "note": "NCSES (Scopus) AI articles, 2003-22 totals"}),
    # ai_investment
    "owid_cset_private-investment-in-ai.csv": FileSpec("indicators", tb.owid, {
        "columns": {"All": "private_ai_investment", "All (projected) (Projected)": "private_ai_investment_projected"},
        "unit": "USD", "note": "CSET via OWID; funding raised by privately held AI companies (OWID inflation-adjusted)"}),
    "ncses_SKTI-21_ai_venture_capital_by_country_2000-20.csv": FileSpec("indicators", tb.ncses_last_segment, {
        "indicator": "ai_venture_capital", "path_col": "country_or_region_full_path", "unit": "million USD",
        "note": "NCSES/NSB; AI venture capital raised, millions of current USD"}),
    "ncses_6-4_ai_companies_and_vc_deals_china_us_2014-18.csv": FileSpec("indicators", tb.ncses_vc_counts, {
        "unit": "count", "note": "NCSES; AI companies / deals financed by venture capital"}),
    "epoch_chips_nvidia_owners_cumulative_totals.csv": _chips("ai_chip_stock_h100e.nvidia", _OWNERS),
    "epoch_chips_amd_owners_cumulative_totals.csv": _chips("ai_chip_stock_h100e.amd", _OWNERS),
    "epoch_chips_tpu_owners_cumulative_totals.csv": _chips("ai_chip_stock_h100e.tpu", _OWNERS),
    "epoch_chips_trainium_owners_cumulative_totals.csv": _chips("ai_chip_stock_h100e.trainium", _OWNERS),
    "epoch_chips_nvidia_cumulative_totals.csv": _chips("ai_chip_stock_h100e.nvidia_total",
                                                       "Epoch AI: all Nvidia AI chips since 2022", owner_col=False),
    "epoch_chips_nvidia_owners_quarters.csv": FileSpec("indicators", tb.epoch_chips_quarters, {
        "indicator": "ai_chip_additions_h100e.nvidia", "note": "Epoch AI chips added per quarter by owner"}),
    "sec_xbrl_capex_msft_goog_amzn_quarterly.csv": FileSpec("indicators", tb.sec_capex, {
        "note": "SEC XBRL payments for PP&E; LOW QUALITY per MANIFEST"}),
    # ai_models
    "epoch_notable_ai_models_2026-07.csv": FileSpec("models", md.epoch_list, {"note": "Epoch notable models"},
                                                    needs_engine=True),
    "epoch_large_scale_ai_models_2025-12.csv": FileSpec("models", md.epoch_list, {
        "note": "Epoch large-scale models (>1e23 FLOP)"}, needs_engine=True),
    "epoch_frontier_ai_models_2026-04.csv": FileSpec("models", md.epoch_list, {"note": "Epoch frontier models"},
                                                     needs_engine=True),
    "owid_artificial-intelligence-training-computation.csv": FileSpec("models", md.owid_compute, {
        "note": "Epoch via OWID; country by model-name match to Epoch notable list"}),
    "owid_hardware-and-energy-cost-to-train-notable-ai-systems.csv": FileSpec("models", md.owid_cost, {
        "note": "Epoch via OWID; hardware+energy cost, 2023 USD; country by model-name match"}),
    "epoch_training_cost_trends_model_costs.csv": FileSpec("models", md.epoch_cost_trends, {
        "note": "Epoch training-cost-trends; country by model-name match"}),
    "owid_cumulative-number-of-large-scale-ai-systems-by-country.csv": FileSpec("indicators", tb.owid, {
        "columns": {"Cumulative number of large-scale AI systems by country": "large_scale_models_cumulative"},
        "unit": "models", "note": "Epoch via OWID; cumulative since 2019"}),
    "derived_epoch_org_country_map.csv": FileSpec("lookup", md.epoch_org_map),
    # leaderboards
    "lmarena_text_snapshots_2024-06_2025-07_long.csv": FileSpec("leaderboard", lb.lmarena_long, {
        "leaderboard": "lmarena_text", "note": _LMA}),
    "lmarena_text_2025-08-04.csv": FileSpec("leaderboard", lb.lmarena_snapshot, {
        "leaderboard": "lmarena_text", "date": "2025-08-04", "note": _LMA}),
    "lmarena_vision_2025-08-04.csv": FileSpec("leaderboard", lb.lmarena_snapshot, {
        "leaderboard": "lmarena_vision", "date": "2025-08-04", "note": _LMA}),
    "lmarena_image_2025-08-04.csv": FileSpec("leaderboard", lb.lmarena_snapshot, {
        "leaderboard": "lmarena_image", "date": "2025-08-04", "note": _LMA}),
    "lmarena_arena-catalog_leaderboard-text_2025-12.json": FileSpec("leaderboard", lb.lmarena_catalog, {
        "leaderboard": "lmarena_text", "date": "2025-12-11", "note": _LMA + " arena-catalog; data updated 2025-12-11"}),
    "lmarena_arena-catalog_leaderboard-vision_2025-12.json": FileSpec("leaderboard", lb.lmarena_catalog, {
        "leaderboard": "lmarena_vision", "date": "2025-12-11",
        "note": _LMA + " arena-catalog; date = the catalog commit's text-data update (2025-12-11)"}),
    "lmarena_arena-catalog_leaderboard-image_2025-12.json": FileSpec("leaderboard", lb.lmarena_catalog, {
        "leaderboard": "lmarena_image", "date": "2025-12-11",
        "note": _LMA + " arena-catalog; date = the catalog commit's text-data update (2025-12-11)"}),
    "lmarena_overall_elo_history_2023-05_2025-02_wide.csv": FileSpec("leaderboard", lb.lmarena_wide, {
        "leaderboard": "lmarena_text_elo_history", "note": _LMA + " overall Elo history (nakasyou)"}),
    "lmarena_arena-catalog_model_metadata.json": FileSpec("lookup", lb.lmarena_metadata),
    "artificialanalysis_text-to-video_history_long.csv": FileSpec("leaderboard", lb.aa_history, {
        "leaderboard": "aa_text_to_video", "note": _AA}),
    "artificialanalysis_image-to-video_history_long.csv": FileSpec("leaderboard", lb.aa_history, {
        "leaderboard": "aa_image_to_video", "note": _AA}),
    "artificialanalysis_text-to-video_2026-08-20.json": FileSpec("crosscheck"),
    "artificialanalysis_image-to-video_2026-08-20.json": FileSpec("crosscheck"),
    "artificialanalysis_text-to-image_2026-08-20.json": FileSpec("leaderboard", lb.aa_arena_json, {
        "leaderboard": "aa_text_to_image", "date": "2026-08-20", "note": _AA}),
    "artificialanalysis_llms_2026-08-20.json": FileSpec("leaderboard", lb.aa_llms_json, {
        "leaderboard": "aa_llms", "date": "2026-08-20", "note": _AA}),
}


def file_key(dataset_id: str) -> str:
    return dataset_id.rsplit("/", 1)[-1]
