"""Hand-made tables for careers and metrics tests: a handful of authorships with known answers."""

from __future__ import annotations

from talentflow.engine.duck import DuckEngine

# (venue, year, paper_id, order, name, person_id, affiliation, domain, position)
AUTHORSHIPS = [
    # Ann: undergrad in CN (2018), PhD in US (2020), researcher at a US-HQ company's London site (2022)
    ("nips", 2018, "p1", 1, "Ann Li", "~Ann_Li1", "Tsinghua University", "tsinghua.edu.cn", "Undergrad student"),
    ("nips", 2020, "p2", 1, "Ann Li", "~Ann_Li1", "Stanford University", "stanford.edu", "PhD student"),
    ("nips", 2022, "p3", 1, "Ann Li", "~Ann_Li1", "Google London", "google.com", "Research Scientist"),
    # Bob: MS in GB (2019) only student observation -> origin proxy; faculty in DE 2022; unresolved in 2023
    ("nips", 2019, "p4", 1, "Bob Roe", "~Bob_Roe1", "University of Oxford", "ox.ac.uk", "MS student"),
    ("nips", 2022, "p3", 2, "Bob Roe", "~Bob_Roe1", "TU Munich", "tum.de", "Assistant Professor"),
    ("iclr", 2023, "p5", 1, "Bob Roe", "~Bob_Roe1", "Nowhere Lab", None, "Researcher"),
    # Cat: no id, no position (position unknown -> work proxy), US university in 2022
    ("nips", 2022, "p6", 1, "Cat Kim", None, "Stanford University", "stanford.edu", None),
    # Dan: PhD in CN 2021 (student: never work), then nothing
    ("nips", 2021, "p7", 1, "Dan Wu", "~Dan_Wu1", "Peking University", "pku.edu.cn", "PhD student"),
    ("nips", 2022, "p6", 2, "Dan Wu", "~Dan_Wu1", "Peking University", "pku.edu.cn", "PhD student"),
    # ... and a record without position the same year (ICLR): still the studentship, no work proxy
    ("iclr", 2022, "p9", 1, "Dan Wu", "~Dan_Wu1", "Peking University", "pku.edu.cn", None),
    # Eve: unresolved affiliation only
    ("nips", 2022, "p8", 1, "Eve Ng", "~Eve_Ng1", "Nowhere Lab", None, "Researcher"),
]
# (affiliation, domain, institution_id, name, country_location, country_hq, sector)
RESOLUTIONS = [
    ("Tsinghua University", "tsinghua.edu.cn", "tsinghua", "Tsinghua University", "CN", "CN", "academia"),
    ("Stanford University", "stanford.edu", "stanford", "Stanford University", "US", "US", "academia"),
    ("Google London", "google.com", "google-london", "Google London", "GB", "US", "industry"),
    ("University of Oxford", "ox.ac.uk", "oxford", "University of Oxford", "GB", "GB", "academia"),
    ("TU Munich", "tum.de", "tum", "Technical University of Munich", "DE", "DE", "academia"),
    ("Peking University", "pku.edu.cn", "pku", "Peking University", "CN", "CN", "academia"),
    ("Nowhere Lab", "", None, None, None, None, None),
]
# (venue, year, paper_id, tier, tier_rank, subfield)
PAPERS = [("nips", 2018, "p1", "accepted", 1, "vision"), ("nips", 2020, "p2", "oral", 3, "language"),
          ("nips", 2022, "p3", "oral", 3, "generative_ai"), ("nips", 2019, "p4", "accepted", 1, "other"),
          ("iclr", 2023, "p5", "accepted", 1, "other"), ("nips", 2022, "p6", "accepted", 1, "vision"),
          ("nips", 2021, "p7", "accepted", 1, "vision"), ("nips", 2022, "p8", "not_accepted", 0, "other"),
          ("iclr", 2022, "p9", "accepted", 1, "other")]


def careers_engine(path=":memory:") -> DuckEngine:
    e = DuckEngine(path)
    e.execute("""CREATE TABLE authorships (venue VARCHAR, year INTEGER, paper_id VARCHAR, author_order INTEGER,
                 author_name VARCHAR, person_id VARCHAR, affiliation_raw VARCHAR, domain_raw VARCHAR,
                 position_raw VARCHAR)""")
    e.con.executemany("INSERT INTO authorships VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", AUTHORSHIPS)
    e.execute("""CREATE TABLE affiliation_resolutions (affiliation_raw VARCHAR, domain_raw VARCHAR,
                 institution_id VARCHAR, institution VARCHAR, country_location VARCHAR, country_hq VARCHAR,
                 sector VARCHAR, org_type VARCHAR, confidence DOUBLE, reason VARCHAR)""")
    e.con.executemany("INSERT INTO affiliation_resolutions VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0.9, 'fixture')",
                      RESOLUTIONS)
    e.execute("CREATE TABLE paper_tiers (venue VARCHAR, year INTEGER, paper_id VARCHAR, tier VARCHAR, "
              "tier_rank INTEGER)")
    e.con.executemany("INSERT INTO paper_tiers VALUES (?, ?, ?, ?, ?)", [p[:5] for p in PAPERS])
    e.execute("CREATE TABLE paper_subfields (venue VARCHAR, year INTEGER, paper_id VARCHAR, subfield VARCHAR, "
              "flags VARCHAR[])")
    e.con.executemany("INSERT INTO paper_subfields VALUES (?, ?, ?, ?, ?)",
                      [p[:3] + p[5:] + ((["llm"] if p[2] == "p3" else []),) for p in PAPERS])
    return e


def run_careers(e, with_metrics: bool = True) -> dict:
    from talentflow.careers import stage
    from talentflow.settings import Settings

    s = Settings(n_boot=200, min_cell=0)
    stats = stage.run(e, s, lambda *a: None)
    if with_metrics:
        from talentflow.metrics.stage import build_base

        stats.update(build_base(e))
    return stats
