"""`talentflow eval subfields`: accuracy, per-class precision/recall and confusions of the subfield rules on the
hand-labelled sample (and of the optional embedding classifier)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from .common import console, emit_rows, format_option, handle_errors, settings_of, wide_option
from .main import app, eval_group


eval_app = eval_group()


def _fmt(x) -> str:
    return "—" if x is None else f"{x:.3f}"


@eval_app.command("subfields")
@handle_errors
def subfields_cmd(
    ctx: typer.Context,
    labels: Optional[Path] = typer.Option(None, help="Label file (default eval/subfield_labels.tsv)."),
    fmt: str = format_option("table", ("table", "json")), wide: bool = wide_option(),
    errors: bool = typer.Option(False, "--errors", help="Also list every misclassified paper."),
    embedding: bool = typer.Option(False, "--embedding",
                                   help="Also evaluate the embedding classifier (needs the [embed] extra)."),
) -> None:
    """Rules (and optionally the embedding classifier) against the hand-labelled papers."""
    from ..careers.subfield_eval import evaluate_rules
    from ..engine import connect

    s = settings_of(ctx)
    data = s.require_data()
    results = {}
    with connect(s, Path(":memory:")) as eng:
        results["rules"] = evaluate_rules(eng, data, labels)
        if embedding:
            from ..careers.subfield_embed import evaluate_embedding

            results.update(evaluate_embedding(eng, data, labels))
    if fmt == "json":
        out = {name: {"n": r.n, "accuracy": r.accuracy, "per_class": r.per_class, "confusion": r.confusion,
                      "not_found": r.not_found, **({"errors": r.errors} if errors else {})}
               for name, r in results.items()}
        sys.stdout.write(json.dumps(out, default=str, ensure_ascii=False, indent=1) + "\n")
        return
    for name, r in results.items():
        console.print(f"[bold]{escape(name)}[/]: accuracy {r.accuracy:.3f} on {r.n} labelled papers"
                      + (f" ({len(r.not_found)} labels not found in the mirror)" if r.not_found else ""))
        emit_rows([{**c, "precision": _fmt(c["precision"]), "recall": _fmt(c["recall"]), "f1": _fmt(c["f1"])}
                   for c in r.per_class], "table", title=f"{name}: per subfield", wide=wide)
        emit_rows(r.confusion, "table", title=f"{name}: confusions (true → predicted)", wide=wide)
        if errors:
            emit_rows([{k: e.get(k) for k in ("venue", "year", "title", "label", "predicted", "matched_rule")}
                       for e in r.errors], "table", title=f"{name}: misclassified papers", wide=wide)


@eval_app.command("tiers")
@handle_errors
def tiers_cmd(
    ctx: typer.Context,
    raw: bool = typer.Option(False, "--raw", help="Check the raw mirror files instead of the built database."),
    fmt: str = format_option("table", ("table", "json")), wide: bool = wide_option(),
) -> None:
    """Tier-mapping hygiene: statuses/tracks the mapping misses, entries matching nothing, accepted disagreements.
    Exit status 1 when the mapping and the data disagree."""
    from dataclasses import asdict

    from ..careers.tiers import hygiene
    from ..engine import connect
    from ..errors import NotBuilt

    s = settings_of(ctx)
    if raw:
        from ..careers.mirror_papers import create_mirror_papers

        with connect(s, Path(":memory:")) as eng:
            create_mirror_papers(eng, s.require_data())
            h = hygiene(eng, source="mirror_papers")
    else:
        if not s.db_path.exists():
            raise NotBuilt(f"No database at {s.db_path} (or pass --raw to check the mirror files).")
        with connect(s, read_only=True) as eng:
            h = hygiene(eng)
    if fmt == "json":
        sys.stdout.write(json.dumps(asdict(h), default=str, indent=1) + "\n")
    else:
        for name in ("uncovered_statuses", "uncovered_tracks", "venue_years_without_scheme"):
            if getattr(h, name):
                emit_rows(getattr(h, name), "table", title=name, wide=wide)
            else:
                console.print(f"{name}: none")
        console.print("unused mapping entries: " + escape(", ".join(h.unused_entries + h.unused_venue_years) or "none"))
        if h.accepted_disagreements:
            emit_rows(h.accepted_disagreements, "table",
                      title="papers.accepted vs tier (expected: accepted outside the main conference)", wide=wide)
    if not h.clean:
        raise typer.Exit(1)
