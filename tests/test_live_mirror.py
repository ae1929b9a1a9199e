"""Career histories on the real mirror: profiles of real NeurIPS 2023 people (served by the loopback fake, since
the build machines have no internet) synced with `talentflow sync profiles`, then an incremental build of a copy
of the session's mirror database."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from fake_openreview import PASSWORD, USER, FakeServer, FakeState, entry, profile
from talentflow.cli.main import app
from talentflow.engine import connect
from talentflow.pipeline import build
from talentflow.metrics import MetricQuery, shares

pytestmark = pytest.mark.mirror
N = 400


def test_synced_profiles_make_origin_observed_on_the_mirror(mirror_settings, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    for sub in ("conferences", "registry", "indicators", "peers"):
        if (mirror_settings.data_dir / sub).exists():
            (data / sub).symlink_to(mirror_settings.data_dir / sub)
    db = tmp_path / "t.duckdb"
    shutil.copyfile(mirror_settings.db_path, db)
    s = replace(mirror_settings, data_dir=data, db_path=db)
    q = MetricQuery(venue="nips", years=(2023,))
    with connect(s, read_only=True) as e:
        ids = [i for (i,) in e.query("""SELECT DISTINCT person_id FROM authorships WHERE venue = 'nips'
                                        AND year = 2023 AND person_id LIKE '~%' ORDER BY 1 LIMIT ?""", [N])]
        before = shares(e, q, stage="origin", n_boot=0)
    # Half the undergraduate entries carry no country: the resolver places Tsinghua from its name and domain.
    profs = [profile(pid, [entry("Research Scientist", "Google", "google.com", start=2022, end=None, country="US"),
                           entry("Undergrad student", "Tsinghua University", "tsinghua.edu.cn", start=2012, end=2016,
                                 country=None if k % 2 else "CN")])
             for k, pid in enumerate(ids)]
    monkeypatch.setenv("OPENREVIEW_USERNAME", USER)
    monkeypatch.setenv("OPENREVIEW_PASSWORD", PASSWORD)
    with FakeServer(FakeState([], profs)) as srv:
        r = CliRunner().invoke(app, ["--data", str(data), "--db", str(db), "sync", "profiles", "--venue", "nips",
                                     "--year", "2023", "--base-url", srv.url])
    assert r.exit_code == 0, r.output
    res = build(s)
    assert "live" in res.ran and "ingest" not in res.ran  # incremental: the conference files are not re-read
    with connect(s, read_only=True) as e:
        after = shares(e, q, stage="origin", n_boot=0)
        cn = next(x for x in after if x["country"] == "CN")
        cn0 = next((x for x in before if x["country"] == "CN"), {"count": 0})
        assert after[0]["n_observed_profile"] >= N * 0.95 and before[0]["n_observed_profile"] == 0
        assert cn["count"] >= cn0["count"] + N * 0.9  # their undergraduate country, resolved or stated
        # no drift: where the 2023 paper itself states a located non-student position, the work stage is the
        # paper's, not the profile's current job
        assert e.scalar("""SELECT count(*) FROM metric_base WHERE venue = 'nips' AND year = 2023
                           AND current_country IS NOT NULL AND work_source <> 'paper'
                           AND current_position IN ('postdoc', 'faculty', 'researcher_engineer', 'leadership')
                           """) == 0
        assert e.scalar("""SELECT count(*) FROM metric_base WHERE venue = 'nips' AND year = 2023
                           AND work_source = 'openreview_profile'""") > 0
        snap = e.query_dicts("SELECT * FROM live_snapshots")
        assert snap[0]["used_for"] == "career histories" and snap[0]["record_count"] == N
        n_ids = e.scalar("""SELECT count(DISTINCT person_id) FROM authorships WHERE venue = 'nips' AND year = 2023
                            AND person_id LIKE '~%'""")
        assert json.loads(snap[0]["query"])["ids"] == f"{n_ids} ids"  # every 2023 id asked; N have a profile
