"""A peer's answers as the last, low-confidence fallback: Lossfunk's affiliation → country table
(peers/lossfunk_affiliation_domain_country.csv.gz, from Lossfunk/indiaml-tracker `indiaml/updated_affiliations.csv`
@873c95d, MIT licence; verified against the catalog like every input).

Read into `peer_countries(source, name_norm, org_domain, country, n_rows)` by the registry build, keeping only
answers that can be right: a two-letter ISO code ('UK' → GB; 'UNK', 'EU' dropped), not the artefact of writing a
vanity ccTLD as a country (`verses.ai` → 'AI', `huggingface.co` → 'CO'), not a free-mail domain, and only
(name, domain) keys, names and domains the table answers one way. The resolver uses it only for a pair nothing
else answered — no institution, no place, no evidence, no ccTLD — whose string the registries do not know; the
answer says `peer:lossfunk` (confidence 0.5, location_basis `peer`). Agreement with Lossfunk is then measured
only on pairs it did not supply (evaluate.py).
"""

from __future__ import annotations

from .normalize import norm_name

FILE = "peers/lossfunk_affiliation_domain_country.csv.gz"
SOURCE = "lossfunk"
CONF = 0.5
EMPTY = "source VARCHAR, name_norm VARCHAR, org_domain VARCHAR, country VARCHAR, n_rows BIGINT"


def build(engine, path: str | None, strip_accents: str) -> None:
    """`peer_countries` from the Lossfunk file (`path`, or None when the mirror lacks it)."""
    import pycountry

    from .curated import no_country_tlds
    from .normalize import sql_norm
    from .rules import PUBLIC_SECOND

    if path is None:
        engine.execute(f"CREATE OR REPLACE TABLE peer_countries ({EMPTY})")
        return
    codes = ", ".join(f"'{c.alpha_2}'" for c in pycountry.countries)
    vanity = ", ".join(f"'{t.upper()}'" for t in sorted(no_country_tlds()) if len(t) == 2)
    second = ", ".join(f"'{x}'" for x in sorted(PUBLIC_SECOND))
    d = "lower(trim(\"Affiliation Domain\"))"
    # the organisation level of a domain, as evidence.org_domain cuts it (cs.acme.ai → acme.ai, x.ox.ac.uk → ox.ac.uk)
    od = (f"CASE WHEN len(string_split({d}, '.')) >= 3 AND string_split({d}, '.')[-2] IN ({second}) "
          f"THEN array_to_string(string_split({d}, '.')[-3:], '.') "
          f"ELSE array_to_string(string_split({d}, '.')[-2:], '.') END")
    engine.execute(f"""CREATE OR REPLACE TABLE peer_countries AS
        WITH raw AS (
          SELECT {sql_norm('"Affiliation Name"', strip_accents)} AS name_norm,
                 CASE WHEN {d} LIKE '%.%' THEN {od} ELSE '' END AS org_domain,
                 CASE upper(trim("Affiliation Country")) WHEN 'UK' THEN 'GB'
                      ELSE upper(trim("Affiliation Country")) END AS country,
                 regexp_extract({d}, '\\.([a-z]+)$', 1) AS tld
          FROM {engine.read_csv(path)}),
        ok AS (SELECT * FROM raw
               WHERE country IN ({codes}) AND NOT (country = upper(tld) AND country IN ({vanity}))
                 AND org_domain NOT IN (SELECT domain FROM free_mail)),
        keyed AS (SELECT 'pair' AS k, name_norm, org_domain, country FROM ok WHERE name_norm <> '' AND org_domain <> ''
                  UNION ALL SELECT 'name', name_norm, '', country FROM ok WHERE name_norm <> ''
                  UNION ALL SELECT 'domain', '', org_domain, country FROM ok WHERE org_domain <> '')
        SELECT '{SOURCE}' AS source, name_norm, org_domain, min(country) AS country, count(*) AS n_rows
        FROM keyed GROUP BY k, name_norm, org_domain HAVING count(DISTINCT country) = 1
        ORDER BY name_norm, org_domain""")


def load(engine) -> dict:
    """(name_norm, org_domain) → country; a name alone has org_domain '', a domain alone name_norm ''."""
    if not engine.table_exists("peer_countries"):
        return {}
    return {(n, d): c for n, d, c in engine.query(
        "SELECT name_norm, org_domain, country FROM peer_countries ORDER BY 1, 2")}


def answer(resolver, part: str, dom: str, hints: set[str]) -> tuple[str, str] | None:
    """(country, what matched) from the peer table for a pair nothing else answered, or None."""
    from .evidence import org_domain, registry_knows, usable_key

    table = resolver.peer
    if not table:
        return None
    n = norm_name(part) if part else ""
    if part and registry_knows(resolver, part):
        return None  # the registries know this name and the cascade abstained on purpose
    od = org_domain(dom) if dom and dom not in resolver.free else ""
    if n and not usable_key(resolver, n):
        return None  # 'Independent', 'Department of Statistics': the peer's answer for those is a guess
    if n and not od and " " not in n:
        return None  # a one-word name alone is too often an acronym the peer read its own way ('BUPT' → US)
    # a name alone speaks for a string without a usable domain only, a domain alone for an empty string only
    key, what = ((n, od), "name+domain") if n and od else ((n, ""), "name") if n else (("", od), "domain")
    if any(key):
        cc = table.get(key)
        if cc and (not hints or cc in hints):
            return cc, what
    return None
