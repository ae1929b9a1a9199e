"""Country-only answers for a pair whose string and domain named no institution, strongest first: the string's
own places (place-only), the evidence of other observations (evidence.py), the domain's ccTLD, a peer's table
(peers.py). Each is recorded as the reason with its own confidence; an evidence disagreement stops the chain."""

from __future__ import annotations

from . import evidence, peers
from .curated import no_country_tlds, tld_country
from .model import Hit, Inst
from .normalize import comma_parts, norm_name
from .rules import CONF, code_country


class CountryOnly:
    """Mixed into `Resolver`: the steps after the cascade found no institution."""

    def _without_institution(self, r, parts: list[str], dom: str, dstatus: str,
                             reason: str) -> tuple[Hit | None, str, float]:
        t = r.trace
        hints = self.hints(norm_name(parts[0])) if parts else set()
        cc = self._cctld_country(dom) if dom and dstatus == "unknown" else None
        r.evidence_query = evidence.query(self, r.affiliation, r.domain, parts[0] if parts else "", dom, dstatus,
                                          hints, cc)
        ev = evidence.answer(self, r.evidence_query) if r.evidence_query else None
        if ev:
            t.append(f"evidence: {ev.note}")
            if ev.country is None:
                return None, ev.reason, 0.0
            inst = Inst(f"evidence:{ev.country}", "", ev.country, ev.country, "unknown", "unknown", "evidence")
            return Hit(inst, "evidence", "evidence", 100, parts[0] if parts else dom, location=ev.country), \
                ev.reason, ev.confidence
        if dom and dstatus == "unknown":
            win, why, conf = self._cctld(dom, t)
            if win:
                return win, why, conf
            reason = why or reason
        if dstatus not in ("ambiguous", "multinational"):
            got = peers.answer(self, parts[0] if parts else "", dom if dstatus == "unknown" else "", hints)
            if got:
                t.append(f"peer: Lossfunk's table answers {got[0]} by {got[1]} (low confidence)")
                inst = Inst(f"peer:{peers.SOURCE}", "", got[0], got[0], "unknown", "unknown", "peer")
                return Hit(inst, "peer", "peer", 100, got[1], location=got[0]), f"peer:{peers.SOURCE}", peers.CONF
        return None, reason, 0.0

    def _place_only(self, part: str, t: list[str]) -> tuple[Hit | None, str, float]:
        """No institution found, but the string names exactly one country through its places
        ('Nabtecso corporation, Chiyoda-ku, Tokyo, Japan') or a trailing code ('…, Chiba, JP', '…, Stillwater, OK';
        rules.code_country): answer the country, not an institution."""
        hint = self.hints(norm_name(part))
        cps = comma_parts(part)
        # a code after at least a name and a city ('…, Chiba, JP'); 'Department of Automatic Control, LU' is Lund
        last = cps[-1] if len(cps) >= 3 else ""
        if not hint and last and code_country(last):
            hint = {code_country(last)}  # '…, Tempe, AZ' is Arizona or Azerbaijan; '…, Stillwater, OK' the US
        if len(hint) != 1:
            return None, "", 0.0
        cc = next(iter(hint))
        t.append(f"place-only: the string names {cc} and no known institution")
        inst = Inst(f"place:{cc}", "", cc, cc, "unknown", "unknown", "place")
        return Hit(inst, "place-only", "place", 100, part, location=cc), "place-only", 0.8

    @staticmethod
    def _cctld_country(dom: str) -> str | None:
        return tld_country(dom)

    def _cctld(self, dom: str, t: list[str]) -> tuple[Hit | None, str, float]:
        tld = dom.rsplit(".", 1)[-1]
        cc = tld_country(dom)
        if cc is None:
            # vanity (.ai .io .co …) and generic TLDs: data/no_country_tlds.csv
            t.append(f"cctld: .{tld} names no country")
            return None, ("unresolved:no-match" if len(tld) != 2 or tld in no_country_tlds()
                          else "unresolved:unknown-tld"), 0.0
        inst = Inst(f"cctld:{dom}", dom, cc, cc, "unknown", "unknown", "cctld")
        t.append(f"cctld: .{tld} → {cc}")
        return Hit(inst, "cctld", "cctld", 100, dom, location=cc), "cctld", CONF["cctld"]
