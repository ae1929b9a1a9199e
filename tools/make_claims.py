"""Regenerate docs/claims.md from the data mirror: builds the indicators stage into a temporary DuckDB file and
checks each claim (talentflow.indicators.claims).

    python tools/make_claims.py ../shared/data          # writes docs/claims.md
    python tools/make_claims.py ../shared/data --check  # exit 1 if docs/claims.md differs from the data
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from talentflow.engine import connect  # noqa: E402
from talentflow.indicators import stage  # noqa: E402
from talentflow.indicators.claims import check_claims, render_markdown  # noqa: E402
from talentflow.settings import Settings  # noqa: E402

DOC = Path(__file__).resolve().parents[1] / "docs" / "claims.md"


def generate(data_dir: str | Path) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        s = Settings(data_dir=Path(data_dir).resolve(), db_path=Path(tmp) / "ind.duckdb")
        with connect(s) as eng:
            stage.run(eng, s)
            return render_markdown(check_claims(eng))


def main(argv: list[str]) -> int:
    if not argv or argv[0].startswith("-"):
        print(__doc__)
        return 2
    text = generate(argv[0])
    if "--check" in argv:
        same = DOC.exists() and DOC.read_text(encoding="utf-8") == text
        print("docs/claims.md matches the data" if same else "docs/claims.md is stale: rerun tools/make_claims.py")
        return 0 if same else 1
    DOC.write_text(text, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
