"""Live sources against loopback fakes of OpenReview and ORCID: sync → snapshot → build → metrics, with the
faults the real APIs show (403 without login, 429 with Retry-After, 5xx, truncated bodies, pages beyond 1,000)."""

from __future__ import annotations

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import live_scenario as sc
from conftest import fixture_settings
from fake_openreview import PASSWORD, USER, FakeServer, FakeState, profile, entry
from talentflow.cli.main import app
from talentflow.engine import connect
from talentflow.errors import ChecksumMismatch
from talentflow.pipeline import build
from talentflow.metrics import MetricQuery, cohort, person, shares
from talentflow.sources import openreview as orv
from talentflow.sources import orcid
from talentflow.sources import snapshots as snaps

MIRROR = [{"id": "M1", "title": "Mirror paper", "status": "Poster", "author": "Person P0;Ana Silva",
           "authorids": "~Person_P01;~Ana_Silva2", "aff": "Google;EPFL", "aff_domain": "google.com;epfl.ch",
           "position": "Researcher;PhD student"},
          # the alias is used more often than the profile's own id: still one person
          {"id": "M2", "title": "Second mirror paper", "status": "Poster", "author": "Ana Silva",
           "authorids": "~Ana_Silva2", "aff": "EPFL", "aff_domain": "epfl.ch", "position": "PhD student"}]
VENUE = orv.venue_of(sc.VENUE_ID)


def _settings(tmp_path):
    return fixture_settings(tmp_path, {"nips/nips2024.json.gz": MIRROR})


def _sync(s, state: FakeState, sleep=lambda _: None, max_requests=None):
    with FakeServer(state) as srv:
        api = orv.Api(srv.url, orv.Credentials(USER, PASSWORD), max_requests=max_requests, sleep=sleep)
        r = orv.sync_notes(api, s.data_dir, VENUE)
        p = orv.sync_profiles(api, s.data_dir, orv.notes_snapshot_ids(s.data_dir, VENUE), (sc.VENUE_ID,),
                              {"venue": "nips", "year": 2025})
    return r, p, api


def _files(s) -> dict[str, bytes]:
    root = s.data_dir / "live"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _records(s) -> dict[str, bytes]:
    """The snapshot record files (manifests differ in fetch time and the fake server's port)."""
    return {k: v for k, v in _files(s).items() if k.endswith(snaps.RECORDS)}


@pytest.fixture()
def synced(tmp_path):
    s = _settings(tmp_path)
    _sync(s, FakeState(sc.notes(), sc.profiles()))
    build(s)
    return s


