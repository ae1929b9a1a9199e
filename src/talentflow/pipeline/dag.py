"""The stage DAG, written down once: the modules that declare a stage (`STAGE`), and the order they run in.

Each stage names the stages whose tables it reads (`needs`); the build runs them in a topological order, ties
broken by the order of `STAGE_MODULES`, so the order is the same in every build.
"""

from __future__ import annotations

import importlib
from typing import Iterable

from .stage import Stage

STAGE_MODULES: tuple[str, ...] = (
    "talentflow.ingest.stage",          # conference files → papers, authorships, quarantine
    "talentflow.ingest.live",           # synced snapshots → papers of new venue-years, career histories
    "talentflow.ingest.datasets",       # the catalog with per-file counts
    "talentflow.indicators.stage",      # companion national indicators (nothing in the build reads them)
    "talentflow.resolve.stage",         # affiliation → institution, countries, sector
    "talentflow.careers.papers_stage",  # tiers and subfields per paper
    "talentflow.careers.stage",         # people, career events, stages
    "talentflow.metrics.stage",         # materialised metric tables
    "talentflow.openalex.stage",        # OpenAlex snapshot / synced works, when present
)


class DagError(ValueError):
    """The declared stages do not form a DAG (unknown or cyclic needs, a name or table declared twice)."""


def load(modules: Iterable[str | Stage] = STAGE_MODULES) -> list[Stage]:
    """Stages from module names (each module's `STAGE`) or Stage objects, in the order given."""
    out = []
    for m in modules:
        out.append(m if isinstance(m, Stage) else importlib.import_module(m).STAGE)
    return out


def order(stages: list[Stage]) -> list[Stage]:
    """Topological order (Kahn's), ties by position in `stages`; DagError if the declarations are inconsistent."""
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise DagError(f"a stage name is declared twice: {names}")
    writer: dict[str, str] = {}
    for s in stages:
        for t in s.writes:
            if t in writer:
                raise DagError(f"table {t} is written by both {writer[t]} and {s.name}")
            writer[t] = s.name
    pos = {n: i for i, n in enumerate(names)}
    for s in stages:
        unknown = [n for n in s.needs if n not in pos]
        if unknown:
            raise DagError(f"stage {s.name} needs {', '.join(unknown)}, which this build does not have "
                           f"(stages: {', '.join(names)})")
    done: list[Stage] = []
    left = list(stages)
    while left:
        ready = [s for s in left if all(n in {d.name for d in done} for n in s.needs)]
        if not ready:
            raise DagError(f"the needs of {', '.join(s.name for s in left)} form a cycle")
        done.append(ready[0])  # the earliest declared of the ready ones
        left.remove(ready[0])
    return done


def dependants(stages: list[Stage], name: str) -> list[str]:
    """The stages that need `name`, directly or not, in run order."""
    hit = {name}
    out = []
    for s in order(stages):
        if hit & set(s.needs):
            hit.add(s.name)
            out.append(s.name)
    return out


def table(stages: list[Stage]) -> list[dict]:
    """stage, needs, writes (and appends) of each stage in run order: the DAG as rows (docs, `build --plan`)."""
    return [{"stage": s.name, "needs": ", ".join(s.needs), "writes": ", ".join(s.writes),
             "appends": ", ".join(s.appends)} for s in order(stages)]
