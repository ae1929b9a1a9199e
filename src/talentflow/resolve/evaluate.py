"""Measured accuracy of the resolver on the hand-labelled set, and agreement with peers' answers.

Scoring (country_location is the headline; HQ and sector reported beside it):
- a row is *correct* when the predicted country equals the label, a blank label with a blank prediction included;
- *precision when answering*: among rows where a country was given, the share that is right;
- *coverage*: share of rows given a country;
- *distinct* weights rows equally, *authorship-weighted* by n_authorships, *long tail* is the longtail stratum.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

LABEL_COLUMNS = ["affiliation", "domain", "stratum", "n_authorships", "institution", "country_location",
                 "country_hq", "sector", "notes"]


@dataclass
class Label:
    affiliation: str
    domain: str
    stratum: str
    n: int
    institution: str
    country_location: str
    country_hq: str
    sector: str
    notes: str


def read_labels(path: Path) -> list[Label]:
    if not path.is_file():
        raise InputError(str(path), "label file not found")
    out = []
    with path.open(encoding="utf-8-sig", newline="") as f:  # -sig: a byte-order mark is not part of the header
        rd = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = set(LABEL_COLUMNS) - set(rd.fieldnames or [])
        if missing:
            raise InputError(str(path), f"missing columns {sorted(missing)}", record="1")
        for i, r in enumerate(rd, start=2):
            try:
                n = int(r["n_authorships"] or 1)
            except ValueError:
                raise InputError(str(path), "n_authorships is not an integer", str(i), "n_authorships") from None
            out.append(Label(r["affiliation"] or "", r["domain"] or "", r["stratum"], n, r["institution"] or "",
                             r["country_location"] or "", r["country_hq"] or "", r["sector"] or "", r["notes"] or ""))
    return out


def _fold(c: str | None, fold: bool) -> str:
    c = c or ""
    return "CN" if fold and c in ("HK", "MO", "TW") else c


def score(resolver, labels: list[Label], fold_greater_china: bool = False) -> dict:
    """Metrics per field and subset, plus the list of errors."""
    rows = []
    for lb in labels:
        r = resolver.resolve(lb.affiliation, lb.domain)
        rows.append((lb, r))
    out: dict = {"n": len(rows), "metrics": {}, "errors": []}
    for fld in ("country_location", "country_hq", "sector"):
        for subset in ("all", "frequent", "longtail"):
            sel = [(lb, r) for lb, r in rows if subset == "all" or lb.stratum == subset]
            if not sel:
                continue
            m = {}
            for wname, wf in (("distinct", lambda lb: 1), ("weighted", lambda lb: lb.n)):
                tot = ok = ans = ans_ok = 0.0
                for lb, r in sel:
                    w = wf(lb)
                    pred = _fold(getattr(r, fld), fold_greater_china) if fld != "sector" else (r.sector or "")
                    gold = _fold(getattr(lb, fld), fold_greater_china) if fld != "sector" else lb.sector
                    if fld == "sector" and pred in ("unknown", "other"):
                        pred = ""
                    tot += w
                    ok += w * (pred == gold)
                    if pred:
                        ans += w
                        ans_ok += w * (pred == gold)
                m[wname] = {"accuracy": ok / tot, "precision": ans_ok / ans if ans else 1.0, "coverage": ans / tot}
            out["metrics"][f"{fld}:{subset}"] = m
    for lb, r in rows:
        bad = [f for f in ("country_location", "country_hq")
               if _fold(getattr(r, f), fold_greater_china) != _fold(getattr(lb, f), fold_greater_china)]
        sector_bad = lb.sector and (r.sector or "") != lb.sector and r.sector not in ("unknown",)
        if bad or sector_bad:
            out["errors"].append({
                "affiliation": lb.affiliation, "domain": lb.domain, "stratum": lb.stratum, "n": lb.n,
                "fields": ",".join(bad + (["sector"] if sector_bad else [])),
                "gold": f"{lb.country_location}/{lb.country_hq}/{lb.sector}",
                "pred": f"{r.country_location or ''}/{r.country_hq or ''}/{r.sector or ''}",
                # a blank label and no answer agree: such a row with only a sector error is not 'wrong'
                "kind": "abstained" if not r.country_location and lb.country_location else
                        ("wrong" if (r.country_location or "") != lb.country_location else "hq/sector"),
                "institution": r.institution or "", "gold_institution": lb.institution, "reason": r.reason})
    out["errors"].sort(key=lambda e: (e["kind"] != "wrong", -e["n"]))
    return out


HEADLINE = (("accuracy, location (distinct)", "country_location:all", "distinct", "accuracy"),
            ("accuracy, location (authorship-weighted)", "country_location:all", "weighted", "accuracy"),
            ("accuracy, location (long tail)", "country_location:longtail", "distinct", "accuracy"),
            ("precision when answering", "country_location:all", "distinct", "precision"),
            ("answered (a location given)", "country_location:all", "distinct", "coverage"),
            ("accuracy, HQ (distinct)", "country_hq:all", "distinct", "accuracy"),
            ("accuracy, sector (distinct)", "sector:all", "distinct", "accuracy"))


def headline(scored: dict) -> dict[str, float]:
    """The numbers the docs quote, from one `score` result."""
    m = scored["metrics"]
    return {name: m[key][w][k] for name, key, w, k in HEADLINE if key in m}


def side_by_side(sets: dict[str, dict]) -> list[dict]:
    """Rows metric × set (name → `score` result), for sets that must be reported next to each other, never
    merged (the tuned-on labels and the blind set)."""
    heads = {name: headline(sc) for name, sc in sets.items()}
    return [{"metric": name, **{f"{s} (n={sets[s]['n']})": f"{heads[s][name]:.2%}" if name in heads[s] else ""
                                for s in sets}}
            for name, *_ in HEADLINE]


def _peer_file(data_dir: Path, fname: str) -> Path | None:
    """A peer's file under peers/, verified against the catalog like every input (None when absent)."""
    from ..sources.catalog import load_catalog
    from ..sources.verify import verify_inputs

    rel = f"peers/{fname}"
    ds = [d for d in load_catalog() if d.path == rel]
    if not ds:
        raise InputError(str(data_dir / rel), "not in the dataset catalog, so it cannot be verified")
    (c,) = verify_inputs(ds, data_dir)
    return None if c.status == "missing" else c.path


