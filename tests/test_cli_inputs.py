"""The command line with awkward input: rich markup in user text prints literally, an unknown --format is an
error listing the formats (every command that has the option), a bad --out is a clear message before any work,
and files users pass may start with a UTF-8 byte-order mark."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from talentflow.cli.common import emit_rows
from talentflow.cli.main import app
from talentflow.pipeline import build

from conftest import fixture_settings

MARKUP = "Dept. of CS [/] Stanford [bold]x[/bold] [red]y[/] :smile:"
BOM = "\ufeff"


@pytest.fixture()
def empty_data(tmp_path, monkeypatch) -> Path:
    """A data directory without registry files (the resolver runs on curated data) and a private cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TALENTFLOW_DATA", raising=False)
    d = tmp_path / "data"
    d.mkdir()
    return d


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    s = fixture_settings(tmp_path_factory.mktemp("cli"), {"aaai/aaai2021.json.gz": [
        {"id": "1", "title": "A title", "author": "Ann Lee"}]})
    build(s, stages=["talentflow.ingest.stage", "talentflow.ingest.live", "talentflow.ingest.datasets"])
    return s


def _run(*args, **kw):
    """Invoke the CLI; a wide terminal, so error panels do not fold long paths."""
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "400", **kw.pop("env", {})}, **kw)


def _flat(output: str) -> str:
    """Output with panel borders removed and whitespace collapsed."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def test_table_cells_and_titles_print_markup_literally(capsys):
    emit_rows([{"institution": MARKUP, "[col]": "[/]"}], "table", title="of [/] [bold]")
    out = capsys.readouterr().out
    for text in ("[/] Stanford", "[bold]x[/bold]", "[red]y[/]", ":smile:", "[col]", "of [/] [bold]"):
        assert text in out, (text, out)


def test_resolve_prints_the_affiliation_literally(empty_data):
    r = _run("--data", empty_data, "resolve", MARKUP)
    assert r.exit_code == 0, r.output
    assert MARKUP in r.output


def test_error_messages_print_paths_literally(empty_data):
    r = _run("--data", empty_data, "resolve", "--input", empty_data / "no [/] such [bold].tsv")
    out = " ".join(r.output.split())  # the message wraps at the terminal width (a long tmp path wraps anywhere)
    assert r.exit_code == 2 and "no [/] such [bold].tsv: input file not found" in out, r.output


def _format_commands() -> list[list[str]]:
    """Every command with a --format option (walked from the CLI itself, so a new command is checked too)."""
    root = typer.main.get_command(app)
    out = []

    def walk(cmd, path):
        for name, sub in sorted(getattr(cmd, "commands", {}).items()):
            walk(sub, path + [name])
        if not hasattr(cmd, "commands") and any("--format" in p.opts for p in cmd.params):
            out.append(path)

    walk(root, [])
    return out


FORMAT_COMMANDS = _format_commands()


def test_every_format_option_is_found():
    assert len(FORMAT_COMMANDS) >= 20 and ["export"] in FORMAT_COMMANDS and ["data", "report"] in FORMAT_COMMANDS


@pytest.mark.parametrize("path", FORMAT_COMMANDS, ids=" ".join)
def test_unknown_format_is_an_error_listing_the_formats(path, tmp_path):
    r = _run("--db", tmp_path / "none.duckdb", "--data", tmp_path, *path, "--format", "nonsense")
    assert r.exit_code == 2, r.output
    assert "unknown format 'nonsense': use one of" in _flat(r.output)
    assert "Traceback" not in r.output


def test_resolve_one_affiliation_refuses_batch_formats(empty_data):
    r = _run("--data", empty_data, "resolve", "MIT", "--format", "csv")
    assert r.exit_code == 2 and "use text or json" in r.output


@pytest.mark.parametrize("args,out,message", [
    (["export", "papers"], "missing/x.csv", "directory {tmp}/missing does not exist"),
    (["export", "papers"], ".", "{tmp} is a directory: give a file name"),
    (["data", "report", "--format", "json"], "missing/x.json", "directory {tmp}/missing does not exist"),
    (["data", "report", "--format", "markdown"], ".", "is a directory"),
    (["data", "report", "--format", "csv"], "afile/x.csv", "{tmp}/afile is not a directory"),
    (["report"], "afile", "{tmp}/afile exists and is not a directory"),
    (["report"], "afile/sub/dir", "{tmp}/afile is a file, so {tmp}/afile/sub/dir cannot be created"),
])
def test_bad_out_is_a_clear_message_before_any_work(built, tmp_path, args, out, message):
    (tmp_path / "afile").write_text("x")
    r = _run("--db", built.db_path, *args, "--out", tmp_path / out)
    assert r.exit_code == 2, r.output
    assert message.format(tmp=tmp_path) in _flat(r.output), r.output
    assert "Traceback" not in r.output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["export", "papers"], ["data", "report", "--format", "markdown"],
                                  ["data", "report", "--format", "csv"]])
def test_failed_write_names_the_file_without_a_traceback(built, args):
    r = _run("--db", built.db_path, *args, "--out", "/dev/full")  # every write fails: no space left
    assert r.exit_code == 2, r.output
    assert "cannot write /dev/full" in r.output and "No space left" in _flat(r.output)
    assert "Traceback" not in r.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_out_is_a_clear_message(built, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        r = _run("--db", built.db_path, "export", "papers", "--out", ro / "x.csv")
        assert r.exit_code == 2 and f"{ro} is not writable" in _flat(r.output), r.output
    finally:
        ro.chmod(0o755)


def test_bom_in_resolve_input_and_stdin(empty_data, tmp_path):
    f = tmp_path / "in.tsv"
    f.write_text(BOM + "affiliation\tdomain\nMIT\tmit.edu\n", encoding="utf-8")
    r = _run("--data", empty_data, "resolve", "--input", f)
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["affiliation"] == "MIT"
    r = _run("--data", empty_data, "resolve", "--input", "-", input=BOM + "affiliation\nMIT\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout.splitlines()[0])["affiliation"] == "MIT"


def test_bom_in_label_files(tmp_path):
    from talentflow.careers.subfield_eval import LABEL_COLUMNS as SUB_COLUMNS, load_labels
    from talentflow.resolve.evaluate import LABEL_COLUMNS, read_labels

    f = tmp_path / "labels.tsv"
    f.write_text(BOM + "\t".join(LABEL_COLUMNS) + "\nMIT\tmit.edu\thead\t3\tMIT\tUS\tUS\tacademia\t\n", encoding="utf-8")
    (lab,) = read_labels(f)
    assert (lab.affiliation, lab.n) == ("MIT", 3)
    g = tmp_path / "sub.tsv"
    g.write_text(BOM + "\t".join(SUB_COLUMNS) + "\nnips\t2022\tP1\tvision\tT\n", encoding="utf-8")
    (row,) = load_labels(g, {"vision": "Vision"})
    assert (row["venue"], row["year"]) == ("nips", 2022)


def test_bom_in_a_profile_dump(tmp_path):
    dump = tmp_path / "profiles.jsonl"
    dump.write_text(BOM + json.dumps({"id": "~Ann_Lee1", "content": {"names": [{"fullname": "Ann Lee"}]}}) + "\n",
                    encoding="utf-8")
    r = _run("--data", tmp_path / "data", "data", "import-profiles", dump, "--format", "json")
    assert r.exit_code == 0, r.output
    assert "1 profiles imported, 0 lines rejected" in _flat(r.output)
