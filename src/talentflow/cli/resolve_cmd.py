"""`talentflow resolve`: explain one affiliation, or resolve a TSV batch without a database build;
`talentflow eval resolve`: accuracy on the hand labels and agreement with peers; `talentflow resolve-hygiene`:
frequent unmatched affiliations and curated entries that matched nothing."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Optional

import typer

from rich.markup import escape

from ..errors import InputError, InvalidValue, TalentflowError
from ..limits import check_affiliation
from .common import console, emit_rows, err_console, format_option, handle_errors, settings_of, wide_option
from .main import eval_group
from .main import app

OUT_FIELDS = ["affiliation", "domain", "institution", "institution_id", "country_location", "country_hq", "sector",
              "org_type", "confidence", "reason", "location_basis", "sector_basis"]


def _resolver(settings, fold: bool = False):
    from ..engine import connect
    from ..resolve.registry import registry_db
    from ..resolve.resolver import load_resolver

    from ..resolve.evidence import load_built

    path = registry_db(settings)
    with connect(settings, path, read_only=True) as eng:
        res = load_resolver(eng)
    # the other observations of the mirror (evidence.py) live in the built database, when there is one
    res.evidence_db = load_built(res, settings)
    return res


def read_batch(path: Path) -> list[tuple[str, str]]:
    """TSV with header `affiliation<TAB>domain` (domain column optional). Errors name the file and line."""
    if str(path) != "-" and not path.is_file():
        raise InputError(str(path), "input file not found")
    fh = sys.stdin if str(path) == "-" else path.open(encoding="utf-8-sig", errors="strict", newline="")
    try:
        lines = fh.read().removeprefix("\ufeff").split("\n")  # a byte-order mark (also on stdin) is not text
    except UnicodeDecodeError as e:
        raise InputError(str(path), f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    finally:
        if fh is not sys.stdin:
            fh.close()
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError(str(path), "empty file: expected a header line 'affiliation<TAB>domain'", record="1")
    header = [h.strip().lower() for h in lines[0].rstrip("\r").split("\t")]
    if header[:1] != ["affiliation"] or header[1:] not in ([], ["domain"]):
        raise InputError(str(path), f"header must be 'affiliation<TAB>domain', got {lines[0][:80]!r}", record="1")
    out = []
    for i, line in enumerate(lines[1:], start=2):
        cells = line.rstrip("\r").split("\t")
        if len(cells) > len(header):
            raise InputError(str(path), f"{len(cells)} tab-separated fields, expected at most {len(header)}",
                             record=str(i))
        out.append((cells[0], cells[1] if len(cells) > 1 else ""))
    return out


def _row(r, fold: bool) -> dict:
    d = {"affiliation": r.affiliation, "domain": r.domain, "institution": r.institution,
         "institution_id": r.institution_id, "country_location": r.country_location, "country_hq": r.country_hq,
         "sector": None if r.sector == "unknown" else r.sector,
         "org_type": None if r.org_type == "unknown" else r.org_type, "confidence": r.confidence,
         "reason": r.reason, "location_basis": r.location_basis, "sector_basis": r.sector_basis}
    if fold:
        for k in ("country_location", "country_hq"):
            if d[k] in ("HK", "MO", "TW"):
                d[k] = "CN"
    return d


@app.command("resolve")
@handle_errors
def resolve_cmd(
    ctx: typer.Context,
    affiliation: Optional[str] = typer.Argument(None, help="One affiliation string to explain."),
    domain: str = typer.Option("", "--domain", "-d", help="E-mail or web domain of the same person."),
    input: Optional[Path] = typer.Option(None, "--input", "-i", help="TSV batch (header affiliation<TAB>domain); '-' = stdin."),
    fmt: str = format_option("", ("", "jsonl", "csv", "text", "json"),
                             help="Batch: jsonl|csv (default jsonl). Single: text|json."),
    fold_greater_china: bool = typer.Option(False, "--fold-greater-china", help="Report HK, MO, TW as CN."),
) -> None:
    """Resolve affiliations to institution, location and HQ country, sector — with confidence and reason."""
    s = settings_of(ctx)
    if input is None and affiliation is None and not domain:
        raise TalentflowError("Give an AFFILIATION (and/or --domain), or --input FILE.tsv.")
    if input is not None:
        fmt = fmt or "jsonl"
        if fmt not in ("jsonl", "csv"):
            raise TalentflowError(f"Unknown batch format {fmt!r}: use jsonl or csv.")
        pairs = read_batch(input)
        # every line checked before the registry is loaded; an over-long one is not resolved but keeps its place
        # in the output (one row per input line) with the reason, and is counted on stderr by record and field
        too_long = {}
        for i, (a, d) in enumerate(pairs, start=2):
            try:
                check_affiliation(a, d)
            except InvalidValue as e:
                too_long[i] = e
        for i, e in too_long.items():
            err_console.print(escape(f"{input}, record {i}, field '{e.what}': {e} (not resolved)"))
        res = _resolver(s)
        res.memo = True
        w = csv.DictWriter(sys.stdout, OUT_FIELDS, lineterminator="\n") if fmt == "csv" else None
        if w:
            w.writeheader()
        for i, (a, d) in enumerate(pairs, start=2):
            row = ({**dict.fromkeys(OUT_FIELDS), "affiliation": a, "domain": d, "reason": "unresolved:too-long"}
                   if i in too_long else _row(res.resolve(a, d), fold_greater_china))
            if w:
                w.writerow(row)
            else:
                sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    if fmt not in ("", "text", "json"):
        raise TalentflowError(f"Unknown format {fmt!r} for one affiliation: use text or json (jsonl and csv are "
                              "for --input).")
    check_affiliation(affiliation, domain)
    res = _resolver(s)
    r = res.resolve(affiliation or "", domain)
    if fmt == "json":
        sys.stdout.write(json.dumps({**_row(r, fold_greater_china), "parts": r.parts, "trace": r.trace,
                                     "alternatives": r.alternatives}, ensure_ascii=False, indent=1) + "\n")
        return
    row = _row(r, fold_greater_china)
    console.print(f"[bold]{escape(affiliation or '')}[/]" + (f"  [dim]({escape(domain)})[/]" if domain else ""))
    console.print("steps tried:")
    for step in r.trace:
        console.print(f"  · {step}", markup=False, highlight=False)
    if len(r.parts) > 1:
        console.print("parts:")
        for p in r.parts:
            console.print(f"  · {p['part']!r} → {p.get('institution') or '—'} ({p.get('country_location') or '—'})",
                          markup=False, highlight=False)
    console.print("[bold green]winner:[/] " + escape(
        f"{row['institution'] or '—'}  location={row['country_location'] or '—'}  hq={row['country_hq'] or '—'}  "
        f"sector={row['sector'] or '—'}  confidence={row['confidence']}  reason={row['reason']}"))
    for alt in r.alternatives:
        console.print("[dim]alternative:[/] " + escape(f"{alt['institution']} ({alt['country_location'] or '—'}/"
                      f"{alt['country_hq'] or '—'}) via {alt['step']} [{alt['source']}]"), highlight=False)


eval_app = eval_group()


@eval_app.command("resolve")
@handle_errors
def eval_resolve_cmd(
    ctx: typer.Context,
    labels: Path = typer.Option(Path("eval/resolve_labels.tsv"), help="Hand-labelled pairs."),
    fmt: str = format_option("table", ("table", "json")), wide: bool = wide_option(),
    peers: bool = typer.Option(True, "--peers/--no-peers", help="Also measure agreement with peers' answers."),
    fold_greater_china: bool = typer.Option(False, "--fold-greater-china", help="Score HK, MO, TW as CN."),
    sweep_fuzzy: bool = typer.Option(False, "--sweep-fuzzy", help="Also score several fuzzy-match thresholds."),
    blind: Optional[Path] = typer.Option(Path("eval/resolve_blind.tsv"), "--blind",
                                         help="Blind set scored beside the labels (errors counted, not listed)."),
    no_blind: bool = typer.Option(False, "--no-blind", help="Do not score the blind set."),
) -> None:
    """Accuracy (distinct, authorship-weighted, long tail), precision when answering, coverage, errors; the blind
    set side by side; peers."""
    from ..resolve.evaluate import (fuzzy_sweep, peer_agreement, peer_author_agreement, read_labels, score,
                                    side_by_side)

    s = settings_of(ctx)
    res = _resolver(s)
    lbs = read_labels(labels)
    out = score(res, lbs, fold_greater_china)
    out["evidence_db"] = res.evidence_db
    if blind is not None and not no_blind and (blind.is_file() or blind != Path("eval/resolve_blind.tsv")):
        b = score(res, read_labels(blind), fold_greater_china)
        # the blind rows are never listed: whoever reads them to fix a rule has turned it into a tuning set
        kinds: dict[str, int] = {}
        for e in b.pop("errors"):
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
        out["blind"] = {**b, "path": str(blind), "error_kinds": dict(sorted(kinds.items()))}
    if sweep_fuzzy:
        out["fuzzy_sweep"] = fuzzy_sweep(res, lbs, data_dir=s.data_dir)
    if peers:
        out["peers"] = peer_agreement(res, s.require_data())
        if s.db_path.exists():  # per-author answers need the built database (authorships + resolutions)
            from ..engine import connect

            with connect(s, read_only=True) as eng:
                pa = peer_author_agreement(eng)
            if pa:
                out["peers"]["lossfunk_per_author"] = pa
    if fmt == "json":
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=1, default=str) + "\n")
        return
    rows = []
    for key, m in out["metrics"].items():
        fld, subset = key.split(":")
        for w in ("distinct", "weighted"):
            rows.append({"field": fld, "subset": subset, "weighting": w, **{k: f"{v:.2%}" for k, v in m[w].items()}})
    emit_rows(rows, "table", title=f"resolution accuracy on {out['n']} labelled pairs ({labels})", wide=wide)
    console.print(f"evidence of other observations from {out['evidence_db']}" if out["evidence_db"] else
                  "no built database: scored without the evidence of other observations (talentflow build)")
    if "blind" in out:
        emit_rows(side_by_side({"tuned-on labels": out, "blind": out["blind"]}), "table",
                  title=f"tuned-on labels ({labels}, optimistic) beside the blind set ({out['blind']['path']})",
                  wide=wide)
        console.print("blind set errors (rows not listed): "
                      + escape(", ".join(f"{k} {v}" for k, v in out["blind"]["error_kinds"].items()) or "none"))
    emit_rows([{**{k: e[k] for k in ("kind", "n", "gold", "pred", "reason")},
                "affiliation": e["affiliation"][:60], "domain": e["domain"][:30]}
               for e in out["errors"]], "table", title=f"{len(out['errors'])} rows with an error "
                                                      "(gold and pred: location/HQ/sector)",
              view="resolve_errors", wide=wide)
    if sweep_fuzzy:
        emit_rows(out["fuzzy_sweep"], "table", title="fuzzy threshold sweep (location, distinct)", wide=wide)
    for name, p in out.get("peers", {}).items():
        console.print(f"[bold]{escape(name)}[/]: {p['agree']}/{p['n']} agree ({p['rate']:.1%}); disagreements: "
                      + escape(", ".join(f"{k} {v}" for k, v in sorted(p["categories"].items(), key=lambda kv: -kv[1])))
                      + (f"; {p['supplied_by_peer']} answers it supplied not counted" if p.get("supplied_by_peer")
                         else ""))


@app.command("resolve-hygiene")
@handle_errors
def hygiene_cmd(
    ctx: typer.Context,
    top: int = typer.Option(50, help="How many unmatched affiliations to list."),
    fmt: str = format_option("table"), wide: bool = wide_option(),
    need: bool = typer.Option(False, "--need", help="Also list the most frequent pairs the registries alone miss "
                                                   "or get wrong, and whether the curated data settles them."),
    papers: bool = typer.Option(False, "--papers", help="Also list the most frequent paper-level affiliation "
                                                       "strings (CVPR, SIGGRAPH … lists) that get no country."),
) -> None:
    """Mapping hygiene (from the built database): most frequent unmatched pairs, curated entries never used."""
    from ..engine import connect
    from ..errors import NotBuilt
    from ..resolve.hygiene import hygiene

    s = settings_of(ctx)
    if not s.db_path.exists():
        raise NotBuilt(f"No database at {s.db_path}.")
    with connect(s, read_only=True) as eng:
        if not eng.table_exists("affiliation_resolutions"):
            raise NotBuilt("The database has no affiliation_resolutions table (resolve stage not built).")
        h = hygiene(eng, top)
        if need:
            from ..resolve.hygiene import curation_need

            cn = curation_need(eng, _resolver(s), top)
        if papers:
            from ..resolve.hygiene import paper_unmatched

            pu = paper_unmatched(eng, _resolver(s), top)
    emit_rows(h["unmatched"], fmt, title=f"top {top} unmatched (of {h['n_unmatched_pairs']} pairs, "
                                         f"{h['n_unmatched_authorships']} authorships)", wide=wide)
    emit_rows([{"curated_id": i} for i in h["unused_curated"]], fmt,
              title=f"{len(h['unused_curated'])} curated entries that matched nothing", wide=wide)
    if need:
        emit_rows(cn["pairs"], fmt, title=f"top {top} pairs the registries alone miss or get wrong: "
                                          f"{cn['settled']} settled by curated data and rules", wide=wide)
    if papers:
        emit_rows(pu["unmatched"], fmt, title=f"top {top} paper-level affiliation strings without a country "
                                              f"(of {pu['n_strings']} met on two papers or more)", wide=wide)
    if fmt == "table":
        err_console.print(f"coverage: {h['coverage']:.2%} of authorships with an affiliation or domain get a country")
