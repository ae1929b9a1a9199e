"""The resolver cascade: one (affiliation string, domain) pair → institution, countries, sector, confidence, reason.

Steps, in order, each recorded in the trace and the winner's reason:
  1. clean        control characters, whitespace, 512-char cut; domain syntax check
  2. free-mail    webmail domains carry no institution (gmail.com, qq.com, 163.com …)
  3. domain       exact domain, then walking up (mails.tsinghua.edu.cn → tsinghua.edu.cn), never to a public
                  suffix (edu.cn, ac.uk); truncated Chinese .edu domains (sjtu.edu) tried as .edu.cn
  4. split        multi-institution strings (A+B, A / B, A; B) → parts, primary = first resolved part
  5. name         normalised exact match of the whole part, its repeated-phrase-free form, the text outside
                  parentheses and each comma part (departments skipped); curated names first
  6. contains     curated identifying word sequences anywhere in the string (deepmind, tencent …), longest first
  7. fuzzy        rapidfuzz ratio against registry names sharing a rare token, threshold FUZZY_THRESHOLD
  8. location     place names in the string set the location of multi-site organisations and break ties
                  between same-name institutions in different countries
  9. combine      explicit rules when string and domain disagree (see `_combine`)
 10. place-only   no institution, but the string names one country
 11. evidence     other observations of the mirror agree on a country (evidence.py): the same key or org domain
                  in strings that name a place, the same people's career histories; disagreement → no answer
 12. cctld        country-code TLD as a last resort (never .edu/.com/.org/.ai/.io …)
 13. peer         Lossfunk's affiliation → country table, low confidence (peers.py)
A wrong country is worse than none: ambiguous evidence abstains.
"""

from __future__ import annotations

from dataclasses import replace

from . import peers, sector
from .curated import tld_country
from .fallbacks import CountryOnly
from .model import Hit, Inst, Resolution
from .normalize import (clean_domain, clean_text, comma_parts, dedupe_repeats, email_in, norm_name,
                        paren_split, parent_domains, split_multi)
from .rules import (BAD_HINTS, FUZZY_THRESHOLD, NATIONAL_WEBMAIL, NO_SIGNAL_DOMAINS, PUBLIC_SECOND,
                    RESIDUE_THRESHOLD, SOURCE_RANK, _AND_SPLIT, _CONNECTORS, _CORP_WORDS,
                    _LEGAL_TAIL, _REGION_FIRST, _REGION_TABLE, _STRONG, _TYPE_RANK, _UNIT_NORM, _and_segments, _first_index,
                    _ngrams, _residue)
from .variants import leading_acronym, norm_rewrites, raw_rewrites


