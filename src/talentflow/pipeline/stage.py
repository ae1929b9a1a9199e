"""`Stage`: one step of the build, declared by the module that runs it, and what its key is made of.

A stage's key changes exactly when something its tables are made from changed:
- its **code**: every module of talentflow its module imports, transitively (imports inside functions too), found
  by reading the import statements (`code_files`); a package's `__init__.py` counts only when something is
  imported from it. `talentflow.errors` (exception classes and their messages) is left out; the engine package
  (`talentflow.engine`, which runs every stage's SQL) is in every stage's code;
- its **data files**: the curated files shipped in the package that it reads (`data`, paths relative to the
  talentflow package, globs allowed), every one of which must exist;
- its **version** (bump it to rebuild without a code change), and **params**: the settings and the inputs outside
  the catalog (synced snapshots) its output depends on;
- the sha256 of each of its **input files** as read (catalogued data files, verified before anything runs);
- the keys of the stages it **needs**, the stages whose tables it reads.
"""

from __future__ import annotations

import ast
import hashlib
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

PACKAGE = "talentflow"
ROOT = Path(__file__).resolve().parents[1]  # src/talentflow: where module names are looked up
EXCLUDED = ("talentflow.errors", "talentflow.pipeline")  # cannot change a table's content
BUILD_WIDE = ("talentflow.engine",)  # runs every stage's SQL: part of every stage's code

Progress = Callable[[str, int, int], None]  # (description, done, total)


@dataclass(frozen=True)
class Stage:
    """One step of the build. `run(engine, settings, progress) -> stats` creates `writes` (and adds rows to
    `appends`, tables another stage creates) from the tables of `needs`. `inputs(settings)` lists the catalogued
    data files it reads (verified by the build first); `params(settings)` anything else its output depends on."""

    name: str
    needs: tuple[str, ...]
    writes: tuple[str, ...]
    version: str
    run: Callable[..., dict | None]
    data: tuple[str, ...] = ()
    appends: tuple[str, ...] = ()
    inputs: Callable[..., list] | None = None
    params: Callable[..., str] | None = None

    @property
    def module(self) -> str:
        """The module that declares and runs the stage: where its code is looked up from."""
        return self.run.__module__


def _module_file(name: str) -> Path | None:
    if name != PACKAGE and not name.startswith(PACKAGE + "."):
        return None
    p = ROOT.parent.joinpath(*name.split("."))
    if (p / "__init__.py").is_file():
        return p / "__init__.py"
    return p.with_suffix(".py") if p.with_suffix(".py").is_file() else None


def _statements(body: list[ast.stmt]):
    """Every statement, nested ones included (imports are statements: expressions need not be walked)."""
    for node in body:
        yield node
        for f in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from _statements(getattr(node, f, None) or [])


@lru_cache(maxsize=1024)
def _parsed_imports(path: Path, mtime_ns: int, size: int) -> tuple[tuple[int, str | None, tuple[str, ...]], ...]:
    """(level, module, names) of each import statement of a file (cached while the file is unchanged)."""
    out = []
    for node in _statements(ast.parse(path.read_bytes(), filename=str(path)).body):
        if isinstance(node, ast.Import):
            out += [(0, a.name, ()) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            out.append((node.level, node.module, tuple(a.name for a in node.names)))
    return tuple(out)


def _module_imports(name: str, path: Path) -> list[str]:
    """Modules named by the import statements of one module (relative ones resolved); for `from M import x` the
    module M.x if x is one, else M."""
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    st = path.stat()
    out = []
    for level, module, names in _parsed_imports(path, st.st_mtime_ns, st.st_size):
        if not names:
            out.append(module)
            continue
        if level:
            base = here[:len(here) - level + 1]
            module = ".".join(base + ([module] if module else []))
        for a in names:
            sub = f"{module}.{a}"
            out.append(sub if _module_file(sub) else module)
    return out


def _excluded(name: str) -> bool:
    return any(name == e or name.startswith(e + ".") for e in EXCLUDED)


def code_files(module: str) -> list[Path]:
    """Every file of `module`'s code: its own file and the talentflow modules it imports, transitively, plus the
    build-wide modules; sorted."""
    own = _module_file(module) or Path(sys.modules[module].__file__)
    start = [(module, own)] + [(m, _module_file(m)) for m in BUILD_WIDE]
    seen: dict[str, Path] = {}
    todo = list(start)
    while todo:
        name, path = todo.pop()
        if path is None or name in seen or _excluded(name):
            continue
        seen[name] = path
        todo += [(m, _module_file(m)) for m in _module_imports(name, path) if m not in seen]
    return sorted(set(seen.values()))


def data_files(stage: Stage) -> list[Path]:
    """The curated files a stage declares it reads; a pattern that matches nothing is an error (a misspelt or
    stale declaration must not quietly leave a file out of the key)."""
    out: list[Path] = []
    for pattern in stage.data:
        got = sorted(p for p in ROOT.glob(pattern) if p.is_file())
        if not got:
            raise ValueError(f"stage {stage.name}: data file {pattern!r} matches no file under {ROOT}")
        out += got
    return sorted(set(out))


def _rel(p: Path) -> str:
    try:
        return p.resolve().relative_to(ROOT.parent).as_posix()
    except ValueError:  # a stage module outside the package (tests)
        return p.name


def code_digest(stage: Stage) -> str:
    """sha256 over the stage's code and data files (path and content of each)."""
    h = hashlib.sha256()
    for p in code_files(stage.module) + data_files(stage):
        h.update(f"{_rel(p)}\0".encode())
        h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()
