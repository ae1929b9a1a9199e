"""Docs that must not drift from the code: every command and setting documented; README's commands true."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_cli_and_settings_reference_up_to_date():
    res = subprocess.run([sys.executable, str(ROOT / "tools/make_cli_docs.py"), "--check"], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    test_cmd = [line for line in block.splitlines() if "pytest" in line]
    assert len(test_cmd) == 1
    ci_lines = [line.strip() for line in (ROOT / ".ci/run").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert ci_lines[-1] == test_cmd[0].strip()


def test_readme_commands_exist():
    from typer.main import get_command

    from talentflow.cli.main import app

    names = set(get_command(app).commands)
    readme = (ROOT / "README.md").read_text()
    code = "\n".join(re.findall(r"```bash\n(.*?)```", readme, re.S) + re.findall(r"`([^`\n]+)`", readme))
    used = set(re.findall(r"(?:^|&& )talentflow (?:--\w+ \S+ )*([a-z][a-z-]+)", code, re.M))
    assert used and used <= names, used - names
