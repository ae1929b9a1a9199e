"""Helpers for the report/web tests: a tiny database with the tables the published face reads directly
(datasets for provenance, tier_availability), and a loopback server running the app in a thread."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from talentflow.settings import Settings

PERSON_MARKERS = ("~Jane_Doe1", "Jane_Doe")


def tiny_db(path: Path) -> Path:
    import duckdb

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("""CREATE TABLE datasets AS SELECT * FROM (VALUES
        ('nips2022', 'conferences', 'nips', 2022, 'conferences/nips/nips2022.json.gz', 'papercopilot/paperlists',
         'e49adbbbc7d49778f0e86a378abdd5e0d346e20b', 'none stated', NULL, 2000, 1800, 9000, 3),
        ('nips2019', 'conferences', 'nips', 2019, 'conferences/nips/nips2019.json.gz', 'papercopilot/paperlists',
         'e49adbbbc7d49778f0e86a378abdd5e0d346e20b', 'none stated', NULL, 1500, 1400, 6000, 0),
        ('iclr2024.chang_authorids', 'conferences', 'iclr', 2024, 'conferences/iclr/x.json.gz',
         'chang-xinhai/AI-Conference-Paper-Lists', '1111111111', 'MIT', NULL, 100, 100, 400, 0),
        ('registry/swot', 'registry', NULL, NULL, 'registry/swot.tsv', 'JetBrains/swot', '187f89e4b3', 'MIT', NULL,
         NULL, NULL, NULL, NULL)
        ) t(id, "group", venue, year, path, repo, "commit", license, not_ingested_reason, papers, accepted_papers,
            authorships, quarantined)""")
    con.execute("""CREATE TABLE tier_availability AS SELECT * FROM (VALUES
        ('nips', 2022, 'neurips', 'available', 'available', 'available', 'test note')) t(venue, year, scheme,
        accepted, spotlight, oral, note)""")
    # the dashboard offers the years the database has papers for (the metrics library lists no years)
    con.execute("""CREATE TABLE papers AS SELECT 'nips' AS venue, y::INTEGER AS year, 'p' || y AS paper_id
                   FROM range(2017, 2025) t(y)""")
    con.close()
    return path


def tiny_settings(tmp: Path, **kw) -> Settings:
    return Settings(db_path=tiny_db(tmp / "tiny.duckdb"), n_boot=20, **kw)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackServer:
    """uvicorn serving an app on 127.0.0.1 in a background thread (stopped by `stop`)."""

    def __init__(self, app, port: int | None = None):
        import uvicorn

        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LoopbackServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


COUNTRY_POOL = ["CN"] * 8 + ["US"] * 6 + ["IN"] * 2 + ["DE", "GB", "CA", "FR", "KR", "JP", "SG", "IS"]
INSTITUTIONS = {"CN": ["Tsinghua University", "Peking University"], "US": ["Stanford University", "Google", "MIT"],
                "IN": ["IIT Bombay"], "DE": ["TU Munich"], "GB": ["University of Oxford"], "CA": ["Mila"],
                "FR": ["Inria"], "KR": ["KAIST"], "JP": ["University of Tokyo"], "SG": ["NUS"], "IS": ["Reykjavik"]}
PARENT = "CASE {0} WHEN 'TU Munich' THEN 'A parent organisation' ELSE {0} END"  # the roll-up (*_parent_name)


def synthetic_metric_tables(path: Path, people: int = 3000, seed: float = 0.42) -> Path:
    """Random but plausible `metric_base` and `person_last_seen` tables (the metrics stage's outputs), so the real
    `talentflow.metrics` library can run end to end on a tiny database. No real person is in them."""
    import duckdb

    con = duckdb.connect(str(path))
    pool = "[" + ", ".join(f"'{c}'" for c in COUNTRY_POOL) + "]"
    inst = "map {" + ", ".join(f"'{k}': [{', '.join(repr(x) for x in v)}]" for k, v in INSTITUTIONS.items()) + "}"
    con.execute(f"SELECT setseed({seed})")
    con.execute(f"""
    CREATE TABLE _people AS
    SELECT 'p' || i AS person_key,
           {pool}[1 + floor(random() * {len(COUNTRY_POOL)})::INT] AS origin,
           random() AS r1, random() AS r2, random() AS r3
    FROM range({people}) t(i)""")
    con.execute(f"""
    CREATE TABLE _people2 AS
    SELECT *, CASE WHEN r1 < 0.55 THEN origin WHEN r1 < 0.85 THEN 'US' ELSE {pool}[1 + floor(r3 * {len(COUNTRY_POOL)})::INT] END AS grad,
           NULL::VARCHAR AS work FROM _people""")
    con.execute("UPDATE _people2 SET work = CASE WHEN r2 < 0.7 THEN grad WHEN r2 < 0.9 THEN 'US' ELSE origin END")
    con.execute(f"""
    CREATE TABLE metric_base AS
    WITH papers AS (
        SELECT p.*, k AS paper_n, ['nips', 'icml', 'iclr'][1 + floor(random() * 3)::INT] AS venue,
               2018 + floor(random() * 6)::INT AS year, random() AS rt, random() AS rs
        FROM _people2 p, range(1 + floor(p.r3 * 3)::INT) t(k))
    SELECT person_key, venue, year, venue || year || '-' || person_key || '-' || paper_n AS paper_id,
           1 AS author_order, CASE WHEN rt < 0.05 THEN 3 WHEN rt < 0.12 THEN 2 ELSE 1 END AS tier_rank,
           ['generative_ai', 'robotics', 'vision', 'language', 'other'][1 + floor(rs * 5)::INT] AS subfield,
           CASE WHEN rs > 0.2 AND rs < 0.3 THEN ['humanoid'] WHEN rs < 0.1 THEN ['llm'] ELSE [] END::VARCHAR[] AS flags,
           rule, work AS current_country, NULL AS current_institution_id,
           {inst}[work][1] AS current_institution_name, {PARENT.format(f"{inst}[work][1]")} AS current_parent_name,
           CASE WHEN r2 < 0.3 THEN 'industry' ELSE 'academia' END AS current_sector, 'phd' AS current_position,
           origin AS origin_country, NULL AS origin_institution_id, {inst}[origin][1] AS origin_institution_name,
           {PARENT.format(f"{inst}[origin][1]")} AS origin_parent_name,
           CASE WHEN r1 < 0.9 THEN 'observed' ELSE 'unknown' END AS origin_basis, 'test' AS origin_stage_rule,
           year AS origin_stage_year,
           grad AS graduate_country, NULL AS graduate_institution_id, {inst}[grad][1] AS graduate_institution_name,
           {PARENT.format(f"{inst}[grad][1]")} AS graduate_parent_name,
           'observed' AS graduate_basis, 'test' AS graduate_stage_rule, year AS graduate_stage_year,
           'academia' AS graduate_sector,
           work AS work_country, NULL AS work_institution_id, {inst}[work][1] AS work_institution_name,
           {PARENT.format(f"{inst}[work][1]")} AS work_parent_name,
           'observed' AS work_basis, 'test' AS work_stage_rule, year AS work_stage_year,
           CASE WHEN r2 < 0.3 THEN 'industry' ELSE 'academia' END AS work_sector,
           CASE WHEN r1 < 0.5 THEN 'openreview_profile' ELSE 'paper' END AS origin_source,
           'paper' AS graduate_source, 'paper' AS work_source
    FROM papers CROSS JOIN (SELECT unnest(['location', 'hq']) AS rule) r""")
    con.execute("""
    CREATE TABLE person_last_seen AS
    SELECT person_key, rule, max(year) + 2 AS last_year, max(year) + 2 AS last_located_year,
           CASE WHEN any_value(r2) < 0.8 THEN any_value(work) ELSE any_value(origin) END AS last_country,
           NULL AS last_institution_name
    FROM metric_base JOIN _people2 USING (person_key) GROUP BY person_key, rule""")
    con.execute("DROP TABLE _people; DROP TABLE _people2")
    con.close()
    return path
