"""Small-cell suppression and the person-level guard."""

import pytest

from talentflow.report import privacy


def _dist(counts):
    n = sum(counts.values())
    return [{"country": c, "count": v, "n": n, "share": v / n, "ci_low": 0.0, "ci_high": 1.0} for c, v in
            counts.items()]


def test_small_cells_are_pooled_and_unrecoverable():
    rows = privacy.pool_small(_dist({"US": 50, "CN": 40, "FR": 6, "DE": 3, "IT": 1}), 5, ("country",))
    shown = {r["country"]: r["count"] for r in rows}
    assert "DE" not in shown and "IT" not in shown
    # DE+IT = 4 < 5: the next-smallest visible cell (FR) joins the pool, so 4 cannot be recovered by subtraction.
    assert "FR" not in shown
    assert shown[privacy.SUPPRESSED] == 10
    privacy.assert_publishable(rows, 5)


def test_pool_large_enough_is_not_extended():
    rows = privacy.pool_small(_dist({"US": 50, "CN": 40, "FR": 6, "DE": 4, "IT": 3}), 5, ("country",))
    shown = {r["country"]: r["count"] for r in rows}
    assert shown["FR"] == 6 and shown[privacy.SUPPRESSED] == 7


def test_whole_distribution_below_threshold_is_blanked():
    rows = privacy.pool_small(_dist({"US": 2, "CN": 1}), 5, ("country",))
    assert all(r["suppressed"] and r["count"] is None and r["share"] is None and r["n"] is None for r in rows)


def test_threshold_is_configurable():
    d = _dist({"US": 50, "CN": 40, "FR": 6, "DE": 3, "IT": 1})
    assert {r["country"] for r in privacy.pool_small(d, 1, ("country",))} == {"US", "CN", "FR", "DE", "IT"}
    assert "FR" in {r["country"] for r in privacy.pool_small(d, 2, ("country",))}
    assert {r["country"] for r in privacy.pool_small(d, 41, ("country",))} == {"US", privacy.SUPPRESSED}


def test_drop_small_blanks_rates_resting_on_few_people():
    rows = privacy.drop_small([{"country": "IS", "n": 4, "count": 4, "share": 1.0},
                               {"country": "US", "n": 100, "count": 60, "share": 0.6, "n_unknown": 2}], 5)
    assert rows[0]["suppressed"] and rows[0]["share"] is None and rows[0]["n"] is None
    assert rows[1]["share"] == 0.6 and rows[1]["n_unknown"] is None  # a small coverage count is masked too
    privacy.assert_publishable(rows, 5)


def test_person_fields_never_survive():
    rows = privacy.drop_small([{"country": "US", "count": 9, "person_id": "~Jane_Doe1", "author_name": "J"}], 5)
    assert "person_id" not in rows[0] and "author_name" not in rows[0]
    with pytest.raises(ValueError, match="person-level"):
        privacy.assert_publishable([{"country": "US", "person_id": "~x"}], 5)
    with pytest.raises(ValueError, match="below min_cell"):
        privacy.assert_publishable([{"country": "US", "count": 3}], 5)


def test_pool_by_protects_each_group_total():
    # Flow rows: shares and n are per origin country. One small link in CN's row would be n - visible.
    rows = [{"from_country": "CN", "to_country": t, "count": c, "n": 68} for t, c in
            [("CN", 40, ), ("US", 25), ("GB", 3)]] + \
           [{"from_country": "US", "to_country": t, "count": c, "n": 90} for t, c in [("US", 80), ("CN", 10)]]
    out = privacy.pool_by(rows, ("from_country",), 5, ("to_country",))
    cn = {r["to_country"]: r["count"] for r in out if r["from_country"] == "CN"}
    assert "GB" not in cn and "US" not in cn and cn[privacy.SUPPRESSED] == 28  # GB (3) pooled with US (25)
    assert {r["to_country"] for r in out if r["from_country"] == "US"} == {"US", "CN"}
    privacy.assert_publishable(out, 5)


def test_trend_years_pooled_separately():
    rows = [{"year": y, "country": c, "count": v, "n": 50} for y, data in
            [(2021, [("CN", 30), ("US", 17), ("IS", 3)]), (2022, [("CN", 25), ("US", 25)])] for c, v in data]
    out = privacy.pool_by(rows, ("year",), 5, ("country",))
    y21 = {r["country"]: r["count"] for r in out if r["year"] == 2021}
    assert y21 == {"CN": 30, privacy.SUPPRESSED: 20}  # IS (3) + the next-smallest (US 17)
    assert {r["country"] for r in out if r["year"] == 2022} == {"CN", "US"}


def test_a_paper_count_resting_on_one_person_is_suppressed():
    """Under a counting rule a cell's papers can all be one prolific author's: cells are judged by the distinct
    people behind them, so 12 first-author papers of one person in LU are not published."""
    from talentflow.report.privacy import SUPPRESSED, counting_layout, protect

    rows = [{"country": c, "count_rule": "first-author", "share": n / 120, "count": n, "count_people": p,
             "ci_low": 0.0, "ci_high": 1.0, "n": 120, "n_units": 150} for c, n, p in (("US", 60, 40), ("CN", 48, 30),
                                                                        ("LU", 12, 1))]
    out = protect("shares", rows, 5, labels=("country",), **counting_layout("first-author"))
    shown = {r["country"] for r in out if not r["suppressed"]}
    assert "LU" not in shown and {"US", "CN"} <= shown and SUPPRESSED in {r["country"] for r in out}
    assert all(r["count"] != 12 for r in out)
    plain = protect("shares", rows, 5, labels=("country",), **counting_layout("people"))
    assert "LU" in {r["country"] for r in plain}  # judged by `count`, 12 papers would pass
