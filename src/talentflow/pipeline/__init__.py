"""The build pipeline: `Stage` (declared by each stage module as `STAGE`), the DAG of stages (`dag`) and the one
runner (`build`)."""

from .dag import STAGE_MODULES, DagError, dependants, load, order
from .runner import BuildResult, build, build_lock, lock_holder, lock_path, plan, stage_key, temp_paths
from .stage import Stage, code_digest, code_files, data_files

__all__ = ["STAGE_MODULES", "DagError", "dependants", "load", "order", "BuildResult", "build", "build_lock",
           "lock_holder", "lock_path", "plan", "stage_key", "temp_paths", "Stage", "code_digest", "code_files",
           "data_files"]
