"""docs/claims.md must match what the data says today: regenerate it from the mirror and compare."""

from __future__ import annotations

from pathlib import Path

import pytest

from indicators_helpers import built_indicators_db
from talentflow.engine import connect
from talentflow.indicators.claims import check_claims, render_markdown
from talentflow.settings import Settings

DOC = Path(__file__).resolve().parents[1] / "docs" / "claims.md"


@pytest.fixture(scope="module")
def claims(mirror_dir):
    path = built_indicators_db(str(mirror_dir))[0]
    with connect(Settings(data_dir=mirror_dir, db_path=path), path, read_only=True) as eng:
        return check_claims(eng)


@pytest.mark.mirror
def test_claims_doc_matches_data(claims):
    assert DOC.read_text(encoding="utf-8") == render_markdown(claims), \
        "docs/claims.md is stale: run `python tools/make_claims.py $TALENTFLOW_DATA`"


@pytest.mark.mirror
def test_claim_verdicts(claims):
    by = {c.id: c for c in claims}
    assert len(claims) == 9  # the six claims of the issue, then three published reference figures
    assert by["stem-4x"].verdict == "not supported" and "→ 2.2×" in by["stem-4x"].figure
    assert by["tertiary-growth"].verdict == "not supported"
    assert by["i2v-top15"].verdict == "not supported"
    assert by["capex-tenth"].verdict == "no data" and by["patents-huawei"].verdict == "no data"
    assert by["deepseek-cost"].verdict == "partly supported"
    assert by["ref-private-investment"].verdict == "supported"  # US:CN ratio 10.7 vs the AI Index's 11.7
    assert by["ref-patent-share"].verdict == "no data"
    assert all(c.sources and all(s.startswith("indicators/") for s in c.sources) for c in claims)
