"""SQL fragments shared by the readers (canonical dialect, engine/render.py; docs/schema.md says what each
produces)."""

from __future__ import annotations


def q(s: str) -> str:
    """SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def txt(col: str) -> str:
    """Trimmed text, '' → NULL."""
    return f"nullif(trim({col}), '')"


def semi_list(col: str) -> str:
    """A ';'-joined per-author field → list of trimmed items (NULL when the field is absent or blank).
    Items stay in place even when empty so positions never shift."""
    return (f"CASE WHEN regexp_full_match(coalesce({col}, ''), '[;\\s]*') THEN NULL "
            f"ELSE list_transform(string_split({col}, ';'), lambda x: trim(x)) END")


def author_list(col: str) -> str:
    """Author names: ';'-joined in paperlists, ', '-joined in site scrapes and some CVF files."""
    return (f"CASE WHEN {txt(col)} IS NULL THEN NULL "
            f"WHEN contains({col}, ';') THEN list_transform(string_split({col}, ';'), lambda x: trim(x)) "
            f"ELSE list_transform(string_split({col}, ', '), lambda x: trim(x)) END")


def norm_title(col: str) -> str:
    """Title key for joins between scrapes and status files: lower-case, accents and non-alphanumerics removed."""
    return f"regexp_replace(lower(strip_accents(coalesce({col}, ''))), '[^a-z0-9]+', '', 'g')"


def norm_names(list_col: str) -> str:
    """Author-list key for joins without ids: normalised names in order, '|'-joined."""
    return (f"array_to_string(list_transform({list_col}, "
            f"lambda x: regexp_replace(lower(strip_accents(x)), '[^a-z]+', '', 'g')), '|')")


def _name_tokens(x: str) -> str:
    """A name → its lower-case ASCII word tokens, HTML quotes and quoted nicknames ("Atlas") removed."""
    unq = f"replace(replace({x}, '&quot;', '\"'), '&#39;', '')"
    clean = f"regexp_replace(regexp_replace(lower(strip_accents({unq})), '\"[^\"]*\"', ' ', 'g'), '[^a-z ]+', '', 'g')"
    return f"list_filter(string_split({clean}, ' '), lambda t: t <> '')"


def norm_names_loose(list_col: str, mode: str) -> str:
    """Looser author-list keys for later join passes: 'firstlast' keeps each name's first and last token (middle
    names and initials differ between sources); 'surnames' keeps the last token only."""
    per = {"firstlast": "list_extract(tk, 1) || '.' || list_extract(tk, -1)", "surnames": "list_extract(tk, -1)"}[mode]
    return (f"array_to_string(list_transform({list_col}, lambda x: "
            f"list_transform([{_name_tokens('x')}], lambda tk: {per})[1]), '|')")


def scrub_emails(col: str) -> str:
    """Drop e-mail local parts from free text (some abstracts carry the PDF's e-mail line); keep '@domain'."""
    return f"regexp_replace({col}, '[A-Za-z0-9._%+\\-]+@', '@', 'g')"


def jtxt(key: str, j: str = "j") -> str:
    return f"({j} ->> {q('$.' + key)})"