def peer_agreement(resolver, data_dir: Path, limit: int | None = None) -> dict:
    """Agreement with Paper Copilot's per-string and per-domain countries (its most frequent answer) and with
    Lossfunk's (affiliation, domain) countries, unweighted over the peer's distinct keys.

    Disagreement categories: `greater-china` (the peer folds HK/MO/TW into CN), `location-vs-hq` (the peer gives
    the HQ where we give the lab's location, or the reverse), `we-abstain`, `peer-blank`, `other`."""
    import gzip
    import json

    res: dict = {}
    for key, fname, col in (("papercopilot_aff", "peer_aff_country.tsv.gz", "aff"),
                            ("papercopilot_domain", "peer_domain_country.tsv.gz", "aff_domain")):
        path = _peer_file(data_dir, fname)
        if path is None:
            continue
        items = []
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                try:
                    counts = json.loads(r.get("country_counts") or "{}")
                except json.JSONDecodeError:
                    counts = {}
                top = max(counts.items(), key=lambda kv: kv[1])[0] if counts else ""
                v = (r.get(col) or "").strip().strip('"')
                items.append((v, "", top) if col == "aff" else ("", v, top))
                if limit and len(items) >= limit:
                    break
        res[key] = _agree(resolver, items)
    lf = _peer_file(data_dir, "lossfunk_affiliation_domain_country.csv.gz")
    if lf is not None:
        items = []
        with gzip.open(lf, "rt", encoding="utf-8") as f:
            for r in csv.DictReader(f):
                cc = (r.get("Affiliation Country") or "").strip().upper()
                cc = {"UK": "GB", "UNK": ""}.get(cc, cc)
                items.append((r.get("Affiliation Name") or "", r.get("Affiliation Domain") or "", cc))
                if limit and len(items) >= limit:
                    break
        # Lossfunk's table is also the resolver's last fallback (peers.py): pairs it supplied agree by construction
        res["lossfunk"] = _agree(resolver, items, skip_reason="peer:lossfunk")
    return res


def _agree(resolver, items: list[tuple[str, str, str]], skip_reason: str | None = None) -> dict:
    import pycountry

    def code(v: str) -> str:
        if not v or len(v) == 2:
            return v.upper()
        try:
            return pycountry.countries.lookup(v).alpha_2
        except LookupError:
            return {"UK": "GB", "South Korea": "KR", "Russia": "RU", "Iran": "IR", "Taiwan": "TW",
                    "Vietnam": "VN", "Hong Kong": "HK", "Macau": "MO", "Macao": "MO"}.get(v, "")

    cats: dict[str, int] = {}
    examples: dict[str, list] = {}
    n = agree = supplied = 0
    for aff, dom, peer in items:
        peer = code(peer)
        r = resolver.resolve(aff, dom)
        if skip_reason and r.reason == skip_reason:
            supplied += 1  # our answer is the peer's own: not counted either way
            continue
        ours = r.country_location or ""
        n += 1
        if ours == peer:
            agree += 1
            continue
        if not ours and r.reason == "unresolved:free-mail":
            cat = "free-mail"  # the peer guesses a country from a webmail domain (163.com → CN); we do not
        elif not ours:
            cat = "we-abstain"
        elif not peer:
            cat = "peer-blank"
        elif peer == "CN" and ours in ("HK", "MO", "TW"):
            cat = "greater-china"
        elif r.country_hq == peer:
            cat = "location-vs-hq"
        else:
            cat = "other"
        cats[cat] = cats.get(cat, 0) + 1
        examples.setdefault(cat, [])
        if len(examples[cat]) < 15:
            examples[cat].append({"affiliation": aff, "domain": dom, "peer": peer, "ours": ours,
                                  "institution": r.institution, "reason": r.reason})
    return {"n": n, "agree": agree, "rate": agree / n if n else 0.0, "categories": cats, "examples": examples,
            "supplied_by_peer": supplied}


