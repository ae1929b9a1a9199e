"""A venue-year on the fake OpenReview server with known answers: NeurIPS 2025 (absent from the fixture mirror),
1,203 accepted papers (more than one page), rejected/withdrawn/desk-rejected ones, and authors whose profiles
exercise every history case."""

from __future__ import annotations

from fake_openreview import entry, note, orcid_section, profile

VENUE_ID = "NeurIPS.cc/2025/Conference"
N_ACCEPTED = 1203

# 40 people with plain histories: undergrad country cycles over ORIGINS, current job country over WORKS.
ORIGINS = ["CN", "US", "CN", "IN", "DE"]
WORKS = ["US", "US", "CN", "GB", "US"]
UNIS = {"CN": ("Tsinghua University", "tsinghua.edu.cn"), "US": ("MIT", "mit.edu"),
        "IN": ("IIT Bombay", "iitb.ac.in"), "DE": ("TU Munich", "tum.de"), "GB": ("University of Oxford", "ox.ac.uk")}


def plain_people() -> list[dict]:
    out = []
    for i in range(40):
        o, w = ORIGINS[i % 5], WORKS[i % 5]
        hist = [
            entry("Research Scientist", UNIS[w][0], UNIS[w][1], start=2023, end=None, country=w),
            entry("Undergrad student", UNIS[o][0], UNIS[o][1], start=2010, end=2014,
                  country=None if i % 7 == 0 else o),  # country often absent on old entries
            entry("PhD student", "Stanford University", "stanford.edu", start=2014, end=2019,
                  country="USA"),  # ISO3 in the wild
        ]
        out.append(profile(f"~Person_P{i}1", hist))
    return out


SPECIAL = [
    # out of order, two undergraduate entries (the first chronologically counts), an alias id, ISO3, unknown position
    profile("~Ana_Silva1", [
        entry("Professor", "EPFL", "epfl.ch", start=2021, end=None, country="CH"),
        entry("Undergrad student", "ETH Zurich", "ethz.ch", start=2012, end=2012, country="CH"),
        entry("Wizard of Machine Learning", "Acme Labs", "acme.example", start=2019, end=2020, country="FR"),
        entry("MS student", "EPFL", "epfl.ch", start=2014, end=2016, country="CHE"),
        entry("Undergrad student", "Universidade de Sao Paulo", "usp.br", start=2009, end=2013, country="BR"),
    ], names=["~Ana_Silva1", "~Ana_Silva2"]),
    # history hidden: counted as a profile without history
    profile("~Raj_Kumar1", []),
    # malformed history: quarantined by field, the profile still counts
    {"id": "~Bad_History1", "content": {"names": [{"fullname": "Bad History", "username": "~Bad_History1"}],
                                        "history": "PhD student at somewhere"}, "tmdate": 1},
    # bad years and an unknown country code
    profile("~Odd_Years1", [entry("PhD student", "Kyoto University", "kyoto-u.ac.jp", start="20x1", end=2020,
                                  country="JPN"),
                            entry("Postdoc", "RIKEN", "riken.jp", start=2021, end=2019, country="ZZ")]),
]
ANA_ORCID = "0000-0002-1825-0097"


def notes() -> list[dict]:
    people = [f"~Person_P{i}1" for i in range(40)]
    out = []
    for k in range(N_ACCEPTED):
        a, b = people[k % 40], people[(k * 7 + 3) % 40]
        ids = [a, b] if a != b else [a]
        label = "NeurIPS 2025 oral" if k < 30 else "NeurIPS 2025 spotlight" if k < 130 else "NeurIPS 2025 poster"
        if k == 5:  # the alias id: mapped to its profile
            ids, label = ids + ["~Ana_Silva2", "someone@example.org"], "NeurIPS 2025 oral"
        if k == 6:
            ids = ids + ["~Raj_Kumar1", "~Bad_History1", "~Odd_Years1", "~No_Profile1"]
        names = [i.strip("~").rstrip("0123456789").replace("_", " ") if i.startswith("~") else "Some One"
                 for i in ids]
        out.append(note(f"n{k:05d}", VENUE_ID, label, names, ids, title=f"Paper {k}"))
    for k, suffix in enumerate(["Rejected_Submission"] * 20 + ["Withdrawn_Submission"] * 5
                               + ["Desk_Rejected_Submission"] * 2):
        out.append(note(f"r{k:05d}", f"{VENUE_ID}/{suffix}", "Submitted to NeurIPS 2025", ["Person P1"],
                        ["~Person_P11"], title=f"Rejected {k}"))
    return out


def profiles() -> list[dict]:
    return plain_people() + SPECIAL


def orcid_records() -> dict:
    return {ANA_ORCID: {
        "educations": orcid_section("education", [("BSc", "Universidade de Sao Paulo", "BR", 2009, 2013),
                                                  ("Ph.D.", "EPFL", "CH", 2016, 2020)]),
        "employments": orcid_section("employment", [("Professor", "EPFL", "CH", 2021, None)])}}
