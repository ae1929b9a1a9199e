"""Regenerate docs/claims.md from the data mirror: the talent claims need a full build (talentflow.metrics.claims),
the indicator claims its indicator tables (talentflow.indicators.claims). Without --db, a full build is made into a
temporary DuckDB file (about two minutes).

    python tools/make_claims.py ../shared/data [--db talentflow.duckdb]          # writes docs/claims.md
    python tools/make_claims.py ../shared/data [--db talentflow.duckdb] --check  # exit 1 if it differs
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from talentflow.engine import connect  # noqa: E402
from talentflow.indicators.claims import check_claims, render_markdown  # noqa: E402
from talentflow.pipeline import build  # noqa: E402
from talentflow.metrics.claims import check_talent_claims  # noqa: E402
from talentflow.settings import Settings  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "claims.md"


def render(s: Settings) -> str:
    """docs/claims.md from the full build at s.db_path (read-only)."""
    with connect(s, read_only=True) as eng:
        talent = check_talent_claims(eng, s.n_boot, s.seed, s.min_cell)
        return render_markdown(check_claims(eng), talent=talent)


def generate(data_dir: str | Path, db: str | Path | None = None) -> str:
    if db:
        return render(Settings(data_dir=Path(data_dir).resolve(), db_path=Path(db).resolve()))
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings(data_dir=Path(data_dir).resolve(), db_path=Path(tmp) / "talentflow.duckdb")
        build(s)
        return render(s)


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    db = argv[argv.index("--db") + 1] if "--db" in argv else None
    text = generate(argv[0], db)
    if "--check" in argv:
        same = DOC.exists() and DOC.read_text(encoding="utf-8") == text
        print("docs/claims.md matches the data" if same else "docs/claims.md is stale: rerun tools/make_claims.py")
        return 0 if same else 1
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