class Resolver(CountryOnly):
    """Holds the registry lookups in memory (built once from the registry tables) and resolves pairs."""

    def __init__(self, insts: dict[str, Inst], domains: dict[str, list[tuple[str, str]]],
                 names: dict[str, list[tuple[str, str]]], free_mail: set[str], places: dict[str, str],
                 contains: list[tuple[str, str]], fuzzy_threshold: float = FUZZY_THRESHOLD):
        self.insts, self.domains, self.names, self.free = insts, domains, names, free_mail
        self.fuzzy_threshold = fuzzy_threshold
        self.places = {k: v for k, v in places.items() if k and k not in BAD_HINTS}
        pl = sorted(self.places, key=len, reverse=True)
        self._place_re = bool(pl)
        self._place_first = _first_index(pl)
        cs = sorted(contains, key=lambda t: len(t[0]), reverse=True)
        self._contains = dict(cs)
        self._contains_re = bool(cs)
        self._contains_first = _first_index(c for c, _ in cs)
        self._children: dict[str, list[Inst]] = {}
        for i in insts.values():
            if i.parent:
                self._children.setdefault(i.parent, []).append(i)
        self._fuzzy_index = None
        self._sorted_names: list[str] | None = None  # for prefix look-ups (variants.py word-order swaps)
        self._hint_cache: dict[str, frozenset] = {}
        # batch mode memoises per-part and per-domain work (distinct pairs share strings and domains); the
        # explain mode keeps it off so every step is traced
        self.memo = False
        self._part_cache: dict = {}
        self._dom_cache: dict = {}
        # evidence from a built database (evidence.load): key / org domain → (country or None, n strings),
        # (affiliation_raw, domain_raw) → (country or None, n persons, n persons with evidence, kind)
        self.ev_key: dict = {}
        self.ev_domain: dict = {}
        self.ev_person: dict = {}
        self.evidence_db: str | None = None
        self.peer: dict = {}  # peers.load: (name_norm, org_domain) → country
        # ROR companies whose ROR parent is in another country or outside the file (national subsidiaries)
        self.subsidiaries: frozenset[str] = frozenset()

    # ---------------------------------------------------------------- helpers
    def _ancestors(self, iid: str) -> list[str]:
        out, cur = [], self.insts.get(iid)
        while cur and cur.parent and cur.parent not in out:
            out.append(cur.parent)
            cur = self.insts.get(cur.parent)
        return out

    def _related(self, a: str, b: str) -> bool:
        return a == b or a in self._ancestors(b) or b in self._ancestors(a)

    def hints(self, norm: str) -> set[str]:
        """Countries named by place words in a normalised string."""
        if not self._place_re:
            return set()
        got = self._hint_cache.get(norm)
        if got is None:
            got = self._hint_cache[norm] = frozenset(
                {self.places[m] for m in _ngrams(norm, self.places, self._place_first)} - {""})
        return set(got)

    def _pick(self, cands: list[tuple[str, str]], step: str, matched: str, hint: set[str],
              trace: list[str], places: set[str] = frozenset()) -> Hit | None:
        """Best of several (institution_id, source) entries for one key: best source rank, and among its entries
        a single country — else abstain (unless location hints or a lower-ranked consensus settle it)."""
        if not cands:
            return None
        if len(cands) > 40 and not any(src == "curated" for _, src in cands):
            trace.append(f"{step}: {matched!r} names {len(cands)} registry entries — too generic → skip")
            return None
        # a total order (rank, then id): entries tied on source and type must not depend on load order
        cands = sorted(cands, key=lambda t: (SOURCE_RANK.get(t[1], 9), t[0], t[1]))
        if step.startswith("domain") and cands[0][1] != "curated":
            why = self._multinational(cands, matched)
            if why:
                trace.append(f"{step}: {matched!r} {why} → abstain")
                return None
        best_rank = SOURCE_RANK.get(cands[0][1], 9)
        top = [c for c in cands if SOURCE_RANK.get(c[1], 9) == best_rank]
        top.sort(key=lambda c: _TYPE_RANK.get(self.insts[c[0]].org_type, 9))  # a university before its museum
        if cands[0][1] == "curated":
            return Hit(self.insts[cands[0][0]], step, "curated", 100, matched)
        countries = {self.insts[i].country_hq for i, _ in top} - {None}
        if places and countries and not countries & places:
            # the string's own place names another country than the best source's records of this name: a record
            # of the same name there, from any source, is the one meant ('National Institute of Mental Health,
            # Bethesda MD' — ROR's is the Czech one, GRID's the American). Only a place written in the string:
            # a domain's country may come from swot's reading of a vanity ccTLD (uni.kn)
            there = [c for c in cands if self.insts[c[0]].country_hq in places]
            if there and len({self.insts[i].country_hq for i, _ in there}) == 1:
                rank = min(SOURCE_RANK.get(s, 9) for _, s in there)
                top = [c for c in there if SOURCE_RANK.get(c[1], 9) == rank]
                countries = {self.insts[top[0][0]].country_hq}
        if len(countries) > 1 and hint:
            narrowed = [c for c in top if self.insts[c[0]].country_hq in hint]
            if len({self.insts[i].country_hq for i, _ in narrowed}) == 1:
                top, countries = narrowed, {self.insts[narrowed[0][0]].country_hq}
        if len(countries) > 1:
            # all sources together: a clear majority of distinct institutions (≥ 80%) decides
            votes: dict[str, int] = {}
            for i, _ in cands:
                c = self.insts[i].country_hq
                if c:
                    votes[c] = votes.get(c, 0) + 1
            tot = sum(votes.values())
            c0, n0 = max(votes.items(), key=lambda kv: kv[1])
            if n0 / tot < 0.8 or tot < 3:
                trace.append(f"{step}: {matched!r} ambiguous between {sorted(countries)} → abstain")
                return None
            top = [c for c in cands if self.insts[c[0]].country_hq == c0]
        if not countries and all(self.insts[i].country_hq is None for i, _ in cands):
            # swot knows a domain's institution name but not its country: look the name up
            for i, _ in cands:
                byname = self.names.get(norm_name(self.insts[i].name), [])
                cs = {self.insts[j].country_hq for j, s in byname if j in self.insts and not s.endswith("acronym")}
                cs.discard(None)
                if len(cs) == 1:
                    j = next(j for j, s in byname if j in self.insts and self.insts[j].country_hq)
                    return Hit(self.insts[j], step, "swot", 100, matched, note="country via name")
            return Hit(self.insts[top[0][0]], step, top[0][1], 100, matched)
        for i, s in top:
            if self.insts[i].country_hq:
                return Hit(self.insts[i], step, s, 100, matched)
        return None

    # ---------------------------------------------------------------- domain
    def _multinational(self, cands: list[tuple[str, str]], dom: str) -> str | None:
        """Why a registry domain names no country, or None: company records of several countries share it (gsk.com,
        roche.com: a multinational's national subsidiaries), or only national subsidiaries own a domain under a
        TLD of no country (hpe.com → 'Hewlett-Packard (Japan)', suez.com → 'Suez (Australia)')."""
        if not cands or any(s == "curated" for _, s in cands):
            return None
        cs = {self.insts[i].country_hq for i, _ in cands} - {None}
        if len(cs) > 1 and any(self.insts[i].org_type == "company" for i, _ in cands):
            return f"belongs to company records in {sorted(cs)}"
        if all(i in self.subsidiaries for i, _ in cands) and tld_country(dom) is None:
            return f"belongs only to national subsidiaries ({', '.join(self.insts[i].name for i, _ in cands[:3])})"
        return None

    def by_domain(self, dom: str, trace: list[str]) -> tuple[Hit | None, str]:
        """→ (hit, status) where status is '', 'free-mail', 'no-signal', 'ambiguous', 'multinational' (a
        multinational's domain: no country, the string's places may still give one) or 'unknown'."""
        if not dom:
            return None, ""
        levels = parent_domains(dom)
        if dom.split(".")[0] in ("alum", "alumni", "alumnae", "alumni-mail", "alums"):
            trace.append(f"alumni: {dom} says where someone studied, not where they work")
            return None, "no-signal"
        if levels[-1] in NO_SIGNAL_DOMAINS or dom in NO_SIGNAL_DOMAINS:
            trace.append(f"no-signal: {dom} is a society or hosting address, not an employer")
            return None, "no-signal"
        if any(lv in self.free for lv in levels[:2]):
            trace.append(f"free-mail: {dom} carries no institution")
            return None, "free-mail"
        for k, lv in enumerate(levels):
            labels = lv.split(".")
            if len(labels) == 2 and labels[0] in PUBLIC_SECOND and len(labels[1]) == 2:
                break  # edu.cn, ac.uk: a registry suffix, not an institution
            if len(labels) == 2 and labels[1] == "edu" and lv + ".cn" in self.domains:
                # OpenReview cut '.cn' from some Chinese domains (sjtu.edu); several collide with US schools
                cn = self._pick(self.domains[lv + ".cn"], "domain-walk", lv + ".cn", set(), trace)
                us = self._pick(self.domains.get(lv, []), "domain-walk", lv, set(), trace)
                if cn and not us:
                    cn.note = "truncated .edu.cn"
                    return cn, ""
                if us and us.source in ("curated", "ror", "grid") and (not cn or cn.source != "curated"):
                    trace.append(f"domain: {lv} is a registered domain of {us.inst.name}; not read as {lv}.cn")
                    return us, ""
                if cn and us and cn.inst.country_hq != us.inst.country_hq:
                    trace.append(f"domain: {lv} is both {us.inst.name} ({us.inst.country_hq}) and "
                                 f"{cn.inst.name} ({cn.inst.country_hq}) — needs the string")
                    return Hit(us.inst, "domain-walk", us.source, 100, lv, note=f"or:{cn.inst.id}"), "ambiguous"
            if lv in self.domains:
                h = self._pick(self.domains[lv], "domain-exact" if k == 0 else "domain-walk", lv, set(), trace)
                if h:
                    trace.append(f"{h.step}: {lv} → {h.inst.name} [{h.source}]")
                    return h, ""
                # a multinational's domain: no country, but the string's own places may still give one
                return None, "multinational" if self._multinational(self.domains[lv], lv) else "ambiguous"
        trace.append(f"domain: {dom} not in any registry")
        return None, "unknown"

    # ---------------------------------------------------------------- names
    def _variants(self, part: str) -> list[tuple[str, int, int]]:
        """(normalised candidate name, position of its first comma part, number of comma parts) for every
        contiguous window of comma parts, the text outside parentheses and inside them."""
        base = dedupe_repeats(part)
        nop, inner = paren_split(base)
        out: list[tuple[str, int, int]] = [(base, 0, 99), (nop, 0, 98)]
        cps = comma_parts(nop)[:8]
        for size in range(min(len(cps), 4), 0, -1):
            for i in range(len(cps) - size + 1):
                out.append((", ".join(cps[i:i + size]), i, size))
        out.extend((x, 0, 0) for x in inner)
        seen, res = set(), []
        for v, pos, size in out:
            n = norm_name(v)
            # 'Xilinx Inc.', 'DENSO Corporation': the name without its legal form is a variant too
            for x in (n, _LEGAL_TAIL.sub("", n)):
                if x and len(x) >= 3 and x not in seen:
                    seen.add(x)
                    res.append((x, pos, size))
        return res

    def _prefix(self, norm: str) -> str | None:
        """Longest leading run of words that is a registry name with an institution word: 'peking university
        samsung research china' → 'peking university' (several institutions run together)."""
        words = norm.split()
        for k in range(min(len(words) - 1, 10), 1, -1):
            if words[k] in _CONNECTORS:
                continue  # 'chinese academy' + 'of sciences…': a name does not stop before a connector
            cand = " ".join(words[:k])
            if cand in self.names and _STRONG.search(cand):
                return cand
        return None

    def _suffixes(self, part: str) -> list[tuple[str, int, int]]:
        """Per comma part, the longest trailing run of ≥ 2 words that is a registry name with an institution word,
        after a unit or a connector: 'department of internal medicine of the ghent university' → 'ghent
        university', 'institute for robotics … at the georgia institute of technology', 'department of electronic
        engineering tohoku university' — never the tail of an unknown name ('xyz institute of technology')."""
        out = []
        for pos, cp in enumerate(comma_parts(paren_split(dedupe_repeats(part))[0])[:8]):
            n = norm_name(cp)
            words = n.split()
            if len(words) < 3 or n in self.names:
                continue
            unit = n.startswith(_UNIT_NORM)
            for k in range(1, len(words) - 1):
                if not (unit or words[k - 1] in ("at", "the", "of", "in")):
                    continue
                cand = " ".join(words[k:])
                # an institution word, or a name of three words or more after 'the' ('at the istituto italiano di
                # tecnologia')
                if cand in self.names and (_STRONG.search(cand) or (words[k - 1] == "the" and len(words) - k >= 3)):
                    out.append((cand, pos, -2))
                    break
        return out

    def name_variants(self, part: str) -> list[tuple[str, int, int]]:
        """(candidate name, comma position, size) of every lookup `by_name` makes: comma windows and parentheses
        (`_variants`), the leading run (size -1) and the trailing runs (size -2)."""
        variants = self._variants(part)
        base = dedupe_repeats(part)
        pre = self._prefix(norm_name(base))
        if pre:
            variants.append((pre, 0, -1))
        for pos, cp in enumerate(comma_parts(paren_split(base)[0])[1:8], start=1):
            n = norm_name(cp)
            pre = self._prefix(n) if n.count(" ") >= 2 else None  # '…, University of Washington Allen Institute'
            # three words or more with a distinctive one: not 'technical university' of '…, Technical University
            # Brandenburg'
            if pre and pre.count(" ") >= 2 and _residue(pre):
                variants.append((pre, pos, -1))
        return variants + self._suffixes(part)

    def _name_cands(self, v: str, hint: set[str]) -> list[tuple[str, str]]:
        """The registry entries of a name; a national subsidiary's short name ('BMW' of 'BMW (Germany)') only where
        the string's places name its country, and then before the other entries of that name."""
        cands = self.names.get(v, [])
        if not any(s == "ror_national" for _, s in cands):
            return cands
        nat = [c for c in cands if c[1] == "ror_national" and self.insts[c[0]].country_hq in hint]
        if nat and not any(s == "curated" for _, s in cands):  # a curated entry knows its sites (Amazon Berlin)
            return [c for c in cands if self.insts[c[0]].country_hq in hint]
        return [c for c in cands if c[1] != "ror_national"]

    def by_name(self, part: str, hint: set[str], trace: list[str], prefer: set[str] = frozenset()) -> Hit | None:
        """Every exact match of every variant, then the best: not vetoed by an explicit place in the string,
        not a department-like phrase, an institution word (or curated), earliest, longest, best source. When
        no variant is a registry name at all, the second-chance spellings of variants.py (`name-variant`)."""
        return self._best_name(self.name_variants(part), hint, trace, prefer)

    def by_second_chance(self, part: str, hint: set[str], trace: list[str], prefer: set[str]) -> Hit | None:
        """The second-chance spellings of variants.py (`name-variant`), when no variant of the part as written is
        a registry name at all (one that is, but abstained — 'Newcastle University' in two countries — is not
        respelt into another name)."""
        variants = self.name_variants(part)
        if any(v in self.names and _STRONG.search(v) for v, _, _ in variants):
            return None  # ('cambridge', 'usa' are registry names too, but of no institution the string names)
        return self._best_name(self._second_chance(part, variants), hint, trace, prefer, "name-variant")

    def _second_chance(self, part: str, variants: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
        """The lookups of variants.py: raw rewrites through the comma windows, normalised rewrites of every
        variant, and a curated acronym leading a comma part ('NYU Courant Institute') or ending it after 'at'
        ('Graduate School of AI at KAIST')."""
        raws = raw_rewrites(part)
        out = [x for r in raws for x in self.name_variants(r)]
        out += [(w, pos, size) for v, pos, size in variants + out for w in norm_rewrites(v)
                if not self._longer_name(v, w)]
        for pos, cp in ((pos, cp) for r in (part,) + raws
                        for pos, cp in enumerate(comma_parts(paren_split(dedupe_repeats(r))[0])[:8])):
            words = norm_name(cp).split()
            if leading_acronym(cp) and len(words) > 1:
                for k in range(min(len(words) - 1, 4), 0, -1):
                    if self._curated_name(" ".join(words[:k])):
                        out.append((" ".join(words[:k]), pos, -1))
                        break
                rest = " ".join(words[1:])
                if len(words) > 2 and _STRONG.search(rest):
                    out.append((rest, pos, -2))  # 'AIT Austrian Institute of Technology'
            if "at" in words[1:-1]:
                tail = " ".join(words[len(words) - words[::-1].index("at"):])
                if self._curated_name(tail):
                    out.append((tail, pos, -2))
        return out

    def _longer_name(self, v: str, w: str) -> bool:
        """A word-order swap is not tried when a registry name begins with the words as written: 'washington
        university' is the start of 'washington university in st louis', not the University of Washington."""
        if not w.endswith(" university") and not w.startswith("university "):
            return False
        if self._sorted_names is None:
            self._sorted_names = sorted(self.names)
        from bisect import bisect_left

        i = bisect_left(self._sorted_names, v + " ")
        return i < len(self._sorted_names) and self._sorted_names[i].startswith(v + " ")

    def _curated_name(self, v: str) -> bool:
        return any(s == "curated" for _, s in self.names.get(v, ()))

    def _best_name(self, variants: list[tuple[str, int, int]], hint: set[str], trace: list[str],
                   prefer: set[str], step_as: str | None = None) -> Hit | None:
        found: list[tuple[tuple, Hit]] = []
        for v, pos, size in variants:
            if v not in self.names:
                continue
            step = step_as or ("name-prefix" if size == -1 else "name-suffix" if size == -2 else "name")
            h = self._pick(self._name_cands(v, hint), step, v, hint or set(prefer), trace, places=hint)
            if not h:
                continue
            if step_as and h.source != "curated" and not (_STRONG.search(v) or "universi" in v) \
                    and len(_residue(v).split()) < 2:
                # a respelt name must still say which institution it is: 'Institute of Pharmacology PAS' is not
                # whichever 'Institute of Pharmacology' the registry holds
                continue
            if h.source.endswith("acronym") and (len({i for i, _ in self.names[v]}) > 1
                                                 or (h.inst.country_hq not in prefer)):
                trace.append(f"name: registry acronym {v!r} unconfirmed by the domain → skip")
                continue
            if v in _CORP_WORDS:
                continue
            country = h.inst.country_location or h.inst.country_hq
            multi_site = h.source == "curated" and (h.inst.sector == "industry" or not h.inst.country_location)
            vetoed = bool(hint) and country not in hint and not multi_site
            if vetoed:
                trace.append(f"name: {v!r} → {h.inst.name} ({country}) contradicts places {sorted(hint)} → skip")
                continue
            unit = v.startswith(_UNIT_NORM) and h.source != "curated"
            strong = h.source == "curated" or bool(_STRONG.search(v))
            rank = (unit, country not in prefer if prefer else False, not strong, pos, -len(v.split()),
                    SOURCE_RANK.get(h.source, 9))
            found.append((rank, h))
        if not found:
            return None
        found.sort(key=lambda t: t[0])
        h = found[0][1]
        trace.append(f"{h.step}: {h.matched!r} → {h.inst.name} [{h.source}]"
                     + (f" (of {len(found)} matches)" if len(found) > 1 else ""))
        return h

    def by_contains(self, norm: str, trace: list[str]) -> Hit | None:
        if not self._contains_re:
            return None
        found = _ngrams(norm, self._contains, self._contains_first)
        if not found:
            return None
        # the longest pattern names the most specific entry (microsoft research asia before microsoft)
        ids = []
        for f in sorted(found, key=len, reverse=True):
            i = self._contains[f]
            if i not in ids:
                ids.append(i)
        # prefer a descendant over its ancestor; distinct unrelated organisations → first in the string wins
        best = ids[0]
        for i in ids[1:]:
            if best in self._ancestors(i):
                best = i
        trace.append(f"contains: {found} → {self.insts[best].name}")
        return Hit(self.insts[best], "contains", "curated", 100, found[0])

    def by_fuzzy(self, part: str, hint: set[str], trace: list[str]) -> Hit | None:
        from rapidfuzz import fuzz, process

        n = norm_name(dedupe_repeats(paren_split(part)[0]))
        if len(n) < 12:
            return None
        if self._fuzzy_index is None:
            return None
        idx, df = self._fuzzy_index
        pool: set[str] = set()
        for t in sorted(set(n.split()), key=lambda t: (df.get(t, 0), t))[:3]:
            pool.update(idx.get(t, ()))
        if not pool:
            return None
        # extractOne keeps the first of equal scores: a sorted pool, not a set's per-process hash order
        m = process.extractOne(n, sorted(pool), scorer=fuzz.ratio, score_cutoff=self.fuzzy_threshold)
        if not m:
            return None
        # the words that tell institutions apart must match too: 'mitre corporation' is not 'itrek corporation',
        # 'nara advanced institute…' is not 'korea advanced institute…'
        ra, rb = _residue(n), _residue(m[0])
        if not ra or not rb or fuzz.ratio(ra, rb) < RESIDUE_THRESHOLD:
            trace.append(f"fuzzy: {n!r} ~ {m[0]!r} ({m[1]:.0f}) but distinctive words differ ({ra!r} / {rb!r})")
            return None
        h = self._pick(self._name_cands(m[0], hint), "fuzzy", m[0], hint, trace, places=hint)
        if h:
            h.score = m[1]
            trace.append(f"fuzzy: {n!r} ~ {m[0]!r} ({m[1]:.0f}) → {h.inst.name}")
        return h

    # ---------------------------------------------------------------- location
    def _locate(self, h: Hit, norm: str, hint: set[str]) -> Hit:
        """Location of the hit: a named child (campus/lab) in the string, else a place hint for a multi-site
        organisation, else the entry's own location."""
        inst = h.inst
        loc = inst.country_location
        if loc and len(hint) == 1 and inst.source == "curated" and inst.sector == "industry" and loc not in hint:
            loc = next(iter(hint))  # 'Alibaba Group, Seattle, USA': the office named
            h.note = (h.note + " location-hint").strip()
        elif not loc and len(hint) == 1:
            loc = next(iter(hint))
            h.note = (h.note + " location-hint").strip()
        elif not loc and inst.source == "curated" and _ngrams(norm, _REGION_TABLE, _REGION_FIRST):
            h.note = (h.note + " region-only").strip()  # 'IBM Europe': a region, no country → no location
        elif not loc and inst.source == "curated":
            # a multi-site organisation named without a place is located at its headquarters
            loc = inst.country_hq
            h.note = (h.note + " location=hq").strip()
        h.location = loc
        return h

    # ---------------------------------------------------------------- one part
    def resolve_part(self, part: str, hint_all: set[str], trace: list[str],
                     prefer: set[str] = frozenset()) -> Hit | None:
        if not self.memo:
            return self._resolve_part(part, hint_all, trace, prefer)
        key = (part, frozenset(hint_all), frozenset(prefer))
        if key not in self._part_cache:
            if len(self._part_cache) > 300_000:
                self._part_cache.clear()
            self._part_cache[key] = self._resolve_part(part, hint_all, trace, prefer)
        h = self._part_cache[key]
        return replace(h) if h else None

    def _resolve_part(self, part: str, hint_all: set[str], trace: list[str],
                      prefer: set[str] = frozenset()) -> Hit | None:
        norm = norm_name(part)
        hint = self.hints(norm) or hint_all
        h = self.by_name(part, hint, trace, prefer)
        c = self.by_contains(norm, trace)
        if c and hint and c.inst.sector != "industry" and c.inst.country_location \
                and c.inst.country_location not in hint:
            # 'Khoury College …, Northeastern University, Vancouver': a campus elsewhere than the curated site
            trace.append(f"contains: {c.inst.name} ({c.inst.country_location}) contradicts places {sorted(hint)}"
                         " → skip")
            c = None
        if c and (h is None or (c.inst.id != h.inst.id and h.inst.id in self._ancestors(c.inst.id))
                  or (h.source != "curated" and h.inst.sector == "industry" and c.inst.sector == "industry")):
            h = c  # a curated lab/campus inside the string beats a generic registry parent
        if h is None:
            h = self.by_second_chance(part, hint, trace, prefer)
        if h is None:
            h = self.by_fuzzy(part, hint, trace)
        if h is None and hint and "," in part:
            # 'LIRA-Lab, DIST, University of Genova, Genoa, Italy': one comma part with an institution word is
            # close to a registry name ('University of Genoa') in the country the string names — only then
            for cp in comma_parts(paren_split(part)[0])[:8]:
                if _STRONG.search(norm_name(cp)) and norm_name(cp) != norm:
                    f = self.by_fuzzy(cp, hint, trace)
                    if f and (f.inst.country_location or f.inst.country_hq) in hint:
                        f.step = "fuzzy-part"
                        h = f
                        break
        if h is None and _AND_SPLIT.search(part):
            # 'FZI and KIT', 'Monash University & TCS Research': two institutions joined by a conjunction —
            # tried only when the whole string matched nothing; a segment counts only when it is, as a whole,
            # a curated name or a registry name with an institution word (not 'Environmental Health')
            for seg in _and_segments(part):
                sn = norm_name(seg)
                if not sn or sn == norm:
                    continue
                cand = self.by_name(seg, self.hints(sn), trace, prefer)
                if cand and (cand.source == "curated" or (cand.matched == sn and _STRONG.search(sn)
                                                          and not sn.startswith(_UNIT_NORM))):
                    cand.step = "name-and-split"
                    h = cand
                    break
        return self._locate(h, norm, hint) if h else None

    # ---------------------------------------------------------------- combine
    def resolve(self, affiliation: str | None, domain: str | None) -> Resolution:
        aff_raw = affiliation if isinstance(affiliation, str) else ""
        dom_raw = domain if isinstance(domain, str) else ""
        aff, dom = clean_text(aff_raw), clean_domain(dom_raw)
        r = Resolution(affiliation=aff_raw, domain=dom_raw)
        t = r.trace
        if dom_raw.strip() and not dom:
            t.append(f"clean: domain {dom_raw[:60]!r} is not a host name → ignored")
        if not dom and "@" in aff:
            rest, d = email_in(aff)
            if clean_domain(d):
                aff, dom = rest, clean_domain(d)
                t.append(f"clean: the string holds an e-mail address → domain {dom}")
        if not aff and not dom:
            r.reason = "unresolved:empty"
            return r
        if self.memo:
            if dom not in self._dom_cache:
                self._dom_cache[dom] = self.by_domain(dom, t)
            dh, dstatus = self._dom_cache[dom]
            dh = replace(dh) if dh else None
        else:
            dh, dstatus = self.by_domain(dom, t)
        parts = split_multi(aff) if aff else []
        if len(parts) > 1:
            t.append(f"split: {len(parts)} parts {parts}")
        prefer = {dh.inst.country_location or dh.inst.country_hq} - {None} if dh and dstatus == "" else set()
        if dstatus == "free-mail" and dom in NATIONAL_WEBMAIL:
            # a national webmail never answers alone, but breaks a tie between same-name institutions
            prefer = {NATIONAL_WEBMAIL[dom]}
        hits: list[Hit | None] = []
        for p in parts:
            hits.append(self.resolve_part(p, set(), t, prefer))
            r.parts.append({"part": p, **(self._hit_dict(hits[-1]) if hits[-1] else {})})
        # primary = the first part; when it resolves to nothing, the domain speaks for it
        sh = hits[0] if hits else None
        if sh is None and len(hits) > 1 and not dh:
            sh = next((h for h in hits if h), None)
            first = self.hints(norm_name(parts[0]))
            if sh and len(first) == 1 and (sh.location or sh.inst.country_hq) not in first:
                # the first part names no known institution but a place of its own, and the later part is
                # elsewhere ('CRRC Zhuzhou Institute, China + ETH Zurich'): another affiliation, not the row's
                t.append(f"split: the first part names {sorted(first)[0]}, the later {sh.inst.name} is elsewhere "
                         "→ not it")
                sh = None
        win, reason, conf = self._combine(sh, dh, dstatus, norm_name(parts[0]) if parts else "",
                                          self.hints(norm_name(parts[0])) if parts else set(), t)
        if win is None and parts and (dstatus in ("", "unknown", "free-mail", "no-signal", "multinational",
                                                  "ambiguous") or dh is not None) and not sh:
            pw, pr, pc = self._place_only(parts[0], t)
            if pw:
                win, reason, conf = pw, pr, pc
        r.string_hit = bool(sh or any(hits))
        if win is None and dh is None and not r.string_hit:
            win, reason, conf = self._without_institution(r, parts, dom, dstatus, reason)
            if reason == "unresolved:evidence-disagrees":
                r.reason = reason
                sector.assign(r, parts, hits, None)
                return r
        if win is None:
            r.reason = reason or ("unresolved:free-mail" if dstatus == "free-mail" else "unresolved:no-match")
            r.alternatives = [self._hit_dict(h) for h in (sh, dh) if h]
            sector.assign(r, parts, hits, None)
            return r
        if "location=hq" in win.note and dom and dh and self._related(win.inst.id, dh.inst.id):
            cc = self._cctld_country(dom)
            if cc and cc != win.location:
                # amazon.de, amazon.co.uk: a multinational's national domain names the country of the office
                t.append(f"location: the national domain {dom} → {cc}")
                win.location = cc
        r.institution_id, r.institution = win.inst.id, win.inst.name
        r.country_location, r.country_hq = win.location, win.inst.country_hq
        if win.location:
            r.location_basis = ("national-domain" if "national domain" in " ".join(t[-1:]) else
                                "hq-default" if "location=hq" in win.note else
                                "place-hint" if "location-hint" in win.note else
                                win.step if win.step in ("place-only", "cctld", "evidence", "peer") else "site")
        r.sector, r.org_type = win.inst.sector, win.inst.org_type
        sector.assign(r, parts, hits, win)
        r.confidence, r.reason = conf, reason
        r.alternatives = [self._hit_dict(h) for h in (sh, dh) if h and h is not win]
        return r

    def _combine(self, sh: Hit | None, dh: Hit | None, dstatus: str, norm: str, hint: set[str],
                 t: list[str]) -> tuple[Hit | None, str, float]:
        if dh and dstatus != "ambiguous":
            dh = self._locate(dh, norm, hint)
        if sh and dh and dstatus != "ambiguous":
            if self._related(sh.inst.id, dh.inst.id):
                # the more specific of the two (a lab or campus) wins
                win = sh if dh.inst.id in self._ancestors(sh.inst.id) or sh.inst.id == dh.inst.id else dh
                if win is dh and sh.location and not dh.inst.country_location:
                    dh.location = sh.location
                t.append(f"combine: string and domain agree on {win.inst.name}")
                return win, f"{sh.step}+{dh.step}", 0.99
            if sh.location and sh.location == dh.location:
                t.append("combine: string and domain name different institutions in the same country")
                return sh, f"{sh.step}+{dh.step}:same-country", 0.97
            if sh.inst.country_hq == dh.inst.country_hq and not (sh.location and dh.location):
                t.append("combine: same HQ country, location from the string")
                return sh, f"{sh.step}+{dh.step}:same-hq", 0.9
            there = None if (sh.location or sh.inst.country_hq) in hint else \
                self._same_name_in(sh, dh.location or dh.inst.country_hq)
            if there:
                # 'National Institute of Mental Health' + nih.gov: ROR's record of that name is Czech, GRID's the
                # American one the domain's country names — string and domain agree on it
                t.append(f"combine: {sh.matched!r} also names {there.inst.name} ({there.location}), the domain's "
                         "country → that one")
                return there, f"{sh.step}+{dh.step}:same-name", 0.93
            # disagreement: the string is what the author wrote for this paper; the domain may be an old or
            # second address. Trust the string only when it is an exact name or curated match — and not a registry
            # name of one short word, which is as weak as an acronym ('AMS' + tencent.com is Tencent's AMS, not
            # the American Microscopical Society)
            short = sh.source != "curated" and " " not in sh.matched and len(sh.matched) <= 4
            # a second-chance spelling counts only when it names a university-like or curated institution (an
            # 'Institute of Theoretical Physics' cut out of '… - UNESP' is not the string's own institution)
            respelt = sh.step == "name-variant" and (sh.source == "curated" or _STRONG.search(sh.matched))
            if (sh.step in ("name", "contains") or respelt) and sh.source not in ("swot",) \
                    and not sh.source.endswith("acronym") and not short:
                t.append(f"combine: string ({sh.inst.name}, {sh.location}) and domain ({dh.inst.name}, "
                         f"{dh.location}) disagree → string")
                return sh, f"{sh.step}:over-domain", 0.75
            t.append(f"combine: weak string match disagrees with the domain → domain")
            return dh, f"{dh.step}:over-weak-name", 0.8
        if dstatus == "ambiguous" and dh:
            alt = self.insts.get(dh.note[3:]) if dh.note.startswith("or:") else None
            for cand in (dh, Hit(alt, dh.step, dh.source, 100, dh.matched) if alt else None):
                if cand and sh and (self._related(sh.inst.id, cand.inst.id)
                                    or sh.inst.country_hq == cand.inst.country_hq):
                    t.append(f"combine: the string settles the ambiguous domain → {sh.inst.name}")
                    return sh, f"{sh.step}+domain-disambiguated", 0.95
            if sh:
                return sh, f"{sh.step}:domain-ambiguous", sh.conf * 0.9
            return None, "unresolved:ambiguous-domain", 0.0
        if dstatus == "multinational" and not sh:
            return None, "unresolved:multinational-domain", 0.0
        if sh:
            return sh, sh.step, sh.conf
        if dh:
            country = dh.location or dh.inst.country_hq
            if hint and country not in hint and len(hint) == 1:
                # 'United Imaging Intelligence, Cambridge MA, USA' with an ieee.org address: the string's place wins
                t.append(f"combine: the domain's country {country} contradicts the places in the string {sorted(hint)}")
                return None, "", 0.0
            return dh, dh.step, dh.conf
        return None, "", 0.0

    def _same_name_in(self, sh: Hit, country: str | None) -> Hit | None:
        """Another registry record of the very name the string matched, in `country` (never swot's, whose countries
        are read from the domain's TLD), when exactly one institution there has it."""
        if not country or sh.source == "curated" or sh.step not in ("name", "name-variant"):
            return None
        there = {i for i, s in self.names.get(sh.matched, ()) if s not in ("swot",) and not s.endswith("acronym")
                 and self.insts[i].country_hq == country and self.insts[i].source != "curated"}
        if len(there) != 1:
            return None
        inst = self.insts[there.pop()]
        return Hit(inst, sh.step, inst.source, 100, sh.matched, location=inst.country_location or inst.country_hq)

    def _hit_dict(self, h: Hit) -> dict:
        return {"institution_id": h.inst.id, "institution": h.inst.name, "country_location": h.location,
                "country_hq": h.inst.country_hq, "sector": h.inst.sector, "step": h.step, "source": h.source,
                "matched": h.matched, "confidence": h.conf}


def load_resolver(engine, fuzzy_threshold: float = FUZZY_THRESHOLD) -> Resolver:
    """Build the in-memory lookups from the registry tables of `engine` (main database or registry cache)."""
    from .curated import read_institutions, read_places

    insts: dict[str, Inst] = {}
    # every lookup list in a fixed order, so ties resolve the same way in every build and process
    for row in engine.query("SELECT institution_id, name, country, country_location, sector, org_type, source, "
                            "parent_id FROM reg_institutions ORDER BY institution_id, source, name"):
        insts[row[0]] = Inst(*row)
    domains: dict[str, list[tuple[str, str]]] = {}
    for d, i, s in engine.query("SELECT domain, institution_id, source FROM registry_domains WHERE institution_id "
                                "IN (SELECT institution_id FROM reg_institutions) ORDER BY 1, 2, 3"):
        domains.setdefault(d, []).append((i, s))
    names: dict[str, list[tuple[str, str]]] = {}
    for n, i, s in engine.query("SELECT name_norm, institution_id, source FROM registry_names ORDER BY 1, 2, 3"):
        names.setdefault(n, []).append((i, s))
    free = {d for (d,) in engine.query("SELECT domain FROM free_mail")}
    idx: dict[str, list[str]] = {}
    for tok, name in engine.query("SELECT token, name_norm FROM registry_tokens ORDER BY 1, 2"):
        idx.setdefault(tok, []).append(name)
    df = dict(engine.query("SELECT token, df FROM registry_token_df"))
    contains = [(norm_name(c), "cur:" + e.id) for e in read_institutions() for c in e.contains if norm_name(c)]
    r = Resolver(insts, domains, names, free, read_places(), contains, fuzzy_threshold)
    r._fuzzy_index = (idx, df)
    r.peer = peers.load(engine)
    if engine.table_exists("registry_parents"):
        r.subsidiaries = frozenset(i for (i,) in engine.query("""
            SELECT DISTINCT x.institution_id FROM registry_parents x
            JOIN reg_institutions c ON c.institution_id = x.institution_id AND c.org_type = 'company'
            LEFT JOIN reg_institutions p ON p.institution_id = x.parent_id
            WHERE p.country IS DISTINCT FROM c.country"""))
    return r
