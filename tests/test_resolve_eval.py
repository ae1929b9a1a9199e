"""Scoring of the resolver on hand labels: the headline numbers and the side-by-side report of two sets."""

from __future__ import annotations

from talentflow.resolve.evaluate import HEADLINE, Label, headline, score, side_by_side
from talentflow.resolve.resolver import Resolution


class _Fixed:
    """A resolver answering from a table (affiliation → location, hq, sector)."""

    def __init__(self, table):
        self.table = table

    def resolve(self, aff, dom):
        loc, hq, sec = self.table.get(aff, (None, None, None))
        return Resolution(aff, dom, country_location=loc, country_hq=hq, sector=sec, reason="t")


def _lb(aff, stratum, n, loc, hq="", sector=""):
    return Label(aff, "", stratum, n, "", loc, hq or loc, sector, "")


def test_headline_numbers_and_side_by_side():
    labels = [_lb("a", "frequent", 98, "US", sector="academia"), _lb("b", "longtail", 1, "CN", sector="industry"),
              _lb("c", "longtail", 1, "DE"), _lb("d", "longtail", 1, "")]
    res = _Fixed({"a": ("US", "US", "academia"), "b": ("JP", "JP", "industry"), "d": (None, None, None)})
    sc = score(res, labels)
    h = headline(sc)
    assert h["accuracy, location (distinct)"] == 2 / 4  # a right, d blank=blank right; b wrong, c abstained
    assert h["accuracy, location (authorship-weighted)"] == 99 / 101
    assert h["accuracy, location (long tail)"] == 1 / 3
    assert h["precision when answering"] == 1 / 2
    assert h["answered (a location given)"] == 2 / 4
    assert h["accuracy, sector (distinct)"] == 1.0  # c, d: blank gold sector and none given count as right
    rows = side_by_side({"tuned": sc, "blind": score(res, labels[:1])})
    assert [r["metric"] for r in rows] == [name for name, *_ in HEADLINE]
    assert rows[0] == {"metric": "accuracy, location (distinct)", "tuned (n=4)": "50.00%", "blind (n=1)": "100.00%"}
    assert rows[2]["blind (n=1)"] == ""  # no long-tail rows in that set: no number, not 0 %


def test_error_kinds_a_blank_label_and_no_answer_is_not_wrong():
    labels = [_lb("x", "longtail", 1, "", sector="industry"), _lb("y", "longtail", 1, "", sector="")]
    res = _Fixed({"x": (None, None, "academia"), "y": ("US", "US", "")})
    kinds = {e["affiliation"]: e["kind"] for e in score(res, labels)["errors"]}
    assert kinds == {"x": "hq/sector", "y": "wrong"}  # x: blank = blank, only the sector differs
