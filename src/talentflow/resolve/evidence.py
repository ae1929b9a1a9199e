"""Evidence beyond one string: what other observations of the mirror say about an affiliation the cascade left
without a country.

An *observation* is a string that names a place in a comma part of its own ('Acme Robotics, Zurich'), or a
career-history entry with a stated country. Its *key* is the string without those place parts and without unit
parts ('Department of …'), normalised ('acme robotics'); its *org domain* is the e-mail domain cut to the organisation level (cs.acme.ai → acme.ai).
From the observations, SQL builds two lookup tables:

- `resolve_evidence(kind, value, country, n_countries, n_strings, countries)` — for every key and org domain the
  observations name: the country when they all agree, NULL when they disagree (then nobody gets an answer from
  it). A domain counts only observations whose string named no registry institution of its own (a Stanford
  author writing from an acme.ai address says nothing about where Acme is).
- `resolve_person_evidence(affiliation_raw, domain_raw, country, n_persons, n_persons_with_evidence, kind)` — per
  unanswered pair: the same people's other observations of the same institution (same key or org domain): their
  career-history entries with a country (`profile`) and their other authorships whose strings carry a place
  (`papers`).

The rule (one implementation, `answer`, used by the build and by `talentflow resolve`/`eval resolve`): a pair the
cascade answered nothing for, whose string has no registry name in any comma window and whose domain no registry
owns (the cascade abstained there on purpose: `Northeastern University`, `gsk.com`), takes the country all its
evidence agrees on — person, key, org domain and the ccTLD each vote; any two that differ, or a value whose own
observations disagree, and the pair stays unanswered (`unresolved:evidence-disagrees`). Exception: a pair used by
one person only takes that person's own evidence even when other people's strings disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import clean_domain, clean_text, comma_parts, dedupe_repeats, norm_name, paren_split, split_multi
from .rules import _FIELD_WORDS, NO_SIGNAL_DOMAINS, PUBLIC_SECOND, _UNIT_NORM, _residue, code_country

# Confidence of each kind of evidence (an exact registry name is 0.93, a place in the string 0.8, a ccTLD 0.7).
EVIDENCE_CONF = {"person-profile": 0.85, "person-papers": 0.8, "consensus": 0.75, "consensus-single": 0.65}
CCTLD_BONUS = 0.05

# Words that may stand next to a place name in a place-only comma part: 'CA 94301', 'Haidian District'.
_PLACE_FILLER = frozenset("""district city province prefecture county state region ku shi gu si dong cedex p r pr
sar metropolitan area greater""".split())
_US_STATES = frozenset("""al ak az ar ca co ct de fl ga hi id il in ia ks ky la me md ma mi mn ms mo mt ne nv nh nj
nm ny nc nd oh ok or pa ri sc sd tn tx ut vt va wa wv wi wy dc on qc bc ab""".split())
# Keys that are no institution: whoever writes them, they name nothing in particular.
_NO_KEY = frozenset({"independent", "independent researcher", "unknown", "none", "n a", "na", "student",
                     "researcher", "phd student", "self employed", "freelance", "freelancer", "private", "retired",
                     "home", "personal", "individual", "null"})
_PLACEISH = re.compile(r"^[\d\s]+$")


@dataclass(frozen=True)
class Query:
    """What the evidence step needs to know about one pair the cascade left unanswered."""
    affiliation_raw: str
    domain_raw: str
    key: str             # '' when the string cannot be looked up (generic, a unit, a registry name)
    org_domain: str      # '' when the domain cannot be looked up (free mail, a registry domain)
    hints: frozenset     # countries the string's places name (several, or none)
    cctld: str | None    # the country of the domain's ccTLD, when the cascade would fall back to it


def org_domain(dom: str) -> str:
    """cs.acme.ai → acme.ai, lab.ox.ac.uk → ox.ac.uk; '' for free mail, hosting, a bare registry suffix."""
    d = clean_domain(dom)
    if not d:
        return ""
    labels = d.split(".")
    keep = 3 if len(labels) >= 3 and labels[-2] in PUBLIC_SECOND else 2
    out = ".".join(labels[-keep:])
    if out.split(".")[0] in PUBLIC_SECOND or out in NO_SIGNAL_DOMAINS:
        return ""  # 'edu.com' (a cut-off domain), 'ac.uk'
    return out


def _place_part(norm: str, places: dict, first: dict) -> set[str] | None:
    """Countries of a comma part made only of place names (plus postcodes, state codes, 'District'), else None."""
    words = norm.split()
    found: set[str] = set()
    i = 0
    while i < len(words):
        for n in first.get(words[i], ()):
            g = " ".join(words[i:i + n])
            if i + n <= len(words) and g in places and places[g]:
                found.add(places[g])
                i += n
                break
        else:
            w = words[i]
            if not (w.isdigit() or w in _PLACE_FILLER or w in _US_STATES):
                return None
            i += 1
    found.discard("")
    return found if found else None


def key_and_places(resolver, aff: str) -> tuple[str, set[str]]:
    """(key, countries named by its place-only comma parts) of the first institution of a string."""
    a = clean_text(aff)
    return _key_and_places(resolver, split_multi(a)[0]) if a else ("", set())


def _key_and_places(resolver, first: str) -> tuple[str, set[str]]:
    base, inner = paren_split(dedupe_repeats(first))
    keep: list[str] = []
    ccs: set[str] = set()
    parts = comma_parts(base)
    for p, is_inner in [(p, False) for p in parts] + [(p, True) for p in inner]:
        n = norm_name(p)
        if not n:
            continue
        pc = _place_part(n, resolver.places, resolver._place_first) if not _PLACEISH.match(n) else set()
        if pc is None and code_country(p) and len(parts) >= 3:
            pc = {code_country(p)}  # 'JP', 'OK' as a comma part of its own, after a name and a city
        if pc is not None:
            ccs |= pc  # a place part ('Zurich', 'CA 94301', '(Shenzhen)'); postcodes alone add nothing
        elif not is_inner and not n.startswith(_UNIT_NORM):
            keep.append(n)  # a unit ('Department of Cybernetics') is not the institution: left out of the key
    return " ".join(keep), ccs


_UNIT_WORDS = frozenset("""department dept departments lab labs laboratory laboratories school faculty division
center centre program programme group unit thrust graduate key state""".split())


def usable_key(resolver, key: str) -> bool:
    """A key that can name one institution: a distinctive word (not only generic, field and unit words:
    'computer science and engineering department' is everywhere), not a unit ('department of …'), not a
    non-affiliation ('independent researcher')."""
    if (len(key) < 4 or key in _NO_KEY or key.startswith(_UNIT_NORM + ("independent", "unaffiliated"))
            or key.replace(" ", "").isdigit()):
        return False
    return any(w not in _FIELD_WORDS and w not in _UNIT_WORDS and not w.isdigit() for w in _residue(key).split())


def observe(resolver, aff: str, dom: str, string_named_institution: bool,
            stated: bool = False) -> tuple[str, str, str | None]:
    """(key, org domain, country) of one pair as an observation; country None when its string names no single
    country through its place parts. The org domain is kept only when the string named no registry institution.
    `stated`: the country comes from elsewhere (a profile's field), so the key is wanted even without a place."""
    a = clean_text(aff)
    first = split_multi(a)[0] if a else ""
    if not stated and not (first and (resolver.hints(norm_name(first))
                                      or code_country(comma_parts(first)[-1] if first.count(",") >= 2 else ""))):
        return "", "", None  # no place anywhere in the string: no observation (the common case, kept cheap)
    key, ccs = _key_and_places(resolver, first) if first else ("", set())
    cc = next(iter(ccs)) if len(ccs) == 1 else None
    od = "" if string_named_institution else org_domain(dom)
    return (key if usable_key(resolver, key) else ""), od, cc


def registry_knows(resolver, part: str) -> bool:
    """Some comma window of the string is a registry name (not merely a registry acronym, which the cascade
    skips unless the domain confirms it): the cascade had candidates and abstained on purpose."""
    names = resolver.names
    return any(v in names and any(not s.endswith("acronym") for _, s in names[v])
               for v, _, _ in resolver.name_variants(part))


def query(resolver, aff_raw: str, dom_raw: str, part: str, dom: str, dstatus: str, hints: set[str],
          cctld: str | None) -> Query | None:
    """The evidence query of a pair the cascade left without an institution; None when evidence may not speak
    (the registries know a name in the string or own the domain: the cascade abstained on purpose)."""
    if dstatus in ("ambiguous", "multinational"):
        return None
    key = ""
    if part:
        if registry_knows(resolver, part):
            return None
        key, own = key_and_places(resolver, part)
        if own:
            return None  # its own place parts (which the cascade found contradicted) make it an observation
        key = key if usable_key(resolver, key) else ""
    od = org_domain(dom) if dom and dstatus == "unknown" else ""
    if od and od in resolver.domains:
        od = ""
    if not key and not od and (aff_raw, dom_raw) not in resolver.ev_person:
        return None
    return Query(aff_raw, dom_raw, key, od, frozenset(hints), cctld)


@dataclass(frozen=True)
class Answer:
    country: str | None   # None: the evidence disagrees → no answer
    reason: str
    confidence: float
    note: str


def answer(resolver, q: Query) -> Answer | None:
    """The country the evidence of `q` agrees on (see the module doc); None when there is no evidence at all."""
    votes: list[tuple[str, str | None, int]] = []
    pe = resolver.ev_person.get((q.affiliation_raw, q.domain_raw))
    if pe:
        cc, n_persons, n_with, kind = pe
        if cc and n_persons == 1 and (not q.hints or cc in q.hints):
            return Answer(cc, f"evidence:person-{kind}", EVIDENCE_CONF[f"person-{kind}"],
                          f"the pair's only author places this institution in {cc} ({kind})")
        votes.append((f"person-{kind}", cc, n_with))
    for kind, value, table in (("key", q.key, resolver.ev_key), ("domain", q.org_domain, resolver.ev_domain)):
        if value and value in table:
            cc, n = table[value]
            votes.append((kind, cc, n))
    if not votes:
        return None
    ccs = {cc for _, cc, _ in votes}
    kinds = "+".join(k for k, _, _ in votes)
    if None in ccs or len(ccs) > 1:
        said = ", ".join(f"{k}={c or 'several'}" for k, c, _ in votes)
        return Answer(None, "unresolved:evidence-disagrees", 0.0, f"evidence disagrees: {said}")
    cc = next(iter(ccs))
    if q.cctld and q.cctld != cc:
        return Answer(None, "unresolved:evidence-disagrees", 0.0, f"evidence {cc} ({kinds}) but ccTLD {q.cctld}")
    if q.hints and cc not in q.hints:
        return Answer(None, "unresolved:evidence-disagrees", 0.0,
                      f"evidence {cc} ({kinds}) not among the string's places {sorted(q.hints)}")
    person = [k for k, _, _ in votes if k.startswith("person-")]
    if person:
        conf = EVIDENCE_CONF[person[0]]
    else:
        strong = len(votes) > 1 or sum(n for _, _, n in votes) > 1
        conf = EVIDENCE_CONF["consensus" if strong else "consensus-single"]
    if q.cctld == cc:
        conf += CCTLD_BONUS
    support = ", ".join(f"{k}: {n} string{'s' * (n != 1)}" for k, _, n in votes)
    return Answer(cc, f"evidence:{kinds}", round(conf, 3), f"other observations agree on {cc} ({support})")


# ------------------------------------------------------------------------------------------------- SQL side
OBS_COLUMNS = ["src", "affiliation_raw", "domain_raw", "person_id", "key", "org_domain", "country"]
QUERY_COLUMNS = ["affiliation_raw", "domain_raw", "key", "org_domain"]


def build_tables(engine, obs: list[tuple], queries: list[Query]) -> dict:
    """`resolve_evidence` and `resolve_person_evidence` from the observations (`OBS_COLUMNS` rows: src 'pair',
    'paper' or 'profile') and the unanswered pairs' queries."""
    import pyarrow as pa

    engine.register_arrow("_ev_obs", pa.table({c: pa.array([o[i] for o in obs], pa.string())
                                               for i, c in enumerate(OBS_COLUMNS)}))
    engine.register_arrow("_ev_q", pa.table({c: pa.array([getattr(q, c) for q in queries], pa.string())
                                             for c in QUERY_COLUMNS}))
    engine.execute("""CREATE OR REPLACE TABLE resolve_evidence AS
        WITH o AS (SELECT 'key' AS kind, key AS value, country, affiliation_raw AS s FROM _ev_obs
                   WHERE key <> '' AND country IS NOT NULL
                   UNION ALL
                   SELECT 'domain', org_domain, country, affiliation_raw || '|' || domain_raw FROM _ev_obs
                   WHERE org_domain <> '' AND country IS NOT NULL)
        SELECT kind, value, CASE WHEN count(DISTINCT country) = 1 THEN min(country) END AS country,
               count(DISTINCT country)::INTEGER AS n_countries, count(DISTINCT s)::INTEGER AS n_strings,
               string_agg(DISTINCT country, ',' ORDER BY country) AS countries
        FROM o GROUP BY kind, value ORDER BY kind, value""")
    has_profiles = engine.table_exists("profile_aliases")
    alias = ("LEFT JOIN profile_aliases al ON al.username = {col}" if has_profiles else "")
    pid = "coalesce(al.profile_id, {col})" if has_profiles else "{col}"
    engine.execute(f"""CREATE OR REPLACE TABLE resolve_person_evidence AS
        WITH auth AS (SELECT DISTINCT {pid.format(col='a.person_id')} AS person,
                             coalesce(a.affiliation_raw, '') AS a, coalesce(a.domain_raw, '') AS d
                      FROM authorships a {alias.format(col='a.person_id')} WHERE a.person_id IS NOT NULL),
        q AS (SELECT DISTINCT q.affiliation_raw AS a, q.domain_raw AS d, q.key, q.org_domain, auth.person
              FROM _ev_q q JOIN auth ON auth.a = q.affiliation_raw AND auth.d = q.domain_raw),
        po AS (SELECT auth.person, o.key, o.org_domain, o.country, 'papers' AS kind
               FROM _ev_obs o JOIN auth ON auth.a = o.affiliation_raw AND auth.d = o.domain_raw
               WHERE o.src = 'pair' AND o.country IS NOT NULL
               UNION ALL
               SELECT {pid.format(col='o.person_id')}, o.key, o.org_domain, o.country, 'profile'
               FROM _ev_obs o {alias.format(col='o.person_id')} WHERE o.src = 'profile' AND o.country IS NOT NULL),
        m AS (SELECT q.a, q.d, q.person, po.country, po.kind FROM q JOIN po ON po.person = q.person
              AND ((q.key <> '' AND po.key = q.key) OR (q.org_domain <> '' AND po.org_domain = q.org_domain))),
        np AS (SELECT a, d, count(DISTINCT person)::INTEGER AS n FROM q GROUP BY ALL)
        SELECT m.a AS affiliation_raw, m.d AS domain_raw,
               CASE WHEN count(DISTINCT m.country) = 1 THEN min(m.country) END AS country,
               min(np.n) AS n_persons, count(DISTINCT m.person)::INTEGER AS n_persons_with_evidence,
               CASE WHEN bool_or(m.kind = 'profile') THEN 'profile' ELSE 'papers' END AS kind
        FROM m JOIN np USING (a, d) GROUP BY m.a, m.d ORDER BY 1, 2""")
    return {"evidence_values": engine.scalar("SELECT count(*) FROM resolve_evidence"),
            "evidence_values_disagreeing": engine.scalar(
                "SELECT count(*) FROM resolve_evidence WHERE country IS NULL"),
            "person_evidence_pairs": engine.scalar("SELECT count(*) FROM resolve_person_evidence")}


def load(resolver, engine) -> bool:
    """Put a built database's evidence tables into `resolver` (False when the database has none)."""
    if not engine.table_exists("resolve_evidence"):
        return False
    key, dom = {}, {}
    for kind, value, cc, n in engine.query(
            "SELECT kind, value, country, n_strings FROM resolve_evidence ORDER BY kind, value"):
        (key if kind == "key" else dom)[value] = (cc, n)
    person = {}
    if engine.table_exists("resolve_person_evidence"):
        for a, d, cc, n, nw, kind in engine.query(
                "SELECT affiliation_raw, domain_raw, country, n_persons, n_persons_with_evidence, kind "
                "FROM resolve_person_evidence ORDER BY 1, 2"):
            person[(a, d)] = (cc, n, nw, kind)
    resolver.ev_key, resolver.ev_domain, resolver.ev_person = key, dom, person
    return True


def load_built(resolver, settings) -> str | None:
    """Evidence from the built database of `settings`, when there is one with the tables; its path or None."""
    from ..engine import connect

    path = getattr(settings, "db_path", None)
    if not path or not path.exists():
        return None
    with connect(settings, path, read_only=True) as eng:
        return str(path) if load(resolver, eng) else None