def _peer_aff_items(data_dir: Path) -> list[tuple[str, str]]:
    import gzip
    import json

    path = _peer_file(data_dir, "peer_aff_country.tsv.gz")
    if path is None:
        return []
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            try:
                c = json.loads(r.get("country_counts") or "{}")
            except json.JSONDecodeError:
                continue
            if c:
                out.append(((r.get("aff") or "").strip().strip('"'), max(c.items(), key=lambda kv: kv[1])[0]))
    return out


def fuzzy_sweep(resolver, labels: list[Label], thresholds=(80, 85, 88, 90, 92, 95, 100),
                data_dir: Path | None = None) -> list[dict]:
    """Location accuracy/precision/coverage on the labels for several fuzzy thresholds (how the default was set);
    with `data_dir`, also how many of Paper Copilot's strings are answered by the fuzzy step and how many of
    those answers disagree with it (greater-China convention excluded) — the labels hold too few fuzzy cases to
    set a threshold alone."""
    keep = resolver.fuzzy_threshold
    rows = []
    peer = _peer_aff_items(data_dir) if data_dir else []
    try:
        for th in thresholds:
            resolver.fuzzy_threshold = float(th)
            resolver._part_cache.clear()
            m = score(resolver, labels)["metrics"]
            a, lt = m["country_location:all"]["distinct"], m["country_location:longtail"]["distinct"]
            row = {"threshold": th, "accuracy": round(a["accuracy"], 4), "precision": round(a["precision"], 4),
                   "coverage": round(a["coverage"], 4), "longtail_accuracy": round(lt["accuracy"], 4)}
            if peer:
                fz = dis = 0
                for aff, pc in peer:
                    r = resolver.resolve(aff, "")
                    if r.reason.startswith("fuzzy") and r.country_location:
                        fz += 1
                        dis += (pc not in ("", "Unknown") and r.country_location != pc
                                and not (pc == "CN" and r.country_location in ("HK", "MO", "TW")))
                row.update(peer_fuzzy_answers=fz, peer_fuzzy_disagree=dis)
            rows.append(row)
    finally:
        resolver.fuzzy_threshold = keep
        resolver._part_cache.clear()
    return rows


def peer_author_agreement(engine) -> dict:
    """Agreement with Lossfunk's per-author countries (table `peer_author_country`, from the ingest stage) in a
    built database: our country for a (person, venue, year) is the most frequent resolved location of that
    person's authorships there. Same disagreement categories as `peer_agreement`."""
    if not (engine.table_exists("peer_author_country") and engine.table_exists("affiliation_resolutions")):
        return {}
    rows = engine.query("""
        WITH ours AS (
            SELECT a.venue, a.year, a.person_id, r.country_location AS loc, r.country_hq AS hq,
                   r.location_basis = 'hq-default' AS hqd, count(*) AS n
            FROM authorships a JOIN affiliation_resolutions r
              ON r.affiliation_raw = coalesce(a.affiliation_raw, '') AND r.domain_raw = coalesce(a.domain_raw, '')
            -- answers Lossfunk's own table supplied (peers.py) would agree with Lossfunk by construction
            WHERE a.person_id IS NOT NULL AND r.reason IS DISTINCT FROM 'peer:lossfunk' GROUP BY ALL),
        -- the most frequent answer; equally frequent ones by a total order (loc and hqd from the same row)
        best AS (SELECT venue, year, person_id,
                        arg_max(loc, {n: n, l: loc, h: hq, d: hqd}) FILTER (WHERE loc IS NOT NULL) AS loc,
                        arg_max(hq, {n: n, h: hq, l: loc, d: hqd}) FILTER (WHERE hq IS NOT NULL) AS hq,
                        arg_max(hqd, {n: n, l: loc, h: hq, d: hqd}) FILTER (WHERE loc IS NOT NULL) AS hqd,
                        true AS seen
                 FROM ours GROUP BY ALL)
        SELECT p.venue, p.year, upper(coalesce(p.country, '')), b.loc, b.hq, b.hqd, coalesce(b.seen, false)
        FROM peer_author_country p LEFT JOIN best b USING (venue, year, person_id)""")
    cats: dict[str, int] = {}
    n = agree = 0
    for venue, year, peer, loc, hq, hqd, seen in rows:
        peer = {"UK": "GB", "UNK": ""}.get(peer, peer)
        n += 1
        if (loc or "") == peer:
            agree += 1
            continue
        cat = ("no-authorship-with-this-id" if not seen else "we-abstain" if not loc else
               "peer-blank" if not peer else
               "greater-china" if peer == "CN" and loc in ("HK", "MO", "TW") else
               "location-vs-hq" if hq == peer else
               "multinational-at-hq" if hqd else "other")
        cats[cat] = cats.get(cat, 0) + 1
    return {"n": n, "agree": agree, "rate": agree / n if n else 0.0, "categories": cats}
