"""`talentflow sync openalex` against a loopback fake of `GET /works` speaking the API's JSON (cursor paging,
`meta.next_cursor`), with its faults (429 with Retry-After, 5xx, truncated bodies); the snapshot it writes, and
the build reading it. Plus the venue → source-id mapping checked against the catalog."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

import openalex_fixtures as F
from conftest import fixture_settings
from talentflow.cli.main import app
from talentflow.engine import connect
from talentflow.errors import TalentflowError, UnknownValue
from talentflow.pipeline import build
from talentflow.sources import openalex as oa
from talentflow.sources import snapshots as snaps
from talentflow.sources.catalog import load_catalog
from talentflow.sources.openreview import SyncError, SyncStopped

MAILTO, KEY = "curator@example.org", "key-s3cret"
PAPER = {"id": "P1", "title": "Work number 8 of the fake", "status": "Poster", "author": "Ann Li;Bob Roe",
         "authorids": "~Ann_Li1;~Bob_Roe1", "aff": "Tsinghua University;Google",
         "aff_domain": "tsinghua.edu.cn;google.com", "position": "PhD student;Researcher"}


def _works(n: int = 450) -> list[dict]:
    out = []
    for k in range(n):
        src = F.NEURIPS if k % 10 else F.ICML  # every tenth is another venue's: not selected
        out.append(F.work(f"W{1000 + k}", f"Work number {k} of the fake", 2022 if k % 7 else 2021, src,
                          [F.authorship("first", f"A{k}", "Ann Li", ["I99065089"]),
                           F.authorship("last", f"B{k}", "Bob Roe", ["I1291425158"])]))
    return out


def _expected(works, year=2022) -> list[str]:
    return sorted(w["id"] for w in works if w["primary_location"]["source"]["id"].endswith(F.NEURIPS)
                  and w["publication_year"] == year)


def _sync(data, fake, sleep=lambda _: None, refresh=False, **kw):
    api = oa.Api(fake.url, mailto=MAILTO, api_key=KEY, rate=1000, sleep=sleep, **kw)
    return oa.sync_works(api, data, "nips", 2022, refresh=refresh), api


def _files(data) -> dict[str, bytes]:
    root = data / "live"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _ids(data) -> list[str]:
    folder = data / "live/openalex/works/nips/2022"
    return [w["id"] for w in snaps.read_records(folder / snaps.RECORDS)]


def test_cursor_paging_writes_one_sorted_snapshot_without_secrets(tmp_path):
    works = _works()
    with F.FakeOpenAlex(works) as fake:
        r, api = _sync(tmp_path, fake)
    want = _expected(works)
    assert r.status == "new" and r.records == len(want) == 347 and _ids(tmp_path) == want
    # 2 full pages, one partial, then the empty page whose next_cursor is null
    assert api.requests == 3 and [q["cursor"] for q in fake.log][0] == "*"
    assert fake.log[0]["filter"] == "primary_location.source.id:S4306420609,publication_year:2022"
    assert fake.log[0]["per-page"] == "200" and fake.log[0]["mailto"] == MAILTO and fake.log[0]["api_key"] == KEY
    man = json.loads((tmp_path / "live/openalex/works/nips/2022/manifest.json").read_text())
    assert (man["kind"], man["venue"], man["year"], man["record_count"], man["meta_count"]) == \
        ("openalex_works", "nips", 2022, 347, 347)
    assert man["query"] == {"filter": "primary_location.source.id:S4306420609,publication_year:2022",
                            "per-page": 200}
    files = _files(tmp_path)
    blob = b"".join(files.values()) + b"".join(gzip.decompress(v) for k, v in files.items() if k.endswith(".gz"))
    assert MAILTO.encode() not in blob and KEY.encode() not in blob
    assert not (tmp_path / "live/openalex/works/nips/2022/.partial").exists()


def test_faults_are_retried_and_give_the_same_snapshot(tmp_path):
    works = _works()
    with F.FakeOpenAlex(works) as fake:
        _sync(tmp_path / "a", fake)
    waits: list[float] = []
    with F.FakeOpenAlex(works) as fake:
        fake.faults = ["429", "500", "truncate", "500"]
        _sync(tmp_path / "b", fake, sleep=waits.append)
    assert waits[0] == 0.0 and len(waits) >= 4  # Retry-After: 0 honoured; the rest back off (1, 2, 4 s…)
    assert _files(tmp_path / "a")["openalex/works/nips/2022/records.jsonl.gz"] == \
        _files(tmp_path / "b")["openalex/works/nips/2022/records.jsonl.gz"]


def test_persistent_errors_end_cleanly(tmp_path):
    with F.FakeOpenAlex(_works(10)) as fake:
        fake.faults = ["500"] * 10
        with pytest.raises(SyncError, match="failed 3 times"):
            _sync(tmp_path, fake, max_retries=2)


def test_a_capped_sync_resumes_from_its_cursor_without_duplicates(tmp_path):
    works = _works()
    with F.FakeOpenAlex(works) as fake:
        with pytest.raises(SyncStopped):
            _sync(tmp_path, fake, max_requests=1)
        assert (tmp_path / "live/openalex/works/nips/2022/.partial/state.json").is_file()
        assert not (tmp_path / "live/openalex/works/nips/2022/manifest.json").exists()
        fake.log.clear()
        r, _ = _sync(tmp_path, fake)
    assert r.resumed and "*" not in [q["cursor"] for q in fake.log]
    assert _ids(tmp_path) == _expected(works)


def test_the_snapshot_is_the_cache_and_an_unchanged_refresh_changes_nothing(tmp_path):
    works = _works(50)
    with F.FakeOpenAlex(works) as fake:
        _sync(tmp_path, fake)
        before = {k: (tmp_path / "live" / k).stat().st_mtime_ns for k in _files(tmp_path)}
        n = len(fake.log)
        r, api = _sync(tmp_path, fake)
        assert (r.status, api.requests, len(fake.log)) == ("cached", 0, n)
        r, api = _sync(tmp_path, fake, refresh=True)
        assert r.status == "unchanged" and api.requests == 2
        works[3]["title"] = "A corrected title"
        works[3]["updated_date"] = "2024-06-01T00:00:00"
        r, _ = _sync(tmp_path, fake, refresh=True)
    assert r.status == "changed"
    recs = snaps.read_records(tmp_path / "live/openalex/works/nips/2022" / snaps.RECORDS)
    assert [w["title"] for w in recs if w["id"].endswith("W1003")] == ["A corrected title"]


def test_a_result_that_is_not_a_work_stops_the_sync(tmp_path):
    works = _works(5)
    works.insert(0, {"display_name": "no id", "publication_year": 2022,
                     "primary_location": {"source": {"id": F.OA + F.NEURIPS}}, "id": None})
    with F.FakeOpenAlex(works) as fake:
        fake._select = lambda flt: [w for w in works]  # served as is
        with pytest.raises(SyncError, match="not a work object with an id"):
            _sync(tmp_path, fake)


def test_synced_works_build_into_the_openalex_tables(tmp_path):
    s = fixture_settings(tmp_path, {"nips/nips2022.json.gz": [PAPER]})
    works = _works(20)
    with F.FakeOpenAlex(works) as fake:
        _sync(s.data_dir, fake)
    res = build(s)
    assert res.stats["openalex"]["api_snapshots"] == 1 and res.stats["openalex"]["parts"] == 0
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT count(*) FROM openalex_works WHERE origin = 'api' AND venue = 'nips'") == \
            len(_expected(works))
        assert e.query("SELECT paper_id, work_id FROM openalex_paper_links") == [("P1", "W1008")]
        assert e.scalar("SELECT path FROM openalex_inputs") == "live/openalex/works/nips/2022/records.jsonl.gz"
        # the live stage leaves OpenAlex snapshots alone (it would read them as ORCID records)
        assert e.scalar("SELECT count(*) FROM live_snapshots") == 0
        assert e.scalar("SELECT count(*) FROM quarantine WHERE unit_id LIKE 'live:%'") == 0
        assert e.scalar("SELECT count(*) FROM profiles") == 0


def test_cli_sync_and_unknown_venue(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENALEX_MAILTO", MAILTO)
    with F.FakeOpenAlex(_works(30)) as fake:
        r = CliRunner().invoke(app, ["--data", str(tmp_path), "sync", "openalex", "--venue", "nips", "--year", "2022",
                                     "--base-url", fake.url, "--rate", "10"])
        assert r.exit_code == 0, r.output
        assert fake.log[0]["mailto"] == MAILTO
    assert "works (OpenAlex counts" in r.output and len(_ids(tmp_path)) == len(_expected(_works(30)))
    r = CliRunner().invoke(app, ["--data", str(tmp_path), "sync", "openalex", "--venue", "corl", "--year", "2022"])
    out = " ".join(r.output.split())
    assert r.exit_code == 2 and "Unknown venue with an OpenAlex source id 'corl'" in out


def test_year_limited_sources_are_asked_only_for_their_year():
    assert [s.source_id for s in oa.sources_for("cvpr", 2022)] == ["S4306417987", "S4363607701"]
    assert [s.source_id for s in oa.sources_for("cvpr", 2021)] == ["S4306417987"]
    with pytest.raises(TalentflowError, match="No OpenAlex source of iccv is known to hold 2019"):
        oa.sources_for("iccv", 2019)
    with pytest.raises(UnknownValue):
        oa.sources_for("nope", 2022)


def test_venue_mapping_matches_the_catalog():
    """Every mapped venue (and every year a row is limited to) is one talentflow has; every catalogued venue is
    mapped or listed as deliberately unmapped in the file's header; a source id belongs to one venue."""
    rows = oa.load_venue_sources()
    have: dict[str, set[int]] = {}
    for d in load_catalog():
        if d.group == "conferences" and d.venue:
            have.setdefault(d.venue, set()).update({int(d.year)} if str(d.year).isdigit() else set())
    unused = sorted({r.venue for r in rows if r.venue not in have} |
                    {f"{r.venue} {y}" for r in rows for y in r.years if y not in have.get(r.venue, set())})
    unmatched = sorted(set(have) - {r.venue for r in rows} - oa.declared_unmapped())
    stale = sorted(oa.declared_unmapped() & {r.venue for r in rows} | (oa.declared_unmapped() - set(have)))
    assert (unused, unmatched, stale) == ([], [], []), f"unused {unused}; unmatched {unmatched}; stale {stale}"
    ids = [r.source_id for r in rows]
    assert len(ids) == len(set(ids)) and all(r.display_name for r in rows)


def test_a_bad_mapping_row_is_a_clear_error(tmp_path):
    from talentflow.errors import InputError

    p = tmp_path / "m.csv"
    p.write_text("# c\nvenue,openalex_source_id,display_name,years,note\nnips,W123,x,,\n")
    with pytest.raises(InputError, match=r"m.csv, record row 1, field 'openalex_source_id'"):
        oa.load_venue_sources(p)
    p.write_text("venue,openalex_source_id,display_name,years,note\nnips,S1,x,,\nicml,S1,y,,\n")
    with pytest.raises(InputError, match="source id S1 is mapped to nips and icml"):
        oa.load_venue_sources(p)