def test_no_credentials_is_a_clear_error_naming_the_variables(tmp_path, monkeypatch):
    for k in ("OPENREVIEW_USERNAME", "OPENREVIEW_PASSWORD", "OPENREVIEW_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    r = CliRunner().invoke(app, ["--data", str(tmp_path), "sync", "openreview", "--venue", sc.VENUE_ID])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "OPENREVIEW_USERNAME" in r.output and "OPENREVIEW_TOKEN" in r.output


def test_anonymous_requests_get_403_and_a_wrong_password_is_refused(tmp_path):
    state = FakeState(sc.notes(), sc.profiles())
    with FakeServer(state) as srv:
        import requests

        r = requests.get(f"{srv.url}/notes", params={"content.venueid": sc.VENUE_ID})
        assert r.status_code == 403 and r.json()["name"] == "ChallengeRequiredError"
        with pytest.raises(orv.CredentialsMissing, match="login .* failed"):
            orv.Api(srv.url, orv.Credentials(USER, "wrong"))


def test_unknown_venue_id_lists_the_mapping():
    from talentflow.errors import UnknownValue

    with pytest.raises(UnknownValue, match="NeurIPS.cc/2025/Conference"):
        orv.venue_of("NeurIPS.cc/2052/Conference")


def test_sync_pages_beyond_1000_keeps_every_decision_and_writes_no_secret(tmp_path):
    s = _settings(tmp_path)
    state = FakeState(sc.notes(), sc.profiles())
    r, p, api = _sync(s, state)
    assert r.records == sc.N_ACCEPTED + 27 and r.status == "new"
    assert any("offset=1000" in path for _, path in state.log)
    man = json.loads((s.data_dir / "live/openreview/notes" / sc.VENUE_ID / "manifest.json").read_text())
    assert man["record_count"] == r.records and man["venue"] == "nips" and man["year"] == 2025
    assert man["sha256"] == snaps.file_sha256(s.data_dir / "live/openreview/notes" / sc.VENUE_ID / snaps.RECORDS)
    assert p.extra["ids_requested"] == 45 and p.extra["ids_without_profile"] == 1  # ~No_Profile1
    blob = b"".join(_files(s).values()) + b"".join(gzip.decompress(v) for k, v in _files(s).items()
                                                   if k.endswith(".gz"))
    assert PASSWORD.encode() not in blob and b"tok-123" not in blob and b"someone@example.org" not in \
        b"".join(v for k, v in _files(s).items() if "profiles" in k)


def test_faults_are_retried_politely_and_give_the_same_snapshot(tmp_path):
    clean = _settings(tmp_path / "a")
    _sync(clean, FakeState(sc.notes(), sc.profiles()))
    faulty = _settings(tmp_path / "b")
    state = FakeState(sc.notes(), sc.profiles())
    state.faults = [("/notes", "429"), ("/notes", "500"), ("/notes", "truncate"), ("/profiles/search", "429"),
                    ("/profiles/search", "truncate"), ("/profiles/search", "500")]
    waits: list[float] = []
    _, _, api = _sync(faulty, state, sleep=waits.append)
    assert state.faults == [] and len(waits) == 6
    assert waits[0] == 0.0  # Retry-After: 0 honoured, not the backoff
    assert _records(faulty) == _records(clean) and len(_records(clean)) == 2


def test_persistent_rate_limit_ends_with_a_clean_error(tmp_path):
    s = _settings(tmp_path)
    state = FakeState(sc.notes(), sc.profiles())
    state.faults = [("/notes", "500")] * 20
    with FakeServer(state) as srv:
        api = orv.Api(srv.url, orv.Credentials(USER, PASSWORD), sleep=lambda _: None, max_retries=3)
        with pytest.raises(orv.SyncError, match="failed 4 times"):
            orv.sync_notes(api, s.data_dir, VENUE)


def test_unchanged_resync_changes_nothing_and_a_changed_one_replaces(tmp_path):
    s = _settings(tmp_path)
    _sync(s, FakeState(sc.notes(), sc.profiles()))
    before = {p: (s.data_dir / "live" / p).stat().st_mtime_ns for p in _files(s)}
    r, p, _ = _sync(s, FakeState(sc.notes(), sc.profiles()))
    assert (r.status, p.status) == ("unchanged", "unchanged")
    assert {q: (s.data_dir / "live" / q).stat().st_mtime_ns for q in _files(s)} == before
    notes = sc.notes()
    notes[0]["content"]["title"]["value"] = "A corrected title"
    notes[0]["mdate"] += 1
    r, _, _ = _sync(s, FakeState(notes, sc.profiles()))
    assert r.status == "changed"


def test_a_stopped_sync_resumes_without_duplicates(tmp_path):
    clean = _settings(tmp_path / "a")
    _sync(clean, FakeState(sc.notes(), sc.profiles()))
    s = _settings(tmp_path / "b")
    with pytest.raises(orv.SyncStopped):
        _sync(s, FakeState(sc.notes(), sc.profiles()), max_requests=1)
    staged = s.data_dir / "live/openreview/notes" / sc.VENUE_ID / ".partial"
    assert (staged / "state.json").is_file() and not (staged.parent / "manifest.json").exists()
    state = FakeState(sc.notes(), sc.profiles())
    r, _, _ = _sync(s, state)
    assert r.resumed and not any("offset=0" in path and sc.VENUE_ID + "&" in path for _, path in state.log)
    assert _records(s) == _records(clean) and set(_files(s)) == set(_files(clean))


def test_a_killed_sync_process_resumes(tmp_path):
    """kill -9 of a real `talentflow sync` in the middle of its pages; the next run finishes the same snapshot."""
    clean = _settings(tmp_path / "a")
    _sync(clean, FakeState(sc.notes(), sc.profiles()))
    s = _settings(tmp_path / "b")
    state = FakeState(sc.notes(), sc.profiles())
    state.delay = 0.4
    env = {**os.environ, "OPENREVIEW_USERNAME": USER, "OPENREVIEW_PASSWORD": PASSWORD}
    with FakeServer(state) as srv:
        cmd = [sys.executable, "-c", "from talentflow.cli.main import app; app()", "--data", str(s.data_dir), "sync", "openreview",
               "--venue", sc.VENUE_ID, "--base-url", srv.url]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        state_file = s.data_dir / "live/openreview/notes" / sc.VENUE_ID / ".partial/state.json"
        deadline = time.monotonic() + 60
        while not state_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert state_file.exists()
        state.delay = 0
        r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        assert "resumed" in r.stderr
    assert _records(s) == _records(clean) and set(_files(s)) == set(_files(clean))


def test_build_ingests_the_venue_year_with_tiers_profiles_and_quarantine(synced):
    with connect(synced, read_only=True) as e:
        tiers = dict(e.query("SELECT tier, count(*) FROM paper_tiers WHERE venue = 'nips' AND year = 2025 GROUP BY 1"))
        assert tiers == {"oral": 30, "spotlight": 100, "accepted": sc.N_ACCEPTED - 130, "not_accepted": 27}
        # the alias ~Ana_Silva2 maps to the profile ~Ana_Silva1; e-mail author ids are never kept
        assert e.scalar("SELECT person_id FROM authorships WHERE year = 2025 AND authorid_raw = '~Ana_Silva2'") \
            == "~Ana_Silva1"
        assert e.scalar("SELECT count(*) FROM authorships WHERE authorid_raw LIKE '%@%'") == 0
        q = {(r[0], r[1]) for r in e.query("SELECT record_key, field FROM quarantine WHERE unit_id LIKE 'live:%'")}
        assert {("~Bad_History1", "content.history"), ("~Odd_Years1", "content.history[0].start"),
                ("~Odd_Years1", "content.history[1].institution.country")} <= q
        assert e.scalar("SELECT count(*) FROM profiles WHERE NOT has_history") == 2  # hidden and malformed
        used = dict(e.query("SELECT kind, used_for FROM live_snapshots"))
        assert used["openreview_notes"] == "papers and authorships"


def test_origin_comes_from_profiles_and_every_share_says_so(synced):
    with connect(synced, read_only=True) as e:
        rows = shares(e, MetricQuery(venue="nips", years=(2025,)), stage="origin", n_boot=50)
    by = {r["country"]: r for r in rows}
    # 40 plain people cycle CN, US, CN, IN, DE (+ Ana: BR — the first undergraduate entry, not ETH's)
    assert (by["CN"]["count"], by["US"]["count"], by["IN"]["count"], by["DE"]["count"]) == (16, 8, 8, 8)
    assert by["BR"]["count"] == 1 and "CH" not in by
    r = rows[0]
    assert r["n_observed_profile"] == r["n_observed"] == 41 and r["n_observed_paper"] == 0
    assert r["n_people"] == 46 and r["n_unknown"] == 4  # hidden, malformed, odd-years (no undergrad), no profile
    from talentflow.metrics import flows

    with connect(synced, read_only=True) as e:
        fl = flows(e, MetricQuery(venue="nips", years=(2025,)), "origin", "work", n_boot=20)
    assert fl and fl[0]["n_from_profile"] == fl[0]["n_to_profile"] == fl[0]["n_both_known"] > 0


def test_person_shows_dated_history_and_no_profile_drift(synced):
    with connect(synced, read_only=True) as e:
        rows = person(e, "~Ana_Silva1")
        st = {(r["ref_year"], r["rule"]): r for r in rows if r["kind"] == "stages"}
        # the mirror papers of 2024 (as ~Ana_Silva2) and the 2025 paper are one person, with her history
        assert set(st) == {(2024, "location"), (2024, "hq"), (2025, "location"), (2025, "hq")}
        assert e.scalar("SELECT count(*) FROM career_events WHERE person_key = '~Ana_Silva2'") == 0
        assert st[(2024, "location")]["origin_source"] == "openreview_profile"
        assert st[(2025, "location")]["origin_country"] == "BR" and st[(2025, "location")]["origin_stage_year"] == 2009
        assert st[(2025, "location")]["graduate_country"] == "CH"  # ISO3 'CHE' normalised
        hist = [r for r in rows if r["kind"] == "history"]
        assert [(h["start_year"], h["end_year"]) for h in hist] == [(2009, 2013), (2012, 2012), (2014, 2016),
                                                                     (2019, 2020), (2021, None)]
        assert hist[-1]["current"] and hist[0]["country_profile"] == "BR"
        # Person P0's current job (Research Scientist from 2023) never reaches before 2023
        p0 = e.query_dicts("SELECT * FROM person_stages WHERE person_key = '~Person_P01' AND rule = 'location'")
        by = {r["ref_year"]: r for r in p0}
        assert by[2024]["work_source"] == "paper"  # the paper of 2024 states Google
        assert e.scalar("""SELECT min(year) FROM career_events WHERE person_key = '~Person_P01'
                           AND position_raw = 'Research Scientist' AND source = 'openreview_profile'""") == 2023


def test_person_json_from_the_cli(synced):
    r = CliRunner().invoke(app, ["--data", str(synced.data_dir), "--db", str(synced.db_path), "person",
                                 "~Ana_Silva1", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert any(x.get("position_raw") == "Undergrad student" and x.get("start_year") == 2009 for x in rows)


def test_a_tampered_snapshot_stops_the_build(tmp_path):
    s = _settings(tmp_path)
    _sync(s, FakeState(sc.notes(), sc.profiles()))
    f = s.data_dir / "live/openreview/notes" / sc.VENUE_ID / snaps.RECORDS
    f.write_bytes(gzip.compress(b'{"id": "x"}\n'))
    with pytest.raises(ChecksumMismatch, match="records.jsonl.gz"):
        build(s)


def test_snapshot_change_rebuilds(tmp_path):
    s = _settings(tmp_path)
    build(s)
    assert build(s).ran == []
    _sync(s, FakeState(sc.notes(), sc.profiles()))
    assert "live" in build(s).ran


def test_profile_dump_import(tmp_path):
    s = _settings(tmp_path)
    lines = [json.dumps(p) for p in sc.profiles()] + ["{not json", json.dumps([1, 2]), json.dumps({"id": 7})]
    lines.insert(3, "")  # blank lines are skipped
    dump = tmp_path / "profiles.jsonl.gz"
    dump.write_bytes(gzip.compress(("\ufeff" + "\n".join(lines) + "\n").encode()))
    r = CliRunner().invoke(app, ["--data", str(s.data_dir), "data", "import-profiles", str(dump),
                                 "--format", "json"])
    assert r.exit_code == 0, r.output
    assert "44 profiles imported, 3 lines rejected" in r.output
    build(s)
    with connect(s, read_only=True) as e:
        assert e.scalar("SELECT count(*) FROM profiles") == 44
        # ordered chronologically although listed out of order; missing end = current (to the fetch year)
        ana = e.query_dicts("SELECT * FROM profile_history WHERE profile_id = '~Ana_Silva1' ORDER BY start_year")
        assert [h["start_year"] for h in ana] == [2009, 2012, 2014, 2019, 2021]
        assert ana[-1]["open_end"] and ana[-1]["end_year"] is None
        assert e.scalar("SELECT count(*) FROM career_events WHERE position_rule = 'unmatched'") >= 1
        r = CliRunner().invoke(app, ["--data", str(s.data_dir), "data", "snapshots", "--format", "json"])
        assert r.exit_code == 0 and json.loads(r.output)[0]["status"] == "ok"


def test_orcid_sync_and_history(tmp_path):
    s = _settings(tmp_path)
    state = FakeState([], [], orcid=sc.orcid_records())
    state.faults = [("/v3.0/", "429")]
    with FakeServer(state) as srv:
        pairs = [(sc.ANA_ORCID, "~Ana_Silva2"), ("0000-0001-5109-3700", "~Nobody1")]
        r = orcid.sync_orcid(s.data_dir, pairs, base_url=f"{srv.url}/v3.0", rate=1000, sleep=lambda _: None)
        assert r["records"] == 2 and r["requests"] == 5
        again = orcid.sync_orcid(s.data_dir, pairs, base_url=f"{srv.url}/v3.0", rate=1000, sleep=lambda _: None)
        assert again["requests"] == 0 and again["status"] == "unchanged"  # the snapshot is the cache
    build(s)
    with connect(s, read_only=True) as e:
        h = e.query_dicts("SELECT * FROM profile_history WHERE source = 'orcid' ORDER BY start_year")
        assert [(x["position_raw"], x["country"], x["start_year"]) for x in h] == [
            ("Undergrad student", "BR", 2009), ("PhD student", "CH", 2016), ("Professor", "CH", 2021)]
        st = e.query_dicts("SELECT * FROM person_stages WHERE person_key = '~Ana_Silva2' AND rule = 'location'")
        assert st[0]["origin_country"] == "BR" and st[0]["origin_source"] == "orcid"


def test_orcid_public_data_file_reader(tmp_path):
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<record:record path="/{sc.ANA_ORCID}" xmlns:record="http://www.orcid.org/ns/record"
 xmlns:common="http://www.orcid.org/ns/common" xmlns:activities="http://www.orcid.org/ns/activities"
 xmlns:education="http://www.orcid.org/ns/education" xmlns:employment="http://www.orcid.org/ns/employment">
 <activities:activities-summary><activities:educations><activities:affiliation-group>
  <education:education-summary put-code="1"><common:role-title>BSc</common:role-title>
   <common:start-date><common:year>2009</common:year></common:start-date>
   <common:end-date><common:year>2013</common:year></common:end-date>
   <common:organization><common:name>Universidade de Sao Paulo</common:name>
    <common:address><common:city>Sao Paulo</common:city><common:country>BR</common:country></common:address>
   </common:organization></education:education-summary>
 </activities:affiliation-group></activities:educations></activities:activities-summary></record:record>"""
    tar_path = tmp_path / "ORCID_summaries.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        for name, body in ((f"summaries/097/{sc.ANA_ORCID}.xml", xml), ("summaries/1/0000-0000-0000-0001.xml", xml)):
            info = tarfile.TarInfo(name)
            info.size = len(body.encode())
            tar.addfile(info, io.BytesIO(body.encode()))
    s = _settings(tmp_path)
    r = orcid.import_summaries(s.data_dir, tar_path, [(sc.ANA_ORCID, "~Ana_Silva2")])
    assert r["records"] == 1
    build(s)
    with connect(s, read_only=True) as e:
        assert e.query("SELECT position_raw, country, start_year, end_year FROM profile_history") == [
            ("Undergrad student", "BR", 2009, 2013)]


def test_cohort_without_linked_people_says_why(synced):
    with connect(synced, read_only=True) as e:
        rows = cohort(e, MetricQuery(venue="nips", years=(2025,)), origin="CN", work="US", n_boot=20)
    assert rows and sum(r["count"] for r in rows) == 8  # CN-origin people working in the US in 2025


def test_profile_without_country_and_resolver_unknown_stays_unknown(tmp_path):
    s = _settings(tmp_path)
    p = [profile("~Only_Undated1", [entry("Undergrad student", "Obscure Institute", None)])]
    notes = [sc.notes()[0]]
    notes[0]["content"]["authorids"]["value"] = ["~Only_Undated1"]
    notes[0]["content"]["authors"]["value"] = ["Only Undated"]
    _sync(s, FakeState(notes, p))
    build(s)
    with connect(s, read_only=True) as e:
        st = e.query_dicts("SELECT * FROM person_stages WHERE person_key = '~Only_Undated1'")
        assert st and all(r["origin_basis"] == "unknown" and r["origin_country"] is None for r in st)


def test_empty_cohort_says_why(synced):
    r = CliRunner().invoke(app, ["--data", str(synced.data_dir), "--db", str(synced.db_path), "cohort",
                                 "--venue", "nips", "--year", "2024", "--origin", "IN", "--work", "US"])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    # the explanation is published beside the answer: in a population of two, every count (zeros included: a
    # zero part of a small total says where its few people are) is withheld by the small-cell rule
    assert "No one in this cohort." in out, out
    assert "(suppressed) people at the cohort venue-year" in out and "origin IN: (suppressed)" in out, out
    with connect(synced, read_only=True) as e:
        from talentflow.metrics import cohort_basis

        b = cohort_basis(e, MetricQuery(venue="nips", years=(2024,)), "CN", None)
    # both 2024 people have a profile-observed origin and are seen again (in 2025)
    assert (b["people"], b["origin_observed"], b["origin_from_history"], b["seen_after_cohort_year"]) == (2, 2, 2, 1)


def test_a_records_file_edited_behind_its_manifest_is_noticed_on_a_noop_build(tmp_path):
    s = _settings(tmp_path)
    _sync(s, FakeState(sc.notes(), sc.profiles()))
    build(s)
    f = s.data_dir / "live/openreview/notes" / sc.VENUE_ID / snaps.RECORDS
    f.write_bytes(f.read_bytes() + b"\0")
    with pytest.raises(ChecksumMismatch):
        build(s)


def test_a_notes_snapshot_without_venue_year_is_refused(tmp_path):
    from talentflow.errors import InputError

    s = _settings(tmp_path)
    _sync(s, FakeState(sc.notes(), sc.profiles()))
    m = s.data_dir / "live/openreview/notes" / sc.VENUE_ID / snaps.MANIFEST
    d = json.loads(m.read_text())
    del d["venue"]
    m.write_text(json.dumps(d))
    with pytest.raises(InputError, match="venue and year"):
        build(s)


def test_snapshots_are_listed_and_verified_like_catalogued_files(tmp_path):
    s = _settings(tmp_path)
    _sync(s, FakeState(sc.notes(), sc.profiles()))
    base = ["--data", str(s.data_dir)]
    env = {"TALENTFLOW_DATA": ""}
    r = CliRunner().invoke(app, base + ["data", "list", "--group", "live", "--format", "json"], env=env)
    rows = json.loads(r.output)
    assert {x["kind"] for x in rows} == {"openreview_notes", "openreview_profiles"} and all(x["present"] for x in rows)
    f = s.data_dir / "live/openreview/notes" / sc.VENUE_ID / snaps.RECORDS
    f.write_bytes(b"tampered")
    r = CliRunner().invoke(app, base + ["data", "verify", "--group", "live", "--format", "json"], env=env)
    assert r.exit_code == 1 and any(x["status"] == "mismatch" for x in json.loads(r.output))
