"""One settings object, resolved once at the edge (CLI) and passed explicitly to every stage."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError

# Published outputs (report, dashboard, API) never use a smaller k; the CLI's tables default to it too.
PUBLISHED_MIN_CELL = 5

# (name, default, help): declared as data so docs and tests can check every setting is documented.
SETTINGS: tuple[tuple[str, object, str], ...] = (
    ("data_dir", None, "Directory holding the data mirror (conferences/, registry/, indicators/, peers/). Env TALENTFLOW_DATA."),
    ("db_path", None, "Database: a DuckDB file, or a directory for the Spark engine. Env TALENTFLOW_DB; default in the user data directory."),
    ("engine", "duckdb", "SQL engine running the stages: duckdb, or spark with the [spark] extra (docs/engines.md). Env TALENTFLOW_ENGINE."),
    ("threads", 2, "Worker threads for the engine."),
    ("memory_limit", "4GB", "Engine memory limit."),
    ("min_cell", PUBLISHED_MIN_CELL, "Published outputs suppress cells resting on fewer than this many people."),
    ("n_boot", 1000, "Bootstrap resamples for confidence intervals."),
    ("seed", 20221128, "Random seed for bootstrap resampling."),
    ("catalog_path", None, "Dataset catalog TSV (default: the one shipped in the package)."),
    ("allow_missing", False, "Build without conference files missing from the data directory (counted) instead of failing."),
    ("allow_changed", False, "Build with input files that differ from the catalog (recorded in input_files) instead of failing."),
    ("subset", (), "Conference-years a build reads, as (venue, year or None for every year) pairs; empty: all of them. CLI: build --venue V [--year Y]."),
    ("openalex_path", None, "OpenAlex snapshot directory (data/works/manifest, …) read by the openalex stage; default <data>/openalex when present. Env TALENTFLOW_OPENALEX."),
)


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("talentflow")) / "talentflow.duckdb"


@dataclass(frozen=True)
class Settings:
    data_dir: Path | None = None
    db_path: Path = field(default_factory=default_db_path)
    engine: str = "duckdb"
    threads: int = 2
    memory_limit: str = "4GB"
    min_cell: int = PUBLISHED_MIN_CELL
    n_boot: int = 1000
    seed: int = 20221128
    allow_missing: bool = False
    allow_changed: bool = False
    catalog_path: Path | None = None
    openalex_path: Path | None = None
    subset: tuple[tuple[str, int | None], ...] = ()

    @classmethod
    def from_env(cls, data_dir: str | Path | None = None, db_path: str | Path | None = None, **overrides) -> "Settings":
        """Explicit arguments win over environment variables, which win over defaults."""
        data = data_dir or os.environ.get("TALENTFLOW_DATA")
        db = db_path or os.environ.get("TALENTFLOW_DB")
        oa = overrides.pop("openalex_path", None) or os.environ.get("TALENTFLOW_OPENALEX")
        overrides["engine"] = overrides.get("engine") or os.environ.get("TALENTFLOW_ENGINE") or "duckdb"
        s = cls(data_dir=Path(data).expanduser().resolve() if data else None,
                openalex_path=Path(oa).expanduser().resolve() if oa else None, **overrides)
        if db:
            s = replace(s, db_path=Path(db).expanduser().resolve())
        return s

    def require_data(self) -> Path:
        if self.data_dir is None:
            raise ConfigError("No data directory given.")
        if not self.data_dir.is_dir():
            raise ConfigError(f"Data directory {self.data_dir} does not exist.")
        return self.data_dir

    def selects(self, venue: str | None, year: int | None) -> bool:
        """Whether a conference-year is read by this build (every one unless `subset` names some)."""
        return not self.subset or any(v == venue and (y is None or y == year) for v, y in self.subset)

    def subset_label(self) -> str:
        """'' for a full build, else the conference-years read, e.g. 'nips2019,iclr' (build_state.subset)."""
        return ",".join(f"{v}{'' if y is None else y}" for v, y in sorted(set(self.subset), key=str))

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)
